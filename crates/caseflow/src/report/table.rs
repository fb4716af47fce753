//! The report as aligned text: one table per section, the last three months, YTD, direction of
//! travel, RAG, target and benchmarks; ANSI colours for a terminal on request.

use caseflow_domain::Month;
use caseflow_domain::scorecard::Rag;

use super::model::{ReportData, Row};
use super::show::{
    month_label, month_long, polarity_label, rag_label, show, show_benchmark, thresholds, truncate,
};

const TITLE_WIDTH: usize = 46;

fn pad_left(s: &str, width: usize) -> String {
    let n = s.chars().count();
    " ".repeat(width.saturating_sub(n)) + s
}

fn pad_right(s: &str, width: usize) -> String {
    let n = s.chars().count();
    s.to_owned() + &" ".repeat(width.saturating_sub(n))
}

/// ANSI colours, or none.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn paint(self, code: &str, s: String) -> String {
        if self.0 && !code.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s
        }
    }
}

/// The report as aligned text, one table per section; `colour` adds ANSI colours to the RAG and
/// the direction of travel (for a terminal).
pub(crate) fn render(data: &ReportData, colour: bool) -> String {
    let card = &data.scorecard;
    let paint = Paint(colour);
    let months = data.months();
    let shown = &months[months.len().saturating_sub(3)..];
    let mut out = format!(
        "Corporate Parenting monthly performance report: authority {}, {} (financial year {})\n",
        card.la,
        month_long(card.month),
        card.financial_year
    );
    let header = header(shown);
    for section in card.sections() {
        out.push('\n');
        out.push_str(&paint.paint("1", section.name.clone()));
        out.push('\n');
        out.push_str(&paint.paint("2", header.clone()));
        out.push('\n');
        for row in &section.rows {
            out.push_str(&line(data, row, shown, paint));
            out.push('\n');
            if let Some(why) = &row.indicator.unavailable {
                out.push_str(&format!("      (no figure: {why})\n"));
            }
        }
    }
    out.push_str(&footnotes(data, shown));
    out
}

/// The marker of a value revised since the publication compared with.
const REVISED: &str = "*";

/// The footnote of the revised values shown: each one's old and new value, and the
/// publication it differs from.
fn footnotes(data: &ReportData, shown: &[Month]) -> String {
    let Some(revised) = &data.revised else {
        return String::new();
    };
    let marked: Vec<_> = data
        .revisions_shown()
        .into_iter()
        .filter(|(_, f)| shown.contains(&f.month))
        .collect();
    if marked.is_empty() {
        return String::new();
    }
    let p = &revised.publication;
    let mut out = format!(
        "\n{REVISED} Revised since \"{}\" ({} report, published {} by {}):\n",
        p.title,
        month_long(p.month),
        p.published_at,
        p.who
    );
    for (row, f) in marked {
        let u = row.indicator.unit;
        let records = match f.records {
            Some(1) => ", 1 record since".to_owned(),
            Some(n) => format!(", {n} records since"),
            None => String::new(),
        };
        out.push_str(&format!(
            "  {} {} {}: {} → {}{records}\n",
            pad_right(&row.indicator.id, 5),
            row_title(row, TITLE_WIDTH).trim_end(),
            month_label(f.month),
            show(u, f.published),
            show(u, f.now),
        ));
    }
    out
}

fn header(shown: &[Month]) -> String {
    let mut header = format!(
        "{} {} {}",
        pad_right("No.", 5),
        pad_right("Indicator", TITLE_WIDTH),
        pad_right("Good", 5)
    );
    for m in shown {
        header.push_str(&pad_left(&month_label(*m), 9));
    }
    header.push_str(&pad_left("YTD", 9));
    header.push_str(&format!(
        "  {} {} {}",
        pad_right("DOT", 3),
        pad_right("RAG", 6),
        pad_left("Target", 10)
    ));
    for b in ["SN ave", "Best SN", "Nat ave", "Nat TQ"] {
        header.push_str(&pad_left(b, 9));
    }
    header
}

/// A title cut to `width` characters, with the team group (if any) kept.
fn row_title(row: &Row, width: usize) -> String {
    let title = &row.indicator.title;
    match &row.group {
        None => truncate(title, width),
        Some(group) => {
            let suffix = format!(" ({group})");
            let room = width.saturating_sub(suffix.chars().count());
            truncate(title, room) + &suffix
        }
    }
}

