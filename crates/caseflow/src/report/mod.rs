//! The Corporate Parenting monthly performance report: the scorecard of one authority and month
//! with 13 months of series, rendered as a terminal table, a self-contained HTML page (indicator
//! table by section, then one inline-SVG trend chart per section), CSV or JSON.
//!
//! [`fetch_comparison`] and [`render_comparison`] lay several authorities side by side (the
//! whole scorecard, or one indicator): the regional picture.
//!
//! [`fetch`] asks a running server and reads its answers into the typed model ([`ReportData`]);
//! everything else is pure rendering, one module per format.

mod compare;
mod csv;
mod fetch;
mod html;
mod json;
mod model;
mod show;
mod svg;
mod table;

pub use compare::{Comparison, fetch_comparison, render_comparison};
pub use fetch::{fetch, list_published, publish};
pub use model::{
    Benchmarks, IndicatorInfo, Lateness, MonthValue, Publication, ReportData, Revised,
    RevisedFigure, Row, Scorecard, Series, Thresholds, Timeliness, Travel, YearValue,
};

/// How [`render`] writes the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text, one table per section (no colours; see [`render_table`]).
    Table,
    /// One self-contained HTML page with inline CSS and SVG charts.
    Html,
    /// One row per scorecard row (RFC 4180).
    Csv,
    /// The scorecard by section, with each indicator's monthly values.
    Json,
}

/// The warning for a scorecard without a figure: the authority has no events in the install,
/// or none projected yet (a mistyped code, say).
pub fn no_figures(card: &Scorecard) -> String {
    format!(
        "caseflow: authority {} has no figures for {} or before (no events of it in this \
         install, or none projected yet): check the code",
        card.la, card.month
    )
}

/// Renders the report. [`Format::Table`] is plain text; [`render_table`] can add colours.
pub fn render(data: &ReportData, format: Format) -> String {
    match format {
        Format::Table => table::render(data, false),
        Format::Html => html::render(data),
        Format::Csv => csv::render(data),
        Format::Json => json::render(data),
    }
}

/// The published reports as aligned text, oldest first.
pub fn render_publications(publications: &[Publication]) -> String {
    if publications.is_empty() {
        return "no report has been published for this authority\n".to_owned();
    }
    let mut out = format!(
        "{:<26} {:<8} {:<24} {}\n",
        "Published at", "Month", "By", "Title"
    );
    for p in publications {
        out.push_str(&format!(
            "{:<26} {:<8} {:<24} {}\n",
            p.published_at,
            p.month.to_string(),
            p.who,
            p.title
        ));
    }
    out
}

/// The report as aligned text, one table per section; `colour` adds ANSI colours to the RAG and
/// the direction of travel (for a terminal).
pub fn render_table(data: &ReportData, colour: bool) -> String {
    table::render(data, colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publications_are_listed_oldest_first_or_said_to_be_none() {
        assert_eq!(
            render_publications(&[]),
            "no report has been published for this authority\n"
        );
        let p = |title: &str, month: &str, at: &str| Publication {
            title: title.to_owned(),
            month: month.parse().unwrap(),
            published_at: at.to_owned(),
            who: "a.analyst".to_owned(),
        };
        let listed = render_publications(&[
            p("Panel 19 June 2018", "2018-05", "2018-06-19T09:30:00Z"),
            p("Panel 17 July 2018", "2018-06", "2018-07-17T09:30:00Z"),
        ]);
        assert_eq!(
            listed,
            "Published at               Month    By                       Title\n\
             2018-06-19T09:30:00Z       2018-05  a.analyst                Panel 19 June 2018\n\
             2018-07-17T09:30:00Z       2018-06  a.analyst                Panel 17 July 2018\n"
        );
    }
}
