//! `Figures`: aggregate series and breakdowns, no child-level data.

use caseflow_domain::indicators::caseloads::{self, Caseloads};
use caseflow_domain::indicators::{
    Category, Dimension, Measure, MonthFigure, derived_indicators, financial_year_figure,
    is_derived, month_figure, value_in, value_of,
};
use caseflow_domain::scorecard::{direction_of_travel, rag};
use caseflow_domain::{FinancialYear, Indicator, Month};
use caseflow_proto::v2::{self, figures_server::Figures};
use tonic::{Request, Response, Status};
use tracing::instrument;

use crate::{AppState, ServiceError, parse_la, parse_month};

pub struct FiguresService(pub AppState);

pub(crate) fn indicator_info(i: Indicator) -> v2::IndicatorInfo {
    v2::IndicatorInfo {
        id: i.id().to_owned(),
        title: i.title().to_owned(),
        polarity: v2::Polarity::from(i.polarity()).into(),
        basis: v2::Basis::from(i.basis()).into(),
        unit: v2::Unit::from(i.unit()).into(),
        unavailable: String::new(),
    }
}

/// Why `la` has no 6.2 figure in (some of) the financial years of `months`, if it has none:
/// its population is not configured. Other indicators are always computed.
fn unavailable(
    state: &AppState,
    indicator: Indicator,
    la: caseflow_domain::La,
    months: impl IntoIterator<Item = Month>,
) -> String {
    if indicator != Indicator::Rate {
        return String::new();
    }
    let mut years: Vec<FinancialYear> = months.into_iter().map(|m| m.financial_year()).collect();
    years.dedup();
    state
        .settings
        .of(la)
        .population_missing(la, &years)
        .unwrap_or_default()
}

/// Why `la` has no figure for `indicator` at all, if it has none: it has recorded no event of
/// a kind the figure is made of (`recorded`: its events by payload kind). Its zeros would say
/// nothing about its children, so its values are not sent.
pub(crate) fn not_recorded(
    recorded: &std::collections::BTreeMap<String, u64>,
    indicator: Indicator,
    la: caseflow_domain::La,
) -> Option<String> {
    let kind = indicator.missing_input(|k| recorded.get(k).copied().unwrap_or(0))?;
    Some(format!(
        "authority {la} has recorded no {kind} events, which {} is made of: no figure until \
         they arrive (its history may come from a source without them, such as an SSDA903 \
         return)",
        indicator.id()
    ))
}

/// Leaves out a month's values (numerator and denominator stay: what was counted).
fn without_values(m: &mut v2::MonthValue) {
    m.value = None;
    m.ytd_value = None;
}

/// A month's figure as sent.
fn month_value(f: &MonthFigure, today: time::Date) -> v2::MonthValue {
    let (ytd_numerator, ytd_denominator) = match f.ytd {
        Some((n, d)) => (Some(n), d),
        None => (None, None),
    };
    v2::MonthValue {
        month: f.month.to_string(),
        numerator: f.numerator,
        denominator: f.denominator,
        value: f.value,
        ytd_numerator,
        ytd_denominator,
        ytd_value: f.ytd.and_then(|(n, d)| value_in(f.indicator.unit(), n, d)),
        complete: f.month.last_day() < today,
    }
}

/// The indicator whose cells a figure is computed from (6.2 from 6.1's).
fn cells_source(indicator: Indicator) -> Indicator {
    if indicator == Indicator::Rate {
        Indicator::LookedAfter
    } else {
        indicator
    }
}

pub(crate) fn parse_indicator(id: &str) -> Result<Indicator, ServiceError> {
    let id = if id.is_empty() { "6.1" } else { id };
    Indicator::from_id(id)
        .filter(|i| is_derived(*i))
        .ok_or_else(|| {
            let known: Vec<&str> = derived_indicators().map(|i| i.id()).collect();
            ServiceError::NotFound(format!(
                "indicator {id:?} is not derived by this build (known: {})",
                known.join(", ")
            ))
        })
}

