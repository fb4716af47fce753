//! `caseflow import-903` against a real nats-server and a running caseflow: two years' returns
//! written as the DfE publishes them, imported one after the other, the same files again, and
//! the figures the history implies.

use std::path::Path;

use caseflow::ssda903::{self, Table};
use caseflow_domain::La;
use caseflow_tests::*;

const EPISODES: &str =
    "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN";

fn write(dir: &Path, name: &str, lines: &[&str]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), lines.join("\r\n") + "\r\n").unwrap();
}

/// Two returns of authority 372:
/// - 2016/17: C1 admitted 1 June 2016 (still looked after at 31 March); C2 admitted 15 January
///   2017 and home on 20 February (E4A); a review of C1; C3 registered, not looked after.
/// - 2017/18: C1's episode again, now closed by a placement move on 10 September 2017 that
///   ends with a return to family on 5 January 2018 (E13); C3 admitted 1 February 2018; C4's
///   admission names a legal status that does not exist (ZZ); a review of C1.
fn returns(root: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let first = root.join("2016-17");
    write(
        &first,
        "header.csv",
        &[
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB",
            "C1,1,01/05/2008,WBRI,,,",
            "C2,2,10/01/2012,WBRI,,,",
            "C3,1,01/03/2001,WBRI,,,",
        ],
    );
    write(
        &first,
        "episodes.csv",
        &[
            EPISODES,
            "C1,01/06/2016,S,C2,N1,U4,PR1,,,,AB1 2CD,AB3 4EF,",
            "C2,15/01/2017,S,V2,N2,U6,PR1,20/02/2017,E4A,,AB1 2CD,AB3 4EF,",
        ],
    );
    write(
        &first,
        "reviews.csv",
        &[
            "CHILD,DOB,REVIEW,REVIEW_CODE",
            "C1,01/05/2008,10/08/2016,PN1",
        ],
    );
    let second = root.join("2017-18");
    write(
        &second,
        "header.csv",
        &[
            "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB",
            "C1,1,01/05/2008,WBRI,,,",
            "C3,1,01/03/2001,WBRI,,,",
            "C4,2,01/01/2015,WBRI,,,",
        ],
    );
    write(
        &second,
        "episodes.csv",
        &[
            EPISODES,
            "C1,01/06/2016,S,C2,N1,U4,PR1,10/09/2017,X1,,,,",
            "C1,10/09/2017,P,C2,N1,U6,PR4,05/01/2018,E13,CARPL,,,",
            "C3,01/02/2018,S,C1,N1,K2,PR4,,,,,,",
            "C4,01/03/2018,S,ZZ,N1,U4,PR1,,,,,,",
        ],
    );
    write(
        &second,
        "reviews.csv",
        &[
            "CHILD,DOB,REVIEW,REVIEW_CODE",
            "C1,01/05/2008,01/12/2017,PN1",
        ],
    );
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_returns_imported_in_turn_give_one_history_and_its_figures() {
    let nats = TestNats::start();
    let cf = TestCaseflow::start(&nats).await;
    let root = tempfile::tempdir().unwrap();
    let (first, second) = returns(root.path());
    let la = La::parse("372").unwrap();
    let bar = indicatif::ProgressBar::hidden();

    // 2016/17: three registrations, C1's admission, C2's admission and discharge, a review.
    let report = ssda903::import(cf.log(), la, std::slice::from_ref(&first), 64, &bar)
        .await
        .unwrap();
    assert_eq!((report.appended, report.duplicates), (7, 0));
    assert!(report.refused.is_empty() && report.failed.is_empty());
    assert_eq!(report.rows[&Table::Episodes], 2);
    // The same files again: nothing new.
    let again = ssda903::import(cf.log(), la, std::slice::from_ref(&first), 64, &bar)
        .await
        .unwrap();
    assert_eq!((again.appended, again.duplicates), (0, 7));
    // 2017/18: C4's registration; C1's placement move and discharge (its admission is held);
    // C3's admission; the review. C1's and C3's registrations are held. C4's admission refused.
    let next = ssda903::import(cf.log(), la, std::slice::from_ref(&second), 64, &bar)
        .await
        .unwrap();
    assert_eq!((next.appended, next.duplicates), (5, 3));
    assert_eq!(next.refused.len(), 1);
    let refused = &next.refused[0];
    assert_eq!(refused.origin.file, second.join("episodes.csv"));
    assert_eq!(refused.origin.line, 5);
    assert_eq!(refused.reason, "unknown_code");
    assert!(refused.message.contains("ZZ"), "{}", refused.message);
    let summary = ssda903::summary(&next);
    assert!(
        summary
            .contains("events appended: 5; already held (duplicates absorbed): 3; rows refused: 1"),
        "{summary}"
    );
    assert!(summary.contains("refused unknown_code: 1"), "{summary}");
    assert!(
        summary.contains("episodes.csv:5 (Episodes): refused (unknown_code)"),
        "{summary}"
    );
    // Both years at once, after both: nothing new.
    let both = ssda903::import(cf.log(), la, &[first, second], 64, &bar)
        .await
        .unwrap();
    assert_eq!((both.appended, both.duplicates), (0, 12));

    cf.caught_up().await;
    // Children looked after at each month end, June 2016 to March 2018: C1 from June 2016 to
    // December 2017; C2 in January 2017 only; C3 from February 2018.
    let mut looked_after = vec![1; 7]; // June to December 2016
    looked_after.extend([2, 1]); // January, February 2017
    looked_after.extend(vec![1; 10]); // March to December 2017
    looked_after.extend([0, 1, 1]); // January to March 2018
    assert_eq!(
        cf.series("372", "6.1", "2016-06", "2018-03").await,
        looked_after
    );
    // Admissions: C1 (June 2016), C2 (January 2017), C3 (February 2018); discharges: C2
    // (February 2017), C1 (January 2018).
    let admissions = cf.series("372", "6.3", "2016-06", "2018-03").await;
    let months_with = |series: &[i64]| -> Vec<usize> {
        series
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, _)| i)
            .collect()
    };
    assert_eq!(months_with(&admissions), vec![0, 7, 20]);
    assert_eq!(admissions.iter().sum::<i64>(), 3);
    let ceased = cf.series("372", "6.4", "2016-06", "2018-03").await;
    assert_eq!(months_with(&ceased), vec![8, 19]);
    assert_eq!(ceased.iter().sum::<i64>(), 2);
    // C1's placements: the move is there, from the 903 episode.
    let timeline = cf.timeline("372", "C1").await;
    assert!(format!("{timeline:?}").contains("U6"), "{timeline:?}");
    cf.stop().await;
}

