//! The report's trend charts as inline SVG: per section, its indicators' 13 months as lines,
//! grouped into panels of one unit (counts also by order of magnitude), with benchmark lines.

use caseflow_domain::Month;
use caseflow_domain::indicators::Unit;

use super::html::escape;
use super::model::{ReportData, Row};
use super::show::{month_label, show, truncate};

/// One indicator's line: its values in the report's months and its benchmark lines.
#[derive(Debug)]
pub(crate) struct Line {
    id: String,
    label: String,
    unit: Unit,
    values: Vec<Option<f64>>,
    stat_neighbour: Option<f64>,
    national: Option<f64>,
    /// The heading of its panel, instead of the unit's.
    heading: Option<&'static str>,
}

impl Line {
    /// A line without benchmarks.
    pub(crate) fn new(id: &str, label: &str, unit: Unit, values: Vec<Option<f64>>) -> Line {
        Line {
            id: id.to_owned(),
            label: label.to_owned(),
            unit,
            values,
            stat_neighbour: None,
            national: None,
            heading: None,
        }
    }

    /// The line with its panel headed `heading` (e.g. "Days") rather than by its unit.
    pub(crate) fn headed(self, heading: &'static str) -> Line {
        Line {
            heading: Some(heading),
            ..self
        }
    }

    fn max(&self) -> f64 {
        self.values
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    }

    fn has_benchmark(&self) -> bool {
        self.stat_neighbour.is_some() || self.national.is_some()
    }
}

/// The lines of a section's rows, one per indicator (11.5's team groups share one, over all
/// groups): the series where there is one, else the row's own months.
pub(crate) fn section_lines(data: &ReportData, rows: &[&Row], months: &[Month]) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    for row in rows {
        let i = &row.indicator;
        if lines.iter().any(|l| l.id == i.id) {
            continue;
        }
        let values = match data.series_of(&i.id) {
            Some(s) => months.iter().map(|m| s.value_in(*m)).collect(),
            None => months.iter().map(|m| data.row_value(row, *m)).collect(),
        };
        let grouped = if row.group.is_some() {
            " (all team groups)"
        } else {
            ""
        };
        lines.push(Line {
            id: i.id.clone(),
            label: format!("{} {}{grouped}", i.id, i.title),
            unit: i.unit,
            values,
            stat_neighbour: row.benchmarks.stat_neighbour_average,
            national: row.benchmarks.national_average,
            heading: None,
        });
    }
    lines
}

/// A chart panel: lines of one unit (and, for counts, of one order of magnitude).
struct Panel<'a> {
    title: String,
    unit: Unit,
    lines: Vec<&'a Line>,
}

const MAX_LINES_PER_PANEL: usize = 5;

fn unit_heading(unit: Unit) -> &'static str {
    match unit {
        Unit::Percent => "Percentages",
        Unit::Count => "Counts",
        Unit::RatePer10000 => "Rate per 10,000",
        Unit::AverageDays => "Average days",
        Unit::AverageCount => "Average cases",
    }
}

/// Groups lines into readable panels: by unit; counts further by order of magnitude (a line
/// whose peak is under a fifth of its panel's largest starts another, lines all zero join any);
/// at most five per panel.
fn panels(lines: &[Line]) -> Vec<Panel<'_>> {
    let mut units: Vec<Unit> = Vec::new();
    for l in lines {
        if !units.contains(&l.unit) {
            units.push(l.unit);
        }
    }
    let mut out = Vec::new();
    for unit in units {
        let of_unit: Vec<&Line> = lines.iter().filter(|l| l.unit == unit).collect();
        let clusters = if unit == Unit::Count {
            magnitude_clusters(&of_unit)
        } else {
            vec![of_unit]
        };
        for cluster in clusters {
            let n = cluster.len().div_ceil(MAX_LINES_PER_PANEL).max(1);
            let size = cluster.len().div_ceil(n).max(1);
            for chunk in cluster.chunks(size) {
                let ids: Vec<&str> = chunk.iter().map(|l| l.id.as_str()).collect();
                let heading = chunk
                    .first()
                    .and_then(|l| l.heading)
                    .unwrap_or(unit_heading(unit));
                out.push(Panel {
                    title: format!("{heading}: {}", ids.join(", ")),
                    unit,
                    lines: chunk.to_vec(),
                });
            }
        }
    }
    out
}

