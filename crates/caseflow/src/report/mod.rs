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
pub use fetch::fetch;
pub use model::{
    Benchmarks, IndicatorInfo, MonthValue, ReportData, Row, Scorecard, Series, Thresholds, Travel,
    YearValue,
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

/// The report as aligned text, one table per section; `colour` adds ANSI colours to the RAG and
/// the direction of travel (for a terminal).
pub fn render_table(data: &ReportData, colour: bool) -> String {
    table::render(data, colour)
}
