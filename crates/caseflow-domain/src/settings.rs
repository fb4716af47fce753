//! The settings INDICATORS.md names (choices councils make differently), with their defaults,
//! and each authority's own: [`AuthorityOverrides`] resolved over the defaults into
//! [`SettingsByAuthority`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::codes::{PlacementType, Provider};
use crate::scorecard::{BenchmarkSetting, ScorecardSettings, TargetSetting, is_financial_year};
use crate::workdays::WorkingCalendar;
use crate::{FinancialYear, La};

/// Every setting of the indicator definitions. Deserialized from the `[indicators]` table of the
/// configuration; unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// 6.2: the under-18 population per financial year, e.g. `"2018/19" = 56630`.
    pub population_under_18: BTreeMap<String, u32>,
    /// 6.9: months a health assessment stays up to date for a child under 5.
    pub health_interval_under5_months: i32,
    /// 6.9: months a health assessment stays up to date for a child aged 5 or over.
    pub health_interval_months: i32,
    /// 6.10: months a dental check stays up to date.
    pub dental_interval_months: i32,
    /// 6.12, 6.13: the youngest age counted for PEPs.
    pub pep_min_age: i32,
    /// 6.14: months a care plan stays up to date.
    pub plan_interval_months: i32,
    /// Care leavers: the age at which ordinary support ends (21; later law 25).
    pub care_leaver_max_age: i32,
    /// 10.4: the DfE A10 variant (adopted by own foster carers: move-in is the start of the
    /// placement with those carers).
    pub a1_foster_carer_adjustment: bool,
    /// 6.16: the local visiting standard, in days.
    pub local_visit_interval_days: i64,
    /// 11.x: team groups, e.g. `"LAC 1-3" = ["LAC1", "LAC2", "LAC3"]`.
    pub team_groups: BTreeMap<String, Vec<String>>,
    /// Bank holidays beyond the rules and listed one-off changes (YYYY-MM-DD).
    pub extra_bank_holidays: Vec<time::Date>,
    /// 8.3: family-based placement types.
    pub family_based: Vec<PlacementType>,
    /// 9.1, 9.2: fostering placements excluding family and friends carers.
    pub fostering_excluding_family_friends: Vec<PlacementType>,
    /// 8.5: commissioned providers.
    pub commissioned: Vec<Provider>,
    /// 8.4: placed with parents.
    pub placed_with_parents: Vec<PlacementType>,
}

impl Default for Settings {
    fn default() -> Self {
        use PlacementType::*;
        Settings {
            population_under_18: BTreeMap::new(),
            health_interval_under5_months: 6,
            health_interval_months: 12,
            dental_interval_months: 12,
            pep_min_age: 5,
            plan_interval_months: 6,
            care_leaver_max_age: 21,
            a1_foster_carer_adjustment: false,
            local_visit_interval_days: 28,
            team_groups: BTreeMap::new(),
            extra_bank_holidays: Vec::new(),
            family_based: vec![U1, U2, U3, U4, U5, U6, Q1, Q2, A3, A4, A5, A6, P1],
            fostering_excluding_family_friends: vec![U4, U5, U6, Q2],
            commissioned: vec![Provider::PR4, Provider::PR5],
            placed_with_parents: vec![P1],
        }
    }
}

impl Settings {
    pub fn population(&self, year: FinancialYear) -> Option<u32> {
        self.population_under_18.get(&year.to_string()).copied()
    }

    pub fn calendar(&self) -> WorkingCalendar {
        WorkingCalendar::new(self.extra_bank_holidays.iter().copied())
    }

    /// The settings whose values differ from `before`, each as `name: before → now`, in the
    /// order the fields are declared. Names every field (a new one must be added here).
    pub fn differences(&self, before: &Settings) -> Vec<String> {
        // Destructured, so that a field missing from the list does not compile.
        macro_rules! differences {
            ($($field:ident),*) => {{
                let Settings { $($field),* } = self;
                let mut out = Vec::new();
                $(
                    if *$field != before.$field {
                        out.push(format!(
                            "{}: {:?} → {:?}",
                            stringify!($field),
                            before.$field,
                            $field
                        ));
                    }
                )*
                out
            }};
        }
        differences!(
            population_under_18,
            health_interval_under5_months,
            health_interval_months,
            dental_interval_months,
            pep_min_age,
            plan_interval_months,
            care_leaver_max_age,
            a1_foster_carer_adjustment,
            local_visit_interval_days,
            team_groups,
            extra_bank_holidays,
            family_based,
            fostering_excluding_family_friends,
            commissioned,
            placed_with_parents
        )
    }

