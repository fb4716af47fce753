//! Published reports and what has changed since: the `Figures` calls `PublishReport`,
//! `ListPublications`, `GetRevisedSince`, `GetRevisions` and `GetTimeliness`.
//!
//! A publication is a [`v2::Publication`] appended to the publications stream (one subject per
//! authority): the figures a report shows, as the projections held them, and the event stream's
//! sequence they were derived up to. What has changed since is the current figures compared
//! with those; the records behind a change are the events that arrived after that sequence for
//! the subjects whose part in the figure changed (`caseflow_domain::revisions::moved_since`).
//! A figure's revisions follow the events' recording times instead
//! (`caseflow_domain::revisions::revisions`). Both cover every derived indicator, the caseloads
//! (11.x) included: workers' events count among the records behind them as children's do.
//!
//! Every call needs the `figures` role for the authority (a refusal is recorded in the audit
//! trail); a revision's child ids are only sent to a caller who also holds `records`, and
//! such an answer is recorded in the audit trail before it is sent.

use std::collections::{BTreeMap, BTreeSet};

use caseflow_domain::revisions::{self, has_revisions, month_end};
use caseflow_domain::{EntityKind, Indicator, La, Month};
use caseflow_proto::v2;
use caseflow_store::StoredEvent;
use prost::Message;
use time::format_description::well_known::Rfc3339;
use tonic::{Request, Status};

use crate::audit::{Caller, Subject as AuditSubject};
use crate::auth::Role;
use crate::figures::{FiguresService, parse_indicator};
use crate::{AppState, ServiceError, blocking, parse_la, parse_month};

const GET_REVISIONS: &str = "/caseflow.v2.Figures/GetRevisions";
const PUBLISH_REPORT: &str = "/caseflow.v2.Figures/PublishReport";
const LIST_PUBLICATIONS: &str = "/caseflow.v2.Figures/ListPublications";
const GET_REVISED_SINCE: &str = "/caseflow.v2.Figures/GetRevisedSince";
const GET_TIMELINESS: &str = "/caseflow.v2.Figures/GetTimeliness";

/// How many of the last publication's figures `GetTimeliness` lists.
const MOVED_MOST: usize = 10;

/// The caller, once admitted with `figures` for `la` (a refusal is recorded).
async fn admit<T>(
    state: &AppState,
    request: &Request<T>,
    method: &str,
    la: &str,
    indicator: &str,
    month: &str,
) -> Result<(Caller, La, AuditSubject), Status> {
    let caller = Caller::of(request)?;
    let la = parse_la(la)?;
    let about = AuditSubject {
        la: Some(la),
        indicator: indicator.to_owned(),
        month: month.to_owned(),
        child_id: String::new(),
    };
    state
        .auditor
        .admit(&caller, Role::Figures, method, &about)
        .await?;
    Ok((caller, la, about))
}

/// Every subject of `la` with its stored events.
fn authority_events(
    state: &AppState,
    la: La,
) -> Result<Vec<(EntityKind, Vec<StoredEvent>)>, ServiceError> {
    state
        .store
        .subjects(Some(la))?
        .into_iter()
        .map(|s| Ok((s.kind, state.store.events(&s)?)))
        .collect()
}