fn magnitude_clusters<'a>(lines: &[&'a Line]) -> Vec<Vec<&'a Line>> {
    let mut order: Vec<(usize, &Line)> = lines.iter().copied().enumerate().collect();
    order.sort_by(|a, b| b.1.max().total_cmp(&a.1.max()).then(a.0.cmp(&b.0)));
    let mut clusters: Vec<(f64, Vec<(usize, &Line)>)> = Vec::new();
    for (k, l) in order {
        match clusters.last_mut() {
            Some((top, members)) if l.max() * 5.0 >= *top || l.max() <= 0.0 || *top <= 0.0 => {
                members.push((k, l))
            }
            _ => clusters.push((l.max(), vec![(k, l)])),
        }
    }
    for (_, members) in &mut clusters {
        members.sort_by_key(|(k, _)| *k);
    }
    clusters.sort_by_key(|(_, members)| members.first().map_or(0, |(k, _)| *k));
    clusters
        .into_iter()
        .map(|(_, members)| members.into_iter().map(|(_, l)| l).collect())
        .collect()
}

/// A "nice" axis: top and step, from 0 up to at least `max`, about four steps.
fn nice_scale(max: f64, unit: Unit) -> (f64, f64) {
    let max = if max.is_finite() && max > 0.0 {
        max
    } else if unit == Unit::Percent {
        100.0
    } else {
        4.0
    };
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    let mut step = nice * magnitude;
    if unit == Unit::Count {
        step = step.ceil().max(1.0);
    }
    let top = (max / step).ceil() * step;
    (top.max(step), step)
}

fn tick_label(unit: Unit, v: f64, step: f64) -> String {
    let s = if step.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    };
    if unit == Unit::Percent { s + "%" } else { s }
}

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];
const PANEL_W: f64 = 580.0;
const PANEL_GAP: f64 = 20.0;
const PLOT_TOP: f64 = 30.0;
const PLOT_H: f64 = 180.0;
const PLOT_LEFT: f64 = 50.0;
const PLOT_RIGHT: f64 = 72.0;
const LEGEND_ROW: f64 = 16.0;