/// The breakdowns a request asks for: dimensions of the stored cells, and whether the team-group
/// breakdown (6.1's, joined with workers) is among them. UNSPECIFIED asks for every one.
fn dimensions(
    indicator: Indicator,
    requested: i32,
) -> Result<(Vec<Dimension>, bool), ServiceError> {
    let looked_after = indicator == Indicator::LookedAfter;
    let requested = v2::Dimension::try_from(requested).map_err(|_| {
        ServiceError::InvalidArgument(format!("dimension {requested} is not a known value"))
    })?;
    match requested {
        v2::Dimension::Unspecified => Ok((Dimension::ALL.to_vec(), looked_after)),
        v2::Dimension::TeamGroup if looked_after => Ok((Vec::new(), true)),
        v2::Dimension::TeamGroup => Err(ServiceError::InvalidArgument(
            "the DIMENSION_TEAM_GROUP breakdown is of 6.1 only".to_owned(),
        )),
        cells => Ok((
            Dimension::ALL
                .into_iter()
                .filter(|d| v2::Dimension::from(*d) == cells)
                .collect(),
            false,
        )),
    }
}

/// Where a query's figures come from: the stored cells (everything known now), or a
/// re-derivation from the events recorded up to a moment ("as known at").
enum Source {
    Stored(std::sync::Arc<crate::snapshot::Snapshot>),
    KnownAt {
        figures: caseflow_domain::Figures,
        month_ends: caseflow_domain::indicators::caseloads::MonthEnds,
    },
}

/// The figures a query reads, and the day they are as of.
struct View {
    la: caseflow_domain::La,
    source: Source,
    /// Months whose last day is before this are complete.
    today: time::Date,
    /// The last month derived.
    horizon: Month,
}

/// Parses an "as known at" moment: RFC 3339, or YYYY-MM-DD meaning the end of that day (UTC).
fn parse_moment(s: &str) -> Result<caseflow_domain::Timestamp, ServiceError> {
    if let Ok(day) = caseflow_domain::calendar::parse_day(s) {
        let end = day.next_day().map_or(i64::MAX, |d| {
            caseflow_domain::Timestamp::from_offset(d.midnight().assume_utc()).0 - 1
        });
        return Ok(caseflow_domain::Timestamp(end));
    }
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(caseflow_domain::Timestamp::from_offset)
        .map_err(|_| {
            ServiceError::InvalidArgument(format!(
                "as_known_at {s:?} is neither an RFC 3339 timestamp nor a YYYY-MM-DD day"
            ))
        })
}

impl View {
    /// The authority's summed cells.
    fn figures(&self) -> &caseflow_domain::Figures {
        match &self.source {
            Source::Stored(snapshot) => &snapshot.figures,
            Source::KnownAt { figures, .. } => figures,
        }
    }

    /// The authority's events stored by payload kind.
    fn recorded(
        &self,
        state: &crate::AppState,
    ) -> Result<std::sync::Arc<crate::snapshot::Recorded>, ServiceError> {
        match &self.source {
            Source::Stored(snapshot) => snapshot.recorded(state, self.la),
            Source::KnownAt { .. } => Ok(std::sync::Arc::new(state.store.recorded(self.la)?)),
        }
    }

    /// Caseloads at each month end.
    fn caseloads(
        &self,
        state: &crate::AppState,
        months: impl IntoIterator<Item = Month>,
    ) -> Result<crate::Caseloads, ServiceError> {
        match &self.source {
            Source::Stored(snapshot) => snapshot.caseloads(state, self.la, months),
            Source::KnownAt { month_ends, .. } => Ok(months
                .into_iter()
                .map(|m| {
                    (
                        m,
                        std::sync::Arc::new(
                            month_ends.caseloads(m, &state.settings.of(self.la).indicators),
                        ),
                    )
                })
                .collect()),
        }
    }
}

