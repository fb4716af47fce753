//! The settings INDICATORS.md names (choices councils make differently), with their defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FinancialYear;
use crate::codes::{PlacementType, Provider};
use crate::workdays::WorkingCalendar;

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
}