fn colour(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

fn panel_height(p: &Panel<'_>) -> f64 {
    let bench = p.lines.iter().any(|l| l.has_benchmark());
    let rows = p.lines.len() + usize::from(bench);
    PLOT_TOP + PLOT_H + 30.0 + rows as f64 * LEGEND_ROW + 8.0
}

/// One section's chart: its panels two to a row, in one inline SVG.
pub(crate) fn chart(name: &str, lines: &[Line], months: &[Month]) -> String {
    let panels = panels(lines);
    let columns = if panels.len() > 1 { 2 } else { 1 };
    let width = columns as f64 * PANEL_W + (columns - 1) as f64 * PANEL_GAP;
    let mut body = String::new();
    let mut y = 0.0;
    for row in panels.chunks(columns) {
        let height = row.iter().map(panel_height).fold(0.0, f64::max);
        for (k, p) in row.iter().enumerate() {
            let x = k as f64 * (PANEL_W + PANEL_GAP);
            body.push_str(&panel(p, months, x, y));
        }
        y += height + 12.0;
    }
    if panels.is_empty() {
        body.push_str("<text x=\"8\" y=\"20\" font-size=\"12\">No indicators.</text>\n");
        y = 32.0;
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {y:.0}\" \
         width=\"{width:.0}\" height=\"{y:.0}\" role=\"img\" aria-label=\"{}\">\n{body}</svg>\n",
        escape(&format!("{name}: monthly trend"))
    )
}

/// Where a panel's plot sits, and how months and values map onto it.
struct Frame {
    /// The panel's left edge.
    ox: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    /// The value at the top of the y axis, and between grid lines.
    y_top: f64,
    step: f64,
    months: usize,
}

impl Frame {
    /// The frame of panel `p` at (`ox`, `oy`): its y axis reaches the largest value or
    /// benchmark of its lines.
    fn new(p: &Panel<'_>, months: usize, ox: f64, oy: f64) -> Frame {
        let mut max = p.lines.iter().map(|l| l.max()).fold(0.0, f64::max);
        for l in &p.lines {
            for b in [l.stat_neighbour, l.national].into_iter().flatten() {
                if b.is_finite() {
                    max = max.max(b);
                }
            }
        }
        let (y_top, step) = nice_scale(max, p.unit);
        let top = oy + PLOT_TOP;
        Frame {
            ox,
            left: ox + PLOT_LEFT,
            right: ox + PANEL_W - PLOT_RIGHT,
            top,
            bottom: top + PLOT_H,
            y_top,
            step,
            months: months.max(1),
        }
    }

    /// The x of the `i`th month.
    fn x(&self, i: usize) -> f64 {
        if self.months == 1 {
            (self.left + self.right) / 2.0
        } else {
            self.left + i as f64 * (self.right - self.left) / (self.months - 1) as f64
        }
    }

    /// The y of value `v`.
    fn y(&self, v: f64) -> f64 {
        self.bottom - (v / self.y_top) * PLOT_H
    }
}

/// One panel: title, grid, months, benchmarks, lines and legend.
fn panel(p: &Panel<'_>, months: &[Month], ox: f64, oy: f64) -> String {
    let frame = Frame::new(p, months.len(), ox, oy);
    let mut s = format!(
        "<g class=\"panel\">\n<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"600\">{}</text>\n",
        ox + 4.0,
        oy + 16.0,
        escape(&p.title)
    );
    s.push_str(&grid(&frame, p.unit));
    s.push_str(&month_axis(&frame, months));
    s.push_str(&benchmark_lines(&frame, p));
    for (k, l) in p.lines.iter().enumerate() {
        s.push_str(&series(&frame, l, colour(k), months));
    }
    s.push_str(&legend(&frame, p));
    s.push_str("</g>\n");
    s
}

/// Horizontal grid lines with the y axis's labels, and the y axis.
fn grid(f: &Frame, unit: Unit) -> String {
    let (left, right) = (f.left, f.right);
    let mut s = String::new();
    let mut v = 0.0;
    while v <= f.y_top + f.step * 1e-9 {
        let y = f.y(v);
        s.push_str(&format!(
            "<line x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"1\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text>\n",
            if v == 0.0 { "#888" } else { "#e3e6ea" },
            left - 6.0,
            y + 3.5,
            escape(&tick_label(unit, v, f.step))
        ));
        v += f.step;
    }
    s.push_str(&format!(
        "<line x1=\"{left:.1}\" y1=\"{:.1}\" x2=\"{left:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\n",
        f.top, f.bottom
    ));
    s
}

/// A tick and a label per month under the plot.
fn month_axis(f: &Frame, months: &[Month]) -> String {
    let bottom = f.bottom;
    let mut s = String::new();
    for (i, m) in months.iter().enumerate() {
        let x = f.x(i);
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{bottom:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#888\"/>\n\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"9.5\" text-anchor=\"middle\">{}</text>\n",
            bottom + 4.0,
            bottom + 16.0,
            escape(&month_label(*m))
        ));
    }
    s
}