impl FiguresService {
    fn view(&self, la: caseflow_domain::La, as_known_at: &str) -> Result<View, ServiceError> {
        if as_known_at.is_empty() {
            return Ok(View {
                la,
                source: Source::Stored(self.0.snapshot(la)?),
                today: (self.0.clock)().date(),
                horizon: Month::of(self.0.as_of()?),
            });
        }
        let at = parse_moment(as_known_at)?;
        let (figures, month_ends) = self.0.known_at(la, at)?;
        Ok(View {
            la,
            source: Source::KnownAt {
                figures,
                month_ends,
            },
            today: at.day(),
            horizon: Month::of(at.day()),
        })
    }

    pub(crate) fn series(
        &self,
        r: v2::GetSeriesRequest,
    ) -> Result<v2::GetSeriesResponse, ServiceError> {
        let la = parse_la(&r.la)?;
        let indicator = parse_indicator(&r.indicator)?;
        let view = self.view(la, &r.as_known_at)?;
        let horizon = view.horizon;
        let to = if r.to_month.is_empty() {
            horizon
        } else {
            parse_month("to_month", &r.to_month)?
        };
        let from = if r.from_month.is_empty() {
            to.plus(-11)
        } else {
            parse_month("from_month", &r.from_month)?
        };
        if from > to {
            return Err(ServiceError::InvalidArgument(format!(
                "from_month {from} is after to_month {to}"
            )));
        }
        if to.ordinal() - from.ordinal() > 12 * 100 {
            return Err(ServiceError::InvalidArgument(
                "a series covers at most 100 years".to_owned(),
            ));
        }
        let last = to.min(horizon);
        let today = view.today;
        let settings = &self.0.settings.of(la).indicators;
        let mut months: Vec<v2::MonthValue> = if caseloads::DERIVES.contains(&indicator) {
            // Caseloads join children and workers: computed when asked for.
            view.caseloads(&self.0, from.through(last))?
                .values()
                .filter_map(|c| c.figure_of(indicator))
                .map(|f| month_value(&f, today))
                .collect()
        } else {
            let figures = view.figures();
            from.through(last)
                .map(|m| month_value(&month_figure(figures, indicator, m, settings), today))
                .collect()
        };
        let mut info = indicator_info(indicator);
        info.unavailable = unavailable(&self.0, indicator, la, from.through(last));
        if let Some(reason) = not_recorded(&*view.recorded(&self.0)?, indicator, la) {
            months.iter_mut().for_each(without_values);
            info.unavailable = reason;
        }
        Ok(v2::GetSeriesResponse {
            indicator: Some(info),
            la: la.to_string(),
            months,
        })
    }

    /// The scorecard `scorecard` would answer, when it is already computed for the figures the
    /// store has now (the store answers its progress from memory; nothing here blocks).
    fn memoised_scorecard(&self, r: &v2::GetScorecardRequest) -> Option<v2::Scorecard> {
        if !r.as_known_at.is_empty() {
            return None;
        }
        let la = caseflow_domain::La::parse(&r.la)?;
        let snapshot = self.0.fresh_snapshot(la).ok()??;
        let month = if r.month.is_empty() {
            Month::of(self.0.as_of().ok()?).prev()
        } else {
            r.month.parse().ok()?
        };
        snapshot.memoised_scorecard(month, (self.0.clock)().date())
    }

    pub(crate) fn scorecard(
        &self,
        r: v2::GetScorecardRequest,
    ) -> Result<v2::Scorecard, ServiceError> {
        let la = parse_la(&r.la)?;
        let view = self.view(la, &r.as_known_at)?;
        let month = if r.month.is_empty() {
            view.horizon.prev()
        } else {
            parse_month("month", &r.month)?
        };
        match &view.source {
            Source::Stored(snapshot) => snapshot.scorecard(month, view.today, || {
                self.compute_scorecard(&view, la, month)
            }),
            Source::KnownAt { .. } => self.compute_scorecard(&view, la, month),
        }
    }