/// The indicators a 903 history carries whole: looked-after numbers, admissions and
/// discharges and their reasons, reviews, placements, adoption timeliness.
const CARRIED_BY_903: &[&str] = &[
    "6.1", "6.3", "6.4", "6.5", "6.6", "6.7", "6.8", "8.1", "8.2", "8.3", "8.4", "8.5", "9.1",
    "9.2", "10.1", "10.2", "10.3", "10.4", "10.5",
];

/// Indicators made of facts no 903 table holds.
const NOT_CARRIED_BY_903: &[&str] = &[
    "6.12", "6.13", "6.14", "6.15", "6.16", "7.2", "7.3", "9.3", "9.4", "9.5", "11.1", "11.4",
];

/// A simulated authority's two years exported to 903 year by year, and the files imported into
/// an empty caseflow: every indicator a 903 history carries is the same, month by month
/// (numerator, denominator, value, RAG), as the original's; those it does not carry are
/// reported as not recorded, not as zeros.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_exported_year_by_year_and_imported_again_has_the_same_figures() {
    use caseflow::ssda903::export;
    use caseflow_domain::FinancialYear;
    let sim = caseflow::commands::last_years(caseflow_sim::SimConfig::like_seed(5, "372"), 2);
    let la = La::parse("372").unwrap();
    let (_nats, original) = simulated(&sim, "372").await;

    // Every year from the first admission's to the last month's.
    let children = ssda903::children(original.log(), la).await.unwrap();
    let first = children
        .iter()
        .flat_map(|(_, t)| t.periods.iter().map(|p| p.start))
        .min()
        .unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut folders = Vec::new();
    for year in FinancialYear::of(first).0..=FinancialYear::of(sim.end).0 {
        let folder = root
            .path()
            .join(FinancialYear(year).to_string().replace('/', "-"));
        ssda903::write_tables(&folder, &export::tables(FinancialYear(year), &children)).unwrap();
        folders.push(folder);
    }

    let nats = TestNats::start();
    let copy = TestCaseflow::start(&nats).await;
    let bar = indicatif::ProgressBar::hidden();
    let report = ssda903::import(copy.log(), la, &folders, 64, &bar)
        .await
        .unwrap();
    assert!(report.refused.is_empty(), "{}", ssda903::summary(&report));
    assert!(report.appended > 0);
    copy.caught_up().await;

    let (from, to) = ("2016-06", "2018-05");
    let mut differ = Vec::new();
    for indicator in CARRIED_BY_903 {
        let (was, is) = (
            original.series_months("372", indicator, from, to).await,
            copy.series_months("372", indicator, from, to).await,
        );
        assert_eq!(was.len(), 24);
        assert!(
            was.iter()
                .any(|m| m.denominator.unwrap_or(0) != 0 || m.numerator != 0),
            "{indicator} is empty"
        );
        if was != is {
            let months: Vec<String> = was
                .iter()
                .zip(&is)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| {
                    format!(
                        "{}: {}/{:?} -> {}/{:?}",
                        a.month, a.numerator, a.denominator, b.numerator, b.denominator
                    )
                })
                .collect();
            differ.push(format!("{indicator}: {}", months.join(", ")));
        }
    }
    assert!(
        differ.is_empty(),
        "after the 903 round trip:\n{}",
        differ.join("\n")
    );
    // What a 903 history does not carry is reported as such, not as zeros: the copy has no
    // PEP, plan, visit, pathway plan, household or worker events.
    let unavailable = |cf: &TestCaseflow| {
        let mut figures = cf.figures();
        async move {
            figures
                .list_indicators(caseflow_proto::v2::ListIndicatorsRequest {
                    la: "372".to_owned(),
                })
                .await
                .unwrap()
                .into_inner()
                .indicators
                .into_iter()
                .filter(|i| !i.unavailable.is_empty())
                .map(|i| (i.id, i.unavailable))
                .collect::<std::collections::BTreeMap<String, String>>()
        }
    };
    let before = unavailable(&original).await;
    assert!(
        !before
            .keys()
            .any(|id| NOT_CARRIED_BY_903.contains(&id.as_str())),
        "{before:?}"
    );
    let after = unavailable(&copy).await;
    for id in NOT_CARRIED_BY_903 {
        let reason = after.get(*id).map(String::as_str).unwrap_or_default();
        assert!(reason.contains("has recorded no"), "{id}: {reason:?}");
        let months = copy.series_months("372", id, from, to).await;
        assert!(months.iter().all(|m| m.value.is_none()), "{id}: {months:?}");
    }
    assert_eq!(
        after["6.15"],
        "authority 372 has recorded no visitMade events, which 6.15 is made of: no figure until \
         they arrive (its history may come from a source without them, such as an SSDA903 \
         return)"
    );
    for id in CARRIED_BY_903 {
        assert!(!after.contains_key(*id), "{id}: {after:?}");
    }
    original.stop().await;
    copy.stop().await;
}