/// Benchmarks as dashed (statistical neighbours) and dotted (national) lines under the series,
/// labelled at the right, the labels kept apart.
fn benchmark_lines(f: &Frame, p: &Panel<'_>) -> String {
    let (left, right) = (f.left, f.right);
    let mut s = String::new();
    let mut labels: Vec<(f64, String, &str)> = Vec::new();
    for (k, l) in p.lines.iter().enumerate() {
        let colour = colour(k);
        for (b, dash, name) in [(l.stat_neighbour, "7 4", "SN"), (l.national, "2 3", "Nat")] {
            let Some(b) = b.filter(|b| b.is_finite()) else {
                continue;
            };
            let y = f.y(b);
            let what = if name == "SN" {
                "statistical-neighbour average"
            } else {
                "national average"
            };
            s.push_str(&format!(
                "<line class=\"benchmark\" x1=\"{left:.1}\" y1=\"{y:.1}\" x2=\"{right:.1}\" y2=\"{y:.1}\" \
                 stroke=\"{colour}\" stroke-width=\"1.3\" stroke-dasharray=\"{dash}\" opacity=\"0.85\">\
                 <title>{}</title></line>\n",
                escape(&format!("{} {what}: {}", l.id, show(l.unit, Some(b))))
            ));
            labels.push((y, format!("{} {}", name, show(l.unit, Some(b))), colour));
        }
    }
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut last = f64::NEG_INFINITY;
    for (y, text, colour) in &mut labels {
        *y = y.max(last + 11.0);
        last = *y;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9.5\" style=\"fill:{colour}\">{}</text>\n",
            right + 4.0,
            *y + 3.0,
            escape(text)
        ));
    }
    s
}

/// One line: a polyline per run of months with a value, and a dot per value.
fn series(f: &Frame, l: &Line, colour: &str, months: &[Month]) -> String {
    let mut s = format!(
        "<g class=\"series\" data-indicator=\"{}\">\n",
        escape(&l.id)
    );
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, s: &mut String| {
        if run.len() > 1 {
            s.push_str(&format!(
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" \
                 stroke-linejoin=\"round\" points=\"{}\"/>\n",
                run.join(" ")
            ));
        }
        run.clear();
    };
    for (i, v) in l.values.iter().enumerate() {
        match v.filter(|v| v.is_finite()) {
            Some(v) => run.push(format!("{:.1},{:.1}", f.x(i), f.y(v))),
            None => flush(&mut run, &mut s),
        }
    }
    flush(&mut run, &mut s);
    for (i, (v, m)) in l.values.iter().zip(months).enumerate() {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            s.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.6\" fill=\"{colour}\"><title>{}</title></circle>\n",
                f.x(i),
                f.y(v),
                escape(&format!(
                    "{} {}: {}",
                    l.id,
                    month_label(*m),
                    show(l.unit, Some(v))
                ))
            ));
        }
    }
    s.push_str("</g>\n");
    s
}