    /// Every row of the scorecard of `month`.
    fn compute_scorecard(
        &self,
        view: &View,
        la: caseflow_domain::La,
        month: Month,
    ) -> Result<v2::Scorecard, ServiceError> {
        self.0.metrics.scorecard_computed();
        let year = month.financial_year();
        let today = view.today;
        let own = self.0.settings.of(la);
        let settings = &own.indicators;
        // Caseloads are joined when asked for: the months the scorecard shows.
        let trend_years: Vec<FinancialYear> =
            (1..=4).rev().map(|k| FinancialYear(year.0 - k)).collect();
        let loads = view.caseloads(
            &self.0,
            [month, month.prev()]
                .into_iter()
                .chain(trend_years.iter().map(|y| y.last_month())),
        )?;
        let mut rows = Vec::new();
        for indicator in derived_indicators() {
            if caseloads::DERIVES.contains(&indicator) {
                let groups: Vec<Option<&str>> = if indicator == Indicator::AverageCaseload {
                    settings
                        .team_groups
                        .keys()
                        .map(|g| Some(g.as_str()))
                        .collect()
                } else {
                    vec![None]
                };
                for group in groups {
                    let figure = |m: Month| -> Option<MonthFigure> {
                        let c: &Caseloads = loads.get(&m)?;
                        match group {
                            Some(g) => Some(c.average_caseload(Some(g))),
                            None => c.figure_of(indicator),
                        }
                    };
                    let (Some(current), Some(previous)) = (figure(month), figure(month.prev()))
                    else {
                        continue;
                    };
                    let trend = trend_years
                        .iter()
                        .filter_map(|y| {
                            figure(y.last_month()).map(|f| v2::YearValue {
                                year: y.to_string(),
                                numerator: f.numerator,
                                denominator: f.denominator,
                                value: f.value,
                            })
                        })
                        .collect();
                    let mut row = self.row(own, indicator, year, current, previous, trend, today);
                    row.group = group.unwrap_or_default().to_owned();
                    rows.push(row);
                }
                continue;
            }
            let figures = view.figures();
            let current = month_figure(figures, indicator, month, settings);
            let previous = month_figure(figures, indicator, month.prev(), settings);
            let trend = trend_years
                .iter()
                .filter_map(|&y| {
                    financial_year_figure(figures, indicator, y, month, settings).map(|f| {
                        v2::YearValue {
                            year: y.to_string(),
                            numerator: f.numerator,
                            denominator: f.denominator,
                            value: f.value,
                        }
                    })
                })
                .collect();
            let mut row = self.row(own, indicator, year, current, previous, trend, today);
            if let Some(info) = row.indicator.as_mut() {
                // The row's figure is the month's: its year is the one that must have a
                // population (a month before it in another year only loses the DOT).
                info.unavailable = unavailable(&self.0, indicator, la, [month]);
            }
            rows.push(row);
        }
        let recorded = view.recorded(&self.0)?;
        for row in &mut rows {
            let Some(indicator) = row
                .indicator
                .as_ref()
                .and_then(|i| Indicator::from_id(&i.id))
            else {
                continue;
            };
            let Some(reason) = not_recorded(&recorded, indicator, la) else {
                continue;
            };
            row.current.iter_mut().for_each(without_values);
            row.previous.iter_mut().for_each(without_values);
            row.trend.iter_mut().for_each(|y| y.value = None);
            row.direction = v2::Direction::Unspecified.into();
            row.judgement = v2::Judgement::Unspecified.into();
            row.rag = v2::Rag::Unspecified.into();
            if let Some(info) = row.indicator.as_mut() {
                info.unavailable = reason;
            }
        }
        Ok(v2::Scorecard {
            la: la.to_string(),
            month: month.to_string(),
            financial_year: year.to_string(),
            rows,
        })
    }