/// The validator's rules an export cannot satisfy, because their inputs are fields no event
/// carries (docs/ssda903.md lists them with the same reasons).
const RULES_OUT_OF_SCOPE: &[(&str, &str)] = &[
    ("103", "ETHNIC"),
    ("442", "UPN"),
    ("165", "MOTHER"),
    ("393", "MOTHER"),
    ("607", "MOTHER"),
    ("169", "PL_LA"),
    ("1015", "PL_LA"),
    ("179", "PL_LOCATION"),
    ("392a", "PL_DISTANCE"),
    ("392b", "HOME_POST, PL_POST"),
    (
        "436",
        "a new placement with the same codes is told apart by PL_POST and URN",
    ),
    ("186", "SDQ_SCORE"),
    ("197B", "SDQ_REASON"),
    ("191", "IMMUNISATIONS, SUBSTANCE_MISUSE"),
    ("543", "CONVICTED"),
    ("545", "HEALTH_CHECK (the under-fives' development check)"),
    ("151", "FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR"),
    ("601", "FOSTER_CARE, NB_ADOPTR, SEX_ADOPTR, LS_ADOPTR"),
    ("630", "PrevPerm (previous permanence)"),
    ("SW03STG1", "SW_REASON"),
    ("SW13STG1", "SW_REASON"),
    (
        "SW02STG1",
        "SW_ID in the national form: caseflow holds the case system's worker ids",
    ),
    (
        "EPI",
        "a warning for care leavers with no episode in the year, whom OC3 rightly holds",
    ),
];

/// A rule whose check, as the validator codes it, flags histories the DfE's definitions allow;
/// why; and the children it may flag, told by their exported episodes (any other child it
/// flags fails the test).
type Limit = (&'static str, &'static str, fn(&[Episode]) -> bool);