    /// Names every population year not of the form `2018/19`.
    pub fn problems(&self) -> Vec<String> {
        population_problems(&self.population_under_18)
    }
}

fn population_problems(population: &BTreeMap<String, u32>) -> Vec<String> {
    population
        .keys()
        .filter(|y| !is_financial_year(y))
        .map(|y| format!("population_under_18 year {y:?} is not of the form 2018/19"))
        .collect()
}

/// One authority's own settings: an `[authorities."372"]` section of the configuration. What it
/// sets replaces the defaults (`[indicators]` and the scorecard settings) for that authority
/// only; what it leaves out is the defaults'.
///
/// Only settings read when figures are asked for differ by authority: none of them is baked
/// into the projections, so a change takes effect when caseflow restarts. The settings the
/// derivations read (intervals, code lists, ...) are the install's, in `[indicators]`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthorityOverrides {
    /// 6.2: the authority's under-18 population per financial year. Replaces the defaults'
    /// table as a whole: a year it does not list has no population (6.2 says so).
    pub population_under_18: Option<BTreeMap<String, u32>>,
    /// 11.x and the team-group breakdown: the authority's LAC team groups, replacing the
    /// defaults' as a whole.
    pub team_groups: Option<BTreeMap<String, Vec<String>>>,
    /// Targets and tolerances: each replaces the defaults' target of the same indicator and
    /// financial year.
    pub targets: Vec<TargetSetting>,
    /// Benchmarks (statistical neighbours differ by authority): each replaces the defaults'
    /// benchmarks of the same indicator.
    pub benchmarks: Vec<BenchmarkSetting>,
}

impl AuthorityOverrides {
    /// Names every setting that is not valid: population years, targets' and benchmarks'
    /// indicators and years.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self
            .population_under_18
            .as_ref()
            .map(population_problems)
            .unwrap_or_default();
        let scorecard = ScorecardSettings {
            targets: self.targets.clone(),
            benchmarks: self.benchmarks.clone(),
        };
        out.extend(scorecard.problems());
        out
    }
}

/// The settings one authority's figures are presented with: the defaults with its own section
/// (if any) laid over them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuthoritySettings {
    pub indicators: Settings,
    pub scorecard: ScorecardSettings,
    /// Whether the authority has a section of its own (else these are the defaults).
    pub own_section: bool,
}

impl AuthoritySettings {
    /// Why authority `la` has no 6.2 figure in some of `years` (its population is not
    /// configured for them), or `None` when every year has a population. With no years, asks
    /// whether any population is configured at all.
    pub fn population_missing(&self, la: La, years: &[FinancialYear]) -> Option<String> {
        let hint = format!("set population_under_18 in [authorities.\"{la}\"]");
        if self.indicators.population_under_18.is_empty() {
            return Some(format!(
                "no under-18 population is configured for authority {la}: {hint}"
            ));
        }
        let missing: BTreeSet<FinancialYear> = years
            .iter()
            .copied()
            .filter(|y| self.indicators.population(*y).is_none())
            .collect();
        if missing.is_empty() {
            return None;
        }
        let years: Vec<String> = missing.iter().map(ToString::to_string).collect();
        Some(format!(
            "no under-18 population is configured for authority {la} in {}: {hint}",
            years.join(", ")
        ))
    }
}

/// The settings of every authority of an install: the defaults, and those of the authorities
/// with a section of their own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsByAuthority {
    defaults: AuthoritySettings,
    own: BTreeMap<La, AuthoritySettings>,
}

impl SettingsByAuthority {
    /// The defaults (`indicators`, `scorecard`) with each authority's section laid over them.
    pub fn new(
        indicators: Settings,
        scorecard: ScorecardSettings,
        sections: &BTreeMap<La, AuthorityOverrides>,
    ) -> SettingsByAuthority {
        let defaults = AuthoritySettings {
            indicators,
            scorecard,
            own_section: false,
        };
        let own = sections
            .iter()
            .map(|(la, o)| (*la, defaults.overridden(o)))
            .collect();
        SettingsByAuthority { defaults, own }
    }