    /// A scorecard row from the month's and the previous month's figures.
    #[allow(clippy::too_many_arguments)]
    fn row(
        &self,
        own: &caseflow_domain::settings::AuthoritySettings,
        indicator: Indicator,
        year: FinancialYear,
        current: MonthFigure,
        previous: MonthFigure,
        trend: Vec<v2::YearValue>,
        today: time::Date,
    ) -> v2::ScorecardRow {
        let polarity = indicator.polarity();
        let dot = direction_of_travel(polarity, current.value, previous.value);
        let target = own.scorecard.target(indicator, year);
        let benchmark = own.scorecard.benchmark(indicator);
        v2::ScorecardRow {
            indicator: Some(indicator_info(indicator)),
            current: Some(month_value(&current, today)),
            previous: Some(month_value(&previous, today)),
            trend,
            direction: dot
                .map_or(v2::Direction::Unspecified, |(d, _)| d.into())
                .into(),
            judgement: dot
                .map_or(v2::Judgement::Unspecified, |(_, j)| j.into())
                .into(),
            rag: target
                .and_then(|t| rag(polarity, current.value, t))
                .map_or(v2::Rag::Unspecified, v2::Rag::from)
                .into(),
            thresholds: target.map(|t| v2::Thresholds {
                year: t.year.clone(),
                green: t.green,
                amber: t.amber,
                range_low: t.range.map(|r| r.0),
                range_high: t.range.map(|r| r.1),
                range_tolerance_percent: t.range_tolerance_percent,
            }),
            benchmarks: benchmark.map(|b| v2::Benchmarks {
                stat_neighbour_average: b.stat_neighbour_average,
                best_stat_neighbour: b.best_stat_neighbour,
                national_average: b.national_average,
                national_top_quartile: b.national_top_quartile,
            }),
            group: String::new(),
        }
    }

    fn breakdown(
        &self,
        r: v2::GetBreakdownRequest,
    ) -> Result<v2::GetBreakdownResponse, ServiceError> {
        let la = parse_la(&r.la)?;
        let indicator = parse_indicator(&r.indicator)?;
        let month = if r.month.is_empty() {
            Month::of(self.0.as_of()?)
        } else {
            parse_month("month", &r.month)?
        };
        let (dimensions, team_group) = dimensions(indicator, r.dimension)?;
        let cells = self
            .0
            .snapshot(la)?
            .figures
            .cells_in(cells_source(indicator), month);
        let total = cells
            .iter()
            .find(|(c, _)| c.measure == Measure::Numerator)
            .map_or(0, |(_, v)| *v);
        let percent = |count: i64| value_of(count, Some(total));
        let mut breakdowns: Vec<v2::Breakdown> = dimensions
            .into_iter()
            .map(|d| {
                let mut rows: Vec<(Category, i64)> = cells
                    .iter()
                    .filter_map(|(c, v)| match c.measure {
                        Measure::Breakdown(cat) if cat.dimension() == d => Some((cat, *v)),
                        _ => None,
                    })
                    .collect();
                rows.sort();
                v2::Breakdown {
                    dimension: v2::Dimension::from(d).into(),
                    rows: rows
                        .into_iter()
                        .map(|(cat, count)| v2::BreakdownRow {
                            category: cat.label().to_owned(),
                            count,
                            percent: percent(count),
                        })
                        .collect(),
                }
            })
            .collect();
        if team_group {
            let loads = self.0.caseloads(la, [month])?;
            let rows = loads
                .get(&month)
                .map(|c| {
                    c.children_by_group
                        .iter()
                        .map(|(group, count)| v2::BreakdownRow {
                            category: group.clone().unwrap_or_else(|| "No LAC team".to_owned()),
                            count: *count,
                            percent: percent(*count),
                        })
                        .collect()
                })
                .unwrap_or_default();
            breakdowns.push(v2::Breakdown {
                dimension: v2::Dimension::TeamGroup.into(),
                rows,
            });
        }
        Ok(v2::GetBreakdownResponse {
            la: la.to_string(),
            indicator: indicator.id().to_owned(),
            month: month.to_string(),
            total,
            breakdowns,
        })
    }
}

/// The caller may see the figures of authority `la`.
fn allowed<T>(request: &Request<T>, la: &str) -> Result<(), Status> {
    let caller = crate::Caller::of(request)?;
    caller.require(crate::Role::Figures, crate::parse_la(la)?)?;
    Ok(())
}

