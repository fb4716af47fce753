//! The report as CSV (RFC 4180): a header, then one record per scorecard row.

use super::model::{ReportData, Row, Scorecard, Thresholds};
use super::show::{basis_name, plain, polarity_name, travel_and_rag_names, unit_name};

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

pub(crate) fn line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The column names: fixed, then one per trend year (`trend_2017/18`), then the four
/// benchmarks, then the comparison with a published report: the value it showed for the month
/// and the month before (empty when it did not show them), each one's revision (now minus
/// published; empty when unchanged) and the publication's title.
pub(crate) fn header(card: &Scorecard) -> Vec<String> {
    let mut h: Vec<String> = [
        "id",
        "group",
        "title",
        "polarity",
        "unit",
        "basis",
        "month",
        "value",
        "numerator",
        "denominator",
        "previous",
        "ytd",
        "direction",
        "judgement",
        "rag",
        "green",
        "amber",
        "range_low",
        "range_high",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    h.extend(card.trend_years().into_iter().map(|y| format!("trend_{y}")));
    h.extend(
        [
            "stat_neighbour_average",
            "best_stat_neighbour",
            "national_average",
            "national_top_quartile",
            "published_value",
            "revision",
            "published_previous",
            "previous_revision",
            "compared_with",
        ]
        .map(str::to_owned),
    );
    h
}

pub(crate) fn render(data: &ReportData) -> String {
    let card = &data.scorecard;
    let mut out = line(&header(card));
    let years = card.trend_years();
    let number = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v}"));
    let threshold = |pick: fn(&Thresholds) -> Option<f64>, row: &Row| {
        number(row.thresholds.as_ref().and_then(pick))
    };
    for row in &card.rows {
        let i = &row.indicator;
        let u = i.unit;
        let [direction, judgement, rag] = travel_and_rag_names(row);
        let mut f = vec![
            i.id.clone(),
            row.group.clone().unwrap_or_default(),
            i.title.clone(),
            polarity_name(i.polarity).to_owned(),
            unit_name(u).to_owned(),
            basis_name(i.basis).to_owned(),
            card.month.to_string(),
            plain(u, row.current.value),
            row.current.numerator.to_string(),
            number_of(row.current.denominator),
            plain(u, row.previous.value),
            plain(u, row.current.ytd_value),
            direction.to_owned(),
            judgement.to_owned(),
            rag.to_owned(),
            threshold(|t| t.green, row),
            threshold(|t| t.amber, row),
            threshold(|t| t.range_low, row),
            threshold(|t| t.range_high, row),
        ];
        f.extend(years.iter().map(|y| plain(u, row.trend_value(*y))));
        f.extend(row.benchmarks.columns().map(|b| plain(u, b)));
        for m in [&row.current, &row.previous] {
            f.push(plain(u, data.published_value(row, m.month).flatten()));
            f.push(plain(u, revision(data, row, m.month)));
        }
        f.push(
            data.revised
                .as_ref()
                .map_or(String::new(), |r| r.publication.title.clone()),
        );
        out.push_str(&line(&f));
    }
    out
}

/// Now minus published, for a revised figure.
pub(crate) fn revision(data: &ReportData, row: &Row, month: caseflow_domain::Month) -> Option<f64> {
    let f = data.revision(row, month)?;
    Some(f.now.unwrap_or(0.0) - f.published.unwrap_or(0.0))
}

fn number_of(n: Option<i64>) -> String {
    n.map_or(String::new(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::super::model::fixtures::{report, report_with_a_nasty_title};
    use super::*;

    #[test]
    fn one_record_per_row_under_the_header() {
        expect![[r#"
            id,group,title,polarity,unit,basis,month,value,numerator,denominator,previous,ytd,direction,judgement,rag,green,amber,range_low,range_high,trend_2014/15,trend_2015/16,trend_2016/17,trend_2017/18,stat_neighbour_average,best_stat_neighbour,national_average,national_top_quartile,published_value,revision,published_previous,previous_revision,compared_with
            6.5,,"% ceased due to permanence (SGO, residence/child arrangements order, adoption)",high,percent,in_month,2018-05,41.7,5,12,25.0,41.7,up,improved,green,35,33,,,,,30.0,,12.9,,12.0,,,,,,
            6.4,,Children who ceased to be looked after,high,count,in_month,2018-05,2,2,,5,7,down,declined,amber,3,2,,,,,,,,,,,,,,,
            11.5,LAC 1-3,"Average cases per qualified social worker, per team group",within_range,average_count,month_end,2018-05,21.5,2150,100,18.0,,up,not_judged,red,,,14,20,,,,,,,,,,,,,
        "#]]
        .assert_eq(&render(&report()).replace("\r\n", "\n"));
    }

    #[test]
    fn revised_figures_carry_the_published_value_and_the_revision() {
        // Compared with the April 2018 report: it showed April (6.4 published 4, now 5: a
        // revision of +1; 6.5 25.0%, unchanged) but not May.
        let csv = render(&super::super::model::revised_fixture::revised_report());
        let last5 = |id: &str| -> Vec<String> {
            let line = csv
                .lines()
                .find(|l| l.starts_with(&format!("{id},")))
                .unwrap();
            let fields: Vec<&str> = line.split(',').collect();
            fields[fields.len() - 5..]
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        assert_eq!(last5("6.4"), ["", "", "4", "1", "Panel 19 June 2018"]);
        assert_eq!(last5("6.5"), ["", "", "25.0", "", "Panel 19 June 2018"]);
    }

    #[test]
    fn every_line_ends_with_crlf_and_has_the_header_width() {
        let csv = render(&report());
        assert!(csv.ends_with("\r\n"));
        assert_eq!(csv.matches("\r\n").count(), 4);
        assert_eq!(header(&report().scorecard).len(), 32);
    }

    #[test]
    fn quotes_are_doubled_and_missing_values_empty() {
        let data = report_with_a_nasty_title();
        let csv = render(&data);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[1],
            "6.5,,\"<script>alert(\"\"x\"\")</script>, & 'more'\",high,percent,in_month,2018-05,\
             75.0,3,4,,,,,,,,,,,,,,,,,,,,,,"
        );
        assert!(
            lines[2].starts_with("9.1,,Number in fostering,high,count,in_month,2018-05,420,3,4,,")
        );
        assert_eq!(field(" padded"), "\" padded\"");
    }
}