/// A row per line under the plot, then one for the benchmarks' dashes when there are any.
fn legend(f: &Frame, p: &Panel<'_>) -> String {
    let ox = f.ox;
    let mut s = String::new();
    let mut ly = f.bottom + 34.0;
    for (k, l) in p.lines.iter().enumerate() {
        s.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"2.5\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>\n",
            ox + 6.0,
            ly - 4.0,
            ox + 28.0,
            ly - 4.0,
            colour(k),
            ox + 34.0,
            ly,
            escape(&truncate(&l.label, 88))
        ));
        ly += LEGEND_ROW;
    }
    if p.lines.iter().any(|l| l.has_benchmark()) {
        s.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-width=\"1.3\" stroke-dasharray=\"7 4\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">SN: statistical-neighbour average</text>\n\
             <line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#555\" stroke-width=\"1.3\" stroke-dasharray=\"2 3\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">Nat: national average</text>\n",
            ox + 6.0,
            ox + 28.0,
            ox + 34.0,
            ly,
            ox + 250.0,
            ox + 272.0,
            ox + 278.0,
            ly,
            y = ly - 4.0,
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::super::model::fixtures::{month, report};
    use super::*;

    fn line(id: &str, unit: Unit, values: &[Option<f64>]) -> Line {
        Line {
            id: id.to_owned(),
            label: format!("{id} title"),
            unit,
            values: values.to_vec(),
            stat_neighbour: None,
            national: None,
            heading: None,
        }
    }

    #[test]
    fn a_line_may_head_its_panel() {
        let lines = [line("a", Unit::AverageDays, &[Some(2.0)]).headed("Days")];
        assert_eq!(panels(&lines)[0].title, "Days: a");
    }

    #[test]
    fn scales_are_round_and_reach_the_largest_value() {
        assert_eq!(nice_scale(41.666, Unit::Percent), (60.0, 20.0));
        assert_eq!(nice_scale(623.0, Unit::Count), (800.0, 200.0));
        assert_eq!(nice_scale(7.0, Unit::Count), (8.0, 2.0));
        // Counts step by whole numbers; nothing to show still gets an axis.
        assert_eq!(nice_scale(0.5, Unit::Count), (1.0, 1.0));
        assert_eq!(nice_scale(0.0, Unit::Count), (4.0, 1.0));
        assert_eq!(nice_scale(f64::NAN, Unit::Percent), (100.0, 25.0));
        assert_eq!(tick_label(Unit::Percent, 20.0, 20.0), "20%");
        assert_eq!(tick_label(Unit::AverageDays, 2.5, 2.5), "2.5");
    }

    #[test]
    fn panels_keep_one_unit_and_counts_of_one_magnitude_at_most_five_lines() {
        let mut lines = vec![
            line("6.5", Unit::Percent, &[Some(40.0)]),
            line("6.1", Unit::Count, &[Some(600.0)]),
            line("6.3", Unit::Count, &[Some(40.0)]),
            line("6.4", Unit::Count, &[Some(30.0), None]),
            line("6.6", Unit::Percent, &[None]),
            line("7.1", Unit::Count, &[Some(0.0)]),
        ];
        for k in 0..5 {
            lines.push(line(&format!("8.{k}"), Unit::Percent, &[Some(50.0)]));
        }
        let titles: Vec<String> = panels(&lines).into_iter().map(|p| p.title).collect();
        assert_eq!(
            titles,
            [
                "Percentages: 6.5, 6.6, 8.0, 8.1",
                "Percentages: 8.2, 8.3, 8.4",
                "Counts: 6.1",
                "Counts: 6.3, 6.4, 7.1",
            ]
        );
    }

    #[test]
    fn a_section_has_one_line_per_indicator_from_its_series() {
        let data = report();
        let months = data.months();
        let rows: Vec<&Row> = data.scorecard.rows.iter().collect();
        let lines = section_lines(&data, &rows, &months);
        let summary: Vec<(&str, &str, usize, Option<f64>)> = lines
            .iter()
            .map(|l| {
                let known = l.values.iter().flatten().count();
                (l.id.as_str(), l.label.as_str(), known, l.stat_neighbour)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "6.5",
                    "6.5 % ceased due to permanence (SGO, residence/child arrangements order, adoption)",
                    12,
                    Some(12.9)
                ),
                (
                    "6.4",
                    "6.4 Children who ceased to be looked after",
                    13,
                    None
                ),
                // No series of 11.5 here: the group's own two months.
                (
                    "11.5",
                    "11.5 Average cases per qualified social worker, per team group (all team groups)",
                    2,
                    None
                ),
            ]
        );
    }

    #[test]
    fn a_chart_draws_grid_months_benchmarks_runs_dots_and_legend() {
        let months = [month("2018-03"), month("2018-04"), month("2018-05")];
        let mut l = line("6.5", Unit::Percent, &[Some(10.0), Some(20.0), None]);
        l.stat_neighbour = Some(15.0);
        expect![[r##"
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 580 292" width="580" height="292" role="img" aria-label="LOOKED &lt;AFTER&gt;: monthly trend">
            <g class="panel">
            <text x="4.0" y="16.0" font-size="13" font-weight="600">Percentages: 6.5</text>
            <line x1="50.0" y1="210.0" x2="508.0" y2="210.0" stroke="#888" stroke-width="1"/>
            <text x="44.0" y="213.5" font-size="10" text-anchor="end">0%</text>
            <line x1="50.0" y1="165.0" x2="508.0" y2="165.0" stroke="#e3e6ea" stroke-width="1"/>
            <text x="44.0" y="168.5" font-size="10" text-anchor="end">5%</text>
            <line x1="50.0" y1="120.0" x2="508.0" y2="120.0" stroke="#e3e6ea" stroke-width="1"/>
            <text x="44.0" y="123.5" font-size="10" text-anchor="end">10%</text>
            <line x1="50.0" y1="75.0" x2="508.0" y2="75.0" stroke="#e3e6ea" stroke-width="1"/>
            <text x="44.0" y="78.5" font-size="10" text-anchor="end">15%</text>
            <line x1="50.0" y1="30.0" x2="508.0" y2="30.0" stroke="#e3e6ea" stroke-width="1"/>
            <text x="44.0" y="33.5" font-size="10" text-anchor="end">20%</text>
            <line x1="50.0" y1="30.0" x2="50.0" y2="210.0" stroke="#888"/>
            <line x1="50.0" y1="210.0" x2="50.0" y2="214.0" stroke="#888"/>
            <text x="50.0" y="226.0" font-size="9.5" text-anchor="middle">Mar-18</text>
            <line x1="279.0" y1="210.0" x2="279.0" y2="214.0" stroke="#888"/>
            <text x="279.0" y="226.0" font-size="9.5" text-anchor="middle">Apr-18</text>
            <line x1="508.0" y1="210.0" x2="508.0" y2="214.0" stroke="#888"/>
            <text x="508.0" y="226.0" font-size="9.5" text-anchor="middle">May-18</text>
            <line class="benchmark" x1="50.0" y1="75.0" x2="508.0" y2="75.0" stroke="#1f77b4" stroke-width="1.3" stroke-dasharray="7 4" opacity="0.85"><title>6.5 statistical-neighbour average: 15.0%</title></line>
            <text x="512.0" y="78.0" font-size="9.5" style="fill:#1f77b4">SN 15.0%</text>
            <g class="series" data-indicator="6.5">
            <polyline fill="none" stroke="#1f77b4" stroke-width="2" stroke-linejoin="round" points="50.0,120.0 279.0,30.0"/>
            <circle cx="50.0" cy="120.0" r="2.6" fill="#1f77b4"><title>6.5 Mar-18: 10.0%</title></circle>
            <circle cx="279.0" cy="30.0" r="2.6" fill="#1f77b4"><title>6.5 Apr-18: 20.0%</title></circle>
            </g>
            <line x1="6.0" y1="240.0" x2="28.0" y2="240.0" stroke="#1f77b4" stroke-width="2.5"/>
            <text x="34.0" y="244.0" font-size="11">6.5 title</text>
            <line x1="6.0" y1="256.0" x2="28.0" y2="256.0" stroke="#555" stroke-width="1.3" stroke-dasharray="7 4"/>
            <text x="34.0" y="260.0" font-size="11">SN: statistical-neighbour average</text>
            <line x1="250.0" y1="256.0" x2="272.0" y2="256.0" stroke="#555" stroke-width="1.3" stroke-dasharray="2 3"/>
            <text x="278.0" y="260.0" font-size="11">Nat: national average</text>
            </g>
            </svg>
        "##]]
        .assert_eq(&chart("LOOKED <AFTER>", &[l], &months));
    }

    #[test]
    fn a_section_without_lines_says_so() {
        let svg = chart("EMPTY", &[], &[]);
        assert!(svg.contains(">No indicators.</text>"), "{svg}");
        assert!(svg.contains("viewBox=\"0 0 580 32\""), "{svg}");
    }
}