#[tonic::async_trait]
impl Figures for FiguresService {
    async fn list_indicators(
        &self,
        request: Request<v2::ListIndicatorsRequest>,
    ) -> Result<Response<v2::ListIndicatorsResponse>, Status> {
        let la = match request.get_ref().la.as_str() {
            "" => None,
            la => {
                allowed(&request, la)?;
                Some(crate::parse_la(la)?)
            }
        };
        let recorded = match la {
            Some(la) => Some((la, self.0.store.recorded(la).map_err(ServiceError::from)?)),
            None => None,
        };
        let indicators = derived_indicators()
            .map(|i| {
                let mut info = indicator_info(i);
                if let Some((la, recorded)) = &recorded {
                    info.unavailable = not_recorded(recorded, i, *la)
                        .unwrap_or_else(|| unavailable(&self.0, i, *la, []));
                }
                info
            })
            .collect();
        Ok(Response::new(v2::ListIndicatorsResponse { indicators }))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la, indicator = %request.get_ref().indicator))]
    async fn get_series(
        &self,
        request: Request<v2::GetSeriesRequest>,
    ) -> Result<Response<v2::GetSeriesResponse>, Status> {
        allowed(&request, &request.get_ref().la)?;
        Ok(Response::new(
            crate::blocking(&self.0, move |state| {
                FiguresService(state).series(request.into_inner())
            })
            .await?,
        ))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la, month = %request.get_ref().month))]
    async fn get_scorecard(
        &self,
        request: Request<v2::GetScorecardRequest>,
    ) -> Result<Response<v2::Scorecard>, Status> {
        allowed(&request, &request.get_ref().la)?;
        // A scorecard already computed for the current figures is answered here, without a
        // hop to the blocking pool: the common case when a reporting tool polls.
        if let Some(scorecard) = self.memoised_scorecard(request.get_ref()) {
            self.0.metrics.scorecard_answered();
            return Ok(Response::new(scorecard));
        }
        let scorecard = crate::blocking(&self.0, move |state| {
            FiguresService(state).scorecard(request.into_inner())
        })
        .await?;
        self.0.metrics.scorecard_answered();
        Ok(Response::new(scorecard))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la, month = %request.get_ref().month))]
    async fn get_breakdown(
        &self,
        request: Request<v2::GetBreakdownRequest>,
    ) -> Result<Response<v2::GetBreakdownResponse>, Status> {
        allowed(&request, &request.get_ref().la)?;
        Ok(Response::new(
            crate::blocking(&self.0, move |state| {
                FiguresService(state).breakdown(request.into_inner())
            })
            .await?,
        ))
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la, indicator = %request.get_ref().indicator, month = %request.get_ref().month))]
    async fn get_revisions(
        &self,
        request: Request<v2::GetRevisionsRequest>,
    ) -> Result<Response<v2::GetRevisionsResponse>, Status> {
        crate::revisions::get_revisions(&self.0, request)
            .await
            .map(Response::new)
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la, month = %request.get_ref().month))]
    async fn publish_report(
        &self,
        request: Request<v2::PublishReportRequest>,
    ) -> Result<Response<v2::Publication>, Status> {
        crate::revisions::publish_report(&self.0, request)
            .await
            .map(Response::new)
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn list_publications(
        &self,
        request: Request<v2::ListPublicationsRequest>,
    ) -> Result<Response<v2::ListPublicationsResponse>, Status> {
        crate::revisions::list_publications(&self.0, request)
            .await
            .map(Response::new)
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn get_revised_since(
        &self,
        request: Request<v2::GetRevisedSinceRequest>,
    ) -> Result<Response<v2::RevisedSince>, Status> {
        crate::revisions::get_revised_since(&self.0, request)
            .await
            .map(Response::new)
    }

    #[instrument(skip_all, fields(la = %request.get_ref().la))]
    async fn get_timeliness(
        &self,
        request: Request<v2::GetTimelinessRequest>,
    ) -> Result<Response<v2::Timeliness>, Status> {
        crate::revisions::get_timeliness(&self.0, request)
            .await
            .map(Response::new)
    }
}