/// The month asked for, or the last complete month.
fn month_or_last(state: &AppState, s: &str) -> Result<Month, ServiceError> {
    if s.is_empty() {
        Ok(Month::of(state.as_of()?).prev())
    } else {
        parse_month("month", s)
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) async fn get_revisions(
    state: &AppState,
    request: Request<v2::GetRevisionsRequest>,
) -> Result<v2::GetRevisionsResponse, Status> {
    let r = request.get_ref().clone();
    let (caller, la, about) = admit(
        state,
        &request,
        GET_REVISIONS,
        &r.la,
        &r.indicator,
        &r.month,
    )
    .await?;
    let indicator = parse_indicator(&r.indicator)?;
    if !has_revisions(indicator) {
        return Err(ServiceError::InvalidArgument(format!(
            "revisions of {} are not followed: it is not derived yet",
            indicator.id()
        ))
        .into());
    }
    let with_ids = caller.require(Role::Records, la).is_ok();
    let answer = blocking(state, move |state| {
        let month = month_or_last(&state, &r.month)?;
        let logs = authority_events(&state, la)?;
        let events: Vec<(EntityKind, Vec<caseflow_domain::Event>)> = logs
            .into_iter()
            .map(|(k, evs)| (k, evs.into_iter().map(|s| s.event).collect()))
            .collect();
        let mut history = revisions::revisions(
            events.iter().map(|(k, evs)| (*k, evs.as_slice())),
            month,
            &[indicator],
            &state.settings.of(la).indicators,
            state.as_of()?,
            month_end(month),
        );
        // As in GetSeries: an indicator made of a kind of fact the authority has never recorded
        // has no value (its numerator and denominator say what was counted).
        let unrecorded =
            crate::figures::not_recorded(&state.store.recorded(la)?, indicator, la).is_some();
        let revisions = history
            .remove(&indicator)
            .unwrap_or_default()
            .into_iter()
            .map(|rev| v2::Revision {
                at: rev.at.to_rfc3339(),
                numerator: rev.numerator,
                denominator: rev.denominator,
                value: if unrecorded { None } else { rev.value },
                events: rev
                    .moved_by
                    .iter()
                    .map(|e| v2::RevisingEvent {
                        event_id: e.id.to_string(),
                        payload: e.payload.name().to_owned(),
                        occurred_on: caseflow_domain::calendar::format_day(e.occurred_on),
                        recorded_at: e.recorded_at.to_rfc3339(),
                        subject_kind: e.subject.kind.token().to_owned(),
                        child_id: if with_ids {
                            e.subject.id.to_string()
                        } else {
                            String::new()
                        },
                    })
                    .collect(),
            })
            .collect();
        Ok(v2::GetRevisionsResponse {
            la: la.to_string(),
            indicator: Some(crate::figures::indicator_info(indicator)),
            month: month.to_string(),
            revisions,
            child_ids_withheld: !with_ids,
        })
    })
    .await?;
    let named: usize = answer.revisions.iter().map(|r| r.events.len()).sum();
    if with_ids && named > 0 {
        state
            .auditor
            .record(&caller, GET_REVISIONS, &about, named)
            .await?;
    }
    Ok(answer)
}

/// Every figure the report of `month` shows, as the projections hold them now, and the event
/// stream's sequence they were derived up to.
fn report_figures(
    state: &AppState,
    la: La,
    month: Month,
) -> Result<(Vec<v2::PublishedFigure>, u64), ServiceError> {
    let applied = state.snapshot(la)?.applied();
    let service = FiguresService(state.clone());
    let mut figures = Vec::new();
    for indicator in caseflow_domain::indicators::derived_indicators() {
        let series = service.series(v2::GetSeriesRequest {
            la: la.to_string(),
            indicator: indicator.id().to_owned(),
            from_month: month.plus(-12).to_string(),
            to_month: month.to_string(),
            as_known_at: String::new(),
        })?;
        figures.extend(series.months.into_iter().map(|m| v2::PublishedFigure {
            indicator: indicator.id().to_owned(),
            month: m.month,
            group: String::new(),
            numerator: m.numerator,
            denominator: m.denominator,
            value: m.value,
        }));
    }
    let card = service.scorecard(v2::GetScorecardRequest {
        la: la.to_string(),
        month: month.to_string(),
        as_known_at: String::new(),
    })?;
    for row in card.rows.into_iter().filter(|r| !r.group.is_empty()) {
        let id = row.indicator.map(|i| i.id).unwrap_or_default();
        for m in [row.previous, row.current].into_iter().flatten() {
            figures.push(v2::PublishedFigure {
                indicator: id.clone(),
                month: m.month,
                group: row.group.clone(),
                numerator: m.numerator,
                denominator: m.denominator,
                value: m.value,
            });
        }
    }
    Ok((figures, applied))
}

pub(crate) async fn publish_report(
    state: &AppState,
    request: Request<v2::PublishReportRequest>,
) -> Result<v2::Publication, Status> {
    let r = request.get_ref().clone();
    let (caller, la, _) = admit(state, &request, PUBLISH_REPORT, &r.la, "", &r.month).await?;
    let (month, figures, applied) = blocking(state, move |state| {
        let month = month_or_last(&state, &r.month)?;
        let (figures, applied) = report_figures(&state, la, month)?;
        Ok((month, figures, applied))
    })
    .await?;
    let now = (state.clock)();
    let title = match request.get_ref().title.trim() {
        "" => format!("{la} {month} report, published {}", now.date()),
        t => t.to_owned(),
    };
    let mut publication = v2::Publication {
        sequence: 0,
        la: la.to_string(),
        month: month.to_string(),
        title,
        published_at: rfc3339(now),
        who: caller.principal.who.clone(),
        figures,
        applied_sequence: applied,
    };
    let sequence = state
        .publications
        .append(la.as_str(), publication.encode_to_vec().into())
        .await
        .map_err(ServiceError::from)?;
    tracing::info!(%la, %month, title = %publication.title, who = %publication.who, sequence, "report published");
    publication.sequence = sequence;
    Ok(publication)
}

/// Every publication of `la`, oldest first, with its figures.
async fn publications_of(state: &AppState, la: La) -> Result<Vec<v2::Publication>, ServiceError> {
    let entries = state
        .publications
        .read(Some(la.as_str()), |_, _| true)
        .await?;
    entries
        .into_iter()
        .map(|e| {
            let mut p = v2::Publication::decode(e.payload).map_err(|error| {
                ServiceError::Internal(format!(
                    "publication {} does not decode: {error}",
                    e.sequence
                ))
            })?;
            p.sequence = e.sequence;
            Ok(p)
        })
        .collect()
}

pub(crate) async fn list_publications(
    state: &AppState,
    request: Request<v2::ListPublicationsRequest>,
) -> Result<v2::ListPublicationsResponse, Status> {
    let r = request.get_ref().clone();
    let (_, la, _) = admit(state, &request, LIST_PUBLICATIONS, &r.la, "", "").await?;
    let mut publications = publications_of(state, la).await?;
    if !r.with_figures {
        for p in &mut publications {
            p.figures.clear();
        }
    }
    Ok(v2::ListPublicationsResponse { publications })
}

pub(crate) async fn get_revised_since(
    state: &AppState,
    request: Request<v2::GetRevisedSinceRequest>,
) -> Result<v2::RevisedSince, Status> {
    let r = request.get_ref().clone();
    let (_, la, _) = admit(state, &request, GET_REVISED_SINCE, &r.la, "", "").await?;
    Ok(revised_since(state, la, &r.title).await?)
}

/// The figures of the publication titled `title` (empty: the latest) that differ now.
async fn revised_since(
    state: &AppState,
    la: La,
    title: &str,
) -> Result<v2::RevisedSince, ServiceError> {
    let publications = publications_of(state, la).await?;
    let found = if title.is_empty() {
        publications.into_iter().next_back()
    } else {
        publications.into_iter().rev().find(|p| p.title == title)
    };
    let Some(mut publication) = found else {
        if title.is_empty() {
            return Ok(v2::RevisedSince::default());
        }
        return Err(ServiceError::NotFound(format!(
            "no report of authority {la} was published with the title {title:?}"
        )));
    };
    let published = std::mem::take(&mut publication.figures);
    let revised = blocking(state, move |state| {
        compare(&state, la, &published, publication.applied_sequence)
    })
    .await?;
    Ok(v2::RevisedSince {
        publication: Some(publication),
        revised,
    })
}

/// Which of `published` show another value now, with the records behind each.
fn compare(
    state: &AppState,
    la: La,
    published: &[v2::PublishedFigure],
    applied: u64,
) -> Result<Vec<v2::RevisedFigure>, ServiceError> {
    type Key = (String, String, String);
    let months: BTreeSet<Month> = published
        .iter()
        .filter_map(|f| f.month.parse().ok())
        .collect();
    let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    // The current figures of the same indicators and months.
    let service = FiguresService(state.clone());
    let mut now: BTreeMap<Key, v2::MonthValue> = BTreeMap::new();
    let indicators: BTreeSet<&str> = published.iter().map(|f| f.indicator.as_str()).collect();
    for id in indicators {
        let Ok(indicator) = parse_indicator(id) else {
            continue;
        };
        let series = service.series(v2::GetSeriesRequest {
            la: la.to_string(),
            indicator: indicator.id().to_owned(),
            from_month: first.to_string(),
            to_month: last.to_string(),
            as_known_at: String::new(),
        })?;
        for m in series.months {
            now.insert((id.to_owned(), m.month.clone(), String::new()), m);
        }
    }
    if published.iter().any(|f| !f.group.is_empty()) {
        let card = service.scorecard(v2::GetScorecardRequest {
            la: la.to_string(),
            month: last.to_string(),
            as_known_at: String::new(),
        })?;
        for row in card.rows.into_iter().filter(|r| !r.group.is_empty()) {
            let id = row.indicator.map(|i| i.id).unwrap_or_default();
            for m in [row.previous, row.current].into_iter().flatten() {
                now.insert((id.clone(), m.month.clone(), row.group.clone()), m);
            }
        }
    }
    let mut revised: Vec<v2::RevisedFigure> = published
        .iter()
        .filter_map(|p| {
            let key = (p.indicator.clone(), p.month.clone(), p.group.clone());
            let m = now.get(&key)?;
            // What the report showed is the value: a percentage whose numerator and
            // denominator moved together (0 of 3, then 0 of 2) was not revised.
            (m.value != p.value).then(|| v2::RevisedFigure {
                indicator: p.indicator.clone(),
                month: p.month.clone(),
                group: p.group.clone(),
                published_numerator: p.numerator,
                published_denominator: p.denominator,
                published_value: p.value,
                numerator: m.numerator,
                denominator: m.denominator,
                value: m.value,
                records: None,
            })
        })
        .collect();
    // The records behind each: events that arrived since, of the subjects that moved it.
    let wanted: Vec<(Indicator, Month)> = revised
        .iter()
        .filter(|f| f.group.is_empty())
        .filter_map(|f| Some((parse_indicator(&f.indicator).ok()?, f.month.parse().ok()?)))
        .filter(|(i, _)| has_revisions(*i))
        .collect();
    if !wanted.is_empty() {
        let logs = authority_events(state, la)?;
        let subjects = logs.iter().map(|(kind, events)| {
            let (then, since): (Vec<&StoredEvent>, Vec<&StoredEvent>) =
                events.iter().partition(|e| e.sequence <= applied);
            (
                *kind,
                then.into_iter().map(|e| &e.event).collect(),
                since.into_iter().map(|e| &e.event).collect(),
            )
        });
        let moved = revisions::moved_since(
            subjects,
            &wanted,
            &state.settings.of(la).indicators,
            state.as_of()?,
        );
        for f in &mut revised {
            let (Ok(indicator), Ok(month)) = (parse_indicator(&f.indicator), f.month.parse())
            else {
                continue;
            };
            if !f.group.is_empty() || !has_revisions(indicator) {
                continue;
            }
            let ids: BTreeSet<&str> = moved
                .get(&(indicator, month))
                .into_iter()
                .flatten()
                .map(|e| e.id.as_str())
                .collect();
            f.records = Some(ids.len() as u64);
        }
    }
    Ok(revised)
}

/// How far a figure moved, relative to its published value (a move from zero or from no
/// value is the largest).
fn relative_change(f: &v2::RevisedFigure) -> f64 {
    let old = f.published_value.unwrap_or(0.0);
    let new = f.value.unwrap_or(0.0);
    if old == 0.0 {
        if new == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        (new - old).abs() / old.abs()
    }
}

pub(crate) async fn get_timeliness(
    state: &AppState,
    request: Request<v2::GetTimelinessRequest>,
) -> Result<v2::Timeliness, Status> {
    let r = request.get_ref().clone();
    let (_, la, _) = admit(state, &request, GET_TIMELINESS, &r.la, "", "").await?;
    let lateness = blocking(state, move |state| {
        let to = month_or_last(&state, &r.to_month)?;
        let from = if r.from_month.is_empty() {
            to.plus(-11)
        } else {
            parse_month("from_month", &r.from_month)?
        };
        let logs = authority_events(&state, la)?;
        let found = revisions::timeliness(
            logs.iter()
                .flat_map(|(_, evs)| evs.iter().map(|s| &s.event)),
            from,
            to,
        );
        Ok(found
            .into_iter()
            .map(|l| v2::Lateness {
                payload: l.payload.to_owned(),
                month: l.month.to_string(),
                events: l.events as u64,
                median_days: l.median_days,
                p90_days: l.p90_days,
                after_month_end: l.after_month_end as u64,
            })
            .collect())
    })
    .await?;
    let since = revised_since(state, la, "").await?;
    let mut moved = since.revised;
    moved.sort_by(|a, b| {
        relative_change(b)
            .total_cmp(&relative_change(a))
            .then(b.records.cmp(&a.records))
    });
    moved.truncate(MOVED_MOST);
    Ok(v2::Timeliness {
        la: la.to_string(),
        lateness,
        publication: since.publication,
        moved_most: moved,
    })
}