const VALIDATOR_LIMITS: &[Limit] = &[
    (
        "SW12STG2",
        "a child who left care and came back in the year: every social-worker episode would have \
         to start both by the first period's end and on or after the next one's start",
        left_and_came_back,
    ),
    (
        "187",
        "a child adopted on 31 March: the validator takes only an end before 31 March as \
         leaving care, so holds the child as looked after all year (and not to be in AD1)",
        adopted_on_31_march,
    ),
];

/// The cells of an exported Episodes row the limits read.
struct Episode {
    decom: time::Date,
    rne: String,
    dec: Option<time::Date>,
    rec: String,
}

fn left_and_came_back(episodes: &[Episode]) -> bool {
    episodes.iter().any(|left| {
        let ended = left
            .dec
            .filter(|_| !left.rec.is_empty() && left.rec != "X1");
        ended.is_some_and(|dec| episodes.iter().any(|e| e.rne == "S" && e.decom >= dec))
    })
}

fn adopted_on_31_march(episodes: &[Episode]) -> bool {
    episodes.iter().any(|e| {
        matches!(e.rec.as_str(), "E11" | "E12")
            && e.dec
                .is_some_and(|d| (d.month(), d.day()) == (time::Month::March, 31))
    })
}

/// Each child's exported episodes.
fn episodes_by_child(rows: &[Vec<String>]) -> std::collections::BTreeMap<String, Vec<Episode>> {
    let columns = Table::Episodes.columns();
    let at = |name: &str| columns.iter().position(|c| *c == name).unwrap();
    let format = time::macros::format_description!("[day]/[month]/[year]");
    let day = |cell: &str| time::Date::parse(cell, format).ok();
    let mut out = std::collections::BTreeMap::<String, Vec<Episode>>::new();
    for row in rows {
        out.entry(row[at("CHILD")].clone())
            .or_default()
            .push(Episode {
                decom: day(&row[at("DECOM")]).unwrap(),
                rne: row[at("RNE")].clone(),
                dec: day(&row[at("DEC")]),
                rec: row[at("REC")].clone(),
            });
    }
    out
}

/// A simulated authority's 2023/24 return, exported, passes every rule of the DfE community's
/// validator (`csc-validator-be-903`, installed by `./dev` from deploy/tools-requirements.txt)
/// but those whose inputs no event carries, and those whose coded check cannot be met (for the
/// children named above only): 271 rules run. The simulated case system records every field
/// the return requires (`SimConfig::without_recording_gaps`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_year_passes_the_903_validator() {
    use caseflow::ssda903::export;
    let mut sim = caseflow_sim::SimConfig::like_seed(9, "372").without_recording_gaps();
    sim.start = time::macros::date!(2021 - 04 - 01);
    sim.end = time::macros::date!(2024 - 03 - 31);
    let (_nats, cf) = simulated(&sim, "372").await;
    let children = ssda903::children(cf.log(), La::parse("372").unwrap())
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let tables = export::tables(caseflow_domain::FinancialYear(2023), &children);
    assert!(tables[&Table::Episodes].len() > 100);
    ssda903::write_tables(out.path(), &tables).unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".tools/venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: ./dev --list installs the tools (deploy/tools-requirements.txt)",
        python.display()
    );
    let ran = std::process::Command::new(python)
        .arg(root.join("deploy/tools/validate_903.py"))
        .arg(out.path())
        .args(["2024", "lac2023_24"])
        .output()
        .unwrap();
    assert!(
        ran.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let found: serde_json::Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert!(found["ran"].as_u64().unwrap() > 100, "{found}");
    assert_eq!(
        found["failed"],
        serde_json::json!([]),
        "rules that could not run"
    );
    let episodes = episodes_by_child(&tables[&Table::Episodes]);
    // Whether every child `rule` flagged is one its limit may flag.
    let within_limit = |rule: &str| {
        let Some((_, _, may_flag)) = VALIDATOR_LIMITS.iter().find(|(r, ..)| *r == rule) else {
            return false;
        };
        found["children"][rule]
            .as_array()
            .unwrap()
            .iter()
            .all(|child| {
                episodes
                    .get(child.as_str().unwrap())
                    .is_some_and(|e| may_flag(e))
            })
    };
    let errors: Vec<(String, u64)> = found["errors"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(rule, _)| !RULES_OUT_OF_SCOPE.iter().any(|(r, _)| r == rule))
        .filter(|(rule, _)| !within_limit(rule))
        .map(|(rule, rows)| (rule.clone(), rows.as_u64().unwrap()))
        .collect();
    assert!(
        errors.is_empty(),
        "rules failed on the export: {errors:?}\nchildren flagged: {}",
        found["children"]
    );
    cf.stop().await;
}