/// One row, without trailing blanks.
fn line(data: &ReportData, row: &Row, shown: &[Month], paint: Paint) -> String {
    let i = &row.indicator;
    let mut line = format!(
        "{} {} {}",
        pad_right(&i.id, 5),
        pad_right(&row_title(row, TITLE_WIDTH), TITLE_WIDTH),
        pad_right(polarity_label(i.polarity), 5)
    );
    let marks = data.revised.as_ref().is_some_and(|r| !r.figures.is_empty());
    for m in shown {
        let value = show(i.unit, data.row_value(row, *m));
        if marks {
            let mark = if data.revision(row, *m).is_some() {
                REVISED
            } else {
                " "
            };
            line.push_str(&pad_left(&value, 8));
            line.push_str(mark);
        } else {
            line.push_str(&pad_left(&value, 9));
        }
    }
    line.push_str(&pad_left(&show(i.unit, row.current.ytd_value), 9));
    let (arrow, class) = row.dot();
    let dot_colour = match class {
        "improved" => "32",
        "declined" => "31",
        _ => "",
    };
    let rag_colour = match row.rag {
        Some(Rag::Red) => "1;31",
        Some(Rag::Amber) => "1;33",
        Some(Rag::Green) => "1;32",
        None => "",
    };
    line.push_str("  ");
    line.push_str(&paint.paint(dot_colour, pad_right(arrow, 3)));
    line.push(' ');
    line.push_str(&paint.paint(rag_colour, pad_right(&rag_label(row.rag).to_uppercase(), 6)));
    let [_, _, target] = thresholds(row);
    line.push(' ');
    line.push_str(&pad_left(&target, 10));
    for b in row.benchmarks.columns() {
        line.push_str(&pad_left(&show_benchmark(i.unit, b), 9));
    }
    line.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use caseflow_domain::indicators::{Polarity, Unit};
    use expect_test::expect;

    use super::super::model::fixtures::{indicator, report, row};
    use super::*;

    #[test]
    fn sections_list_the_last_three_months_ytd_dot_rag_target_and_benchmarks() {
        expect![[r#"
            Corporate Parenting monthly performance report: authority 372, May 2018 (financial year 2018/19)

            LOOKED AFTER CHILDREN
            No.   Indicator                                      Good    Mar-18   Apr-18   May-18      YTD  DOT RAG        Target   SN ave  Best SN  Nat ave   Nat TQ
            6.5   % ceased due to permanence (SGO, residence/ch… High     33.3%    25.0%    41.7%    41.7%  ↑   GREEN        35%+    12.9%             12.0%
            6.4   Children who ceased to be looked after         High         3        5        2        7  ↓   AMBER          3+

            SOCIAL WORKER CASELOADS
            No.   Indicator                                      Good    Mar-18   Apr-18   May-18      YTD  DOT RAG        Target   SN ave  Best SN  Nat ave   Nat TQ
            11.5  Average cases per qualified social … (LAC 1-3) Range        -     18.0     21.5        -  ↑   RED         14–20
        "#]]
        .assert_eq(&render(&report(), false));
    }

    #[test]
    fn colours_mark_the_rag_and_a_judged_direction_only_when_asked() {
        let data = report();
        let coloured = render(&data, true);
        let line = |id: &str| {
            coloured
                .lines()
                .find(|l| l.starts_with(&format!("{id} ")))
                .unwrap()
                .to_owned()
        };
        assert!(line("6.5").contains("\x1b[32m↑  \x1b[0m \x1b[1;32mGREEN \x1b[0m"));
        assert!(line("6.4").contains("\x1b[31m↓  \x1b[0m \x1b[1;33mAMBER \x1b[0m"));
        // Up, but not judged: no colour on the arrow.
        assert!(line("11.5").contains("  ↑   \x1b[1;31mRED   \x1b[0m"));
        assert!(coloured.contains("\x1b[1mLOOKED AFTER CHILDREN\x1b[0m"));
        assert!(!render(&data, false).contains('\x1b'));
    }

    #[test]
    fn an_indicator_without_a_figure_says_why_under_its_row() {
        let mut data = report();
        let mut rate = row(
            indicator("6.2", "Rate per 10,000", Polarity::Low, Unit::RatePer10000),
            None,
        );
        rate.indicator.unavailable = Some("no under-18 population is configured".into());
        data.scorecard.rows = vec![rate];
        data.series.clear();
        let table = render(&data, false);
        let lines: Vec<&str> = table
            .lines()
            .skip_while(|l| !l.starts_with("6.2"))
            .collect();
        assert_eq!(
            lines[1],
            "      (no figure: no under-18 population is configured)"
        );
    }

    #[test]
    fn revised_values_are_marked_with_a_footnote_of_old_and_new_values() {
        // 6.5 of March (30% then, 33.3% now) and 6.4 of April (4 then, 5 now) were revised
        // since "Panel 19 June 2018".
        let data = super::super::model::revised_fixture::revised_report();
        expect![[r#"
            Corporate Parenting monthly performance report: authority 372, May 2018 (financial year 2018/19)

            LOOKED AFTER CHILDREN
            No.   Indicator                                      Good    Mar-18   Apr-18   May-18      YTD  DOT RAG        Target   SN ave  Best SN  Nat ave   Nat TQ
            6.5   % ceased due to permanence (SGO, residence/ch… High    33.3%*   25.0%    41.7%     41.7%  ↑   GREEN        35%+    12.9%             12.0%
            6.4   Children who ceased to be looked after         High        3        5*       2         7  ↓   AMBER          3+

            SOCIAL WORKER CASELOADS
            No.   Indicator                                      Good    Mar-18   Apr-18   May-18      YTD  DOT RAG        Target   SN ave  Best SN  Nat ave   Nat TQ
            11.5  Average cases per qualified social … (LAC 1-3) Range       -     18.0     21.5         -  ↑   RED         14–20

            * Revised since "Panel 19 June 2018" (April 2018 report, published 2018-05-20T12:00:00Z by a.analyst):
              6.5   % ceased due to permanence (SGO, residence/ch… Mar-18: 30.0% → 33.3%, 1 record since
              6.4   Children who ceased to be looked after Apr-18: 4 → 5, 2 records since
        "#]]
        .assert_eq(&render(&data, false));
    }

    #[test]
    fn missing_values_show_as_dashes_and_no_rag_as_blank() {
        let mut data = report();
        data.scorecard.rows = vec![row(
            indicator("9.1", "Number in fostering", Polarity::High, Unit::Count),
            Some(420.0),
        )];
        data.series.clear();
        let table = render(&data, false);
        let line = table.lines().find(|l| l.starts_with("9.1")).unwrap();
        assert_eq!(
            line,
            "9.1   Number in fostering                            High         -        -      420        -  –             not set"
        );
    }
}