    /// The settings of authority `la`: its own, or the defaults.
    pub fn of(&self, la: La) -> &AuthoritySettings {
        self.own.get(&la).unwrap_or(&self.defaults)
    }

    /// The settings of authorities without a section.
    pub fn defaults(&self) -> &AuthoritySettings {
        &self.defaults
    }

    /// The authorities with a section of their own.
    pub fn authorities(&self) -> impl Iterator<Item = La> + '_ {
        self.own.keys().copied()
    }
}

impl AuthoritySettings {
    fn overridden(&self, o: &AuthorityOverrides) -> AuthoritySettings {
        let mut indicators = self.indicators.clone();
        if let Some(p) = &o.population_under_18 {
            indicators.population_under_18 = p.clone();
        }
        if let Some(g) = &o.team_groups {
            indicators.team_groups = g.clone();
        }
        let mut targets = o.targets.clone();
        targets.extend(
            self.scorecard
                .targets
                .iter()
                .filter(|d| {
                    !o.targets
                        .iter()
                        .any(|t| t.indicator == d.indicator && t.year == d.year)
                })
                .cloned(),
        );
        let mut benchmarks = o.benchmarks.clone();
        benchmarks.extend(
            self.scorecard
                .benchmarks
                .iter()
                .filter(|d| !o.benchmarks.iter().any(|b| b.indicator == d.indicator))
                .cloned(),
        );
        AuthoritySettings {
            indicators,
            scorecard: ScorecardSettings {
                targets,
                benchmarks,
            },
            own_section: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Indicator;

    fn la(code: &str) -> La {
        La::parse(code).unwrap()
    }

    fn target(indicator: &str, year: &str, green: f64) -> TargetSetting {
        TargetSetting {
            indicator: indicator.into(),
            year: year.into(),
            green: Some(green),
            amber: None,
            range: None,
            range_tolerance_percent: None,
        }
    }

    fn benchmark(indicator: &str, sn: f64) -> BenchmarkSetting {
        BenchmarkSetting {
            indicator: indicator.into(),
            stat_neighbour_average: Some(sn),
            ..Default::default()
        }
    }

    /// Defaults like the shipped configuration's: 372's population for two years, two team
    /// groups, targets for 6.2 in two years and 6.7, a benchmark for 6.2 and 6.8.
    fn install(sections: &[(&str, AuthorityOverrides)]) -> SettingsByAuthority {
        let indicators = Settings {
            population_under_18: BTreeMap::from([
                ("2017/18".into(), 56_580),
                ("2018/19".into(), 56_600),
            ]),
            team_groups: BTreeMap::from([
                (
                    "LAC 1-3".into(),
                    vec!["LAC1".into(), "LAC2".into(), "LAC3".into()],
                ),
                ("LAC 4-5".into(), vec!["LAC4".into(), "LAC5".into()]),
            ]),
            ..Settings::default()
        };
        let scorecard = ScorecardSettings {
            targets: vec![
                target("6.2", "2017/18", 99.0),
                target("6.2", "2018/19", 99.1),
                target("6.7", "2018/19", 95.0),
            ],
            benchmarks: vec![benchmark("6.2", 81.3), benchmark("6.8", 18.9)],
        };
        let sections = sections
            .iter()
            .map(|(code, o)| (la(code), o.clone()))
            .collect();
        SettingsByAuthority::new(indicators, scorecard, &sections)
    }

    #[test]
    fn an_authority_without_a_section_has_the_defaults() {
        let all = install(&[(
            "373",
            AuthorityOverrides {
                population_under_18: Some(BTreeMap::from([("2018/19".into(), 41_000)])),
                ..Default::default()
            },
        )]);
        let other = all.of(la("372"));
        assert_eq!(other, all.defaults());
        assert!(!other.own_section);
        assert_eq!(
            other.indicators.population(FinancialYear(2018)),
            Some(56_600)
        );
        assert_eq!(all.authorities().collect::<Vec<_>>(), vec![la("373")]);
    }

    #[test]
    fn a_section_replaces_population_and_team_groups_whole_and_keeps_the_rest() {
        let all = install(&[(
            "373",
            AuthorityOverrides {
                population_under_18: Some(BTreeMap::from([("2018/19".into(), 41_000)])),
                team_groups: Some(BTreeMap::from([(
                    "Children in care".into(),
                    vec!["CIC".into()],
                )])),
                ..Default::default()
            },
        )]);
        let own = all.of(la("373"));
        assert!(own.own_section);
        assert_eq!(own.indicators.population(FinancialYear(2018)), Some(41_000));
        // The defaults' 2017/18 population is 372's, not 373's: not inherited.
        assert_eq!(own.indicators.population(FinancialYear(2017)), None);
        assert_eq!(
            own.indicators.team_groups.keys().collect::<Vec<_>>(),
            vec!["Children in care"]
        );
        // Not set by the section: the defaults'.
        assert_eq!(own.indicators.care_leaver_max_age, 21);
        assert_eq!(own.scorecard, all.defaults().scorecard);
    }

    #[test]
    fn a_sections_targets_and_benchmarks_replace_the_same_indicators_only() {
        let all = install(&[(
            "373",
            AuthorityOverrides {
                targets: vec![target("6.2", "2018/19", 60.0)],
                benchmarks: vec![benchmark("6.2", 55.0)],
                ..Default::default()
            },
        )]);
        let own = &all.of(la("373")).scorecard;
        let green = |i: Indicator, y: i32| own.target(i, FinancialYear(y)).and_then(|t| t.green);
        assert_eq!(green(Indicator::Rate, 2018), Some(60.0));
        // Another year of the same indicator, and other indicators: the defaults'.
        assert_eq!(green(Indicator::Rate, 2017), Some(99.0));
        assert_eq!(green(Indicator::ReviewsOnTime, 2018), Some(95.0));
        let sn = |i: Indicator| own.benchmark(i).and_then(|b| b.stat_neighbour_average);
        assert_eq!(sn(Indicator::Rate), Some(55.0));
        assert_eq!(sn(Indicator::Adopted), Some(18.9));
        // The defaults are untouched.
        let defaults = &all.of(la("372")).scorecard;
        assert_eq!(
            defaults
                .target(Indicator::Rate, FinancialYear(2018))
                .and_then(|t| t.green),
            Some(99.1)
        );
    }

    #[test]
    fn a_missing_population_is_stated_with_its_years() {
        let all = install(&[(
            "373",
            AuthorityOverrides {
                population_under_18: Some(BTreeMap::from([("2018/19".into(), 41_000)])),
                ..Default::default()
            },
        )]);
        let own = all.of(la("373"));
        assert_eq!(
            own.population_missing(la("373"), &[FinancialYear(2018)]),
            None
        );
        assert_eq!(
            own.population_missing(
                la("373"),
                &[
                    FinancialYear(2016),
                    FinancialYear(2018),
                    FinancialYear(2016)
                ]
            )
            .as_deref(),
            Some(
                "no under-18 population is configured for authority 373 in 2016/17: \
                 set population_under_18 in [authorities.\"373\"]"
            )
        );
        let none = AuthoritySettings::default();
        assert_eq!(
            none.population_missing(la("201"), &[]).as_deref(),
            Some(
                "no under-18 population is configured for authority 201: \
                 set population_under_18 in [authorities.\"201\"]"
            )
        );
    }

    #[test]
    fn problems_name_bad_years_and_unknown_indicators() {
        let o = AuthorityOverrides {
            population_under_18: Some(BTreeMap::from([("2018/2019".into(), 1)])),
            targets: vec![target("6.99", "2018/19", 1.0)],
            ..Default::default()
        };
        assert_eq!(
            o.problems(),
            vec![
                "population_under_18 year \"2018/2019\" is not of the form 2018/19".to_owned(),
                "target for unknown indicator \"6.99\"".to_owned(),
            ]
        );
    }

    #[test]
    fn differences_name_each_changed_setting() {
        let before = Settings::default();
        let mut now = before.clone();
        now.local_visit_interval_days = 42;
        now.commissioned = vec![Provider::PR4];
        assert_eq!(
            now.differences(&before),
            vec![
                "local_visit_interval_days: 28 → 42".to_owned(),
                "commissioned: [PR4, PR5] → [PR4]".to_owned(),
            ]
        );
        assert!(before.differences(&before).is_empty());
    }
}
