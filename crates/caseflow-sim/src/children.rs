//! The life courses of looked-after children: when they come into care (in sibling groups,
//! at the rate that keeps the authority on its trajectory), why and how long they stay, their
//! legal statuses, placements and moves, adoption and long-term matching, and how they leave.
//!
//! This is the structural history only; the routine recording around it (reviews, visits,
//! health, ...) is drawn later by `recording`, carers and social workers by `carers` and
//! `workforce`.

use std::collections::BTreeMap;

use time::{Date, Weekday, macros::date};

use caseflow_domain::calendar::{Month, add_days, age_on, birthday, days_between};
use caseflow_domain::codes::{
    AdoptionReversalReason, CategoryOfNeed, LegalStatus, PlacementChangeReason, PlacementType,
    Provider, ReasonCeased, Sex,
};

use crate::config::SimConfig;
use crate::profile::Profile;
use crate::random::{Draw, SimRng, Stream, stream};

/// Team groups of the LAC service: 0 is LAC 1-3, 1 is LAC 4-5 (younger children, adoption).
pub(crate) const GROUPS: usize = 2;

/// Every child the model ever looked after, and the day the model started.
pub(crate) struct World {
    pub children: Vec<Child>,
}

pub(crate) struct Child {
    pub number: u32,
    pub dob: Date,
    pub sex: Sex,
    pub periods: Vec<Period>,
}

impl Child {
    pub fn id(&self) -> String {
        format!("C{:06}", self.number)
    }
}

/// Why a period of care happens: it decides how long it lasts and how it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Back to parents or family after weeks to months.
    Home,
    /// SHOBPA, placement order, match, placed for adoption, adoption order.
    Adoption,
    /// A special guardianship order.
    Sgo,
    /// A child arrangements (residence) order.
    Cao,
    /// In care until 16-18 (or home after years).
    LongTerm,
    /// Admitted at 16 or 17, leaves at 18.
    AgeOut,
    /// Remanded (J1).
    Remand,
    /// Police protection, EPO or PACE for a few days.
    Brief,
    /// Transferred to another authority, moved abroad, other reasons.
    Other,
    /// A series of short breaks (V3/V4): ignored by every indicator.
    ShortBreak,
}

/// The kind of place a child lives in: decides the placement type, provider and carer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setting {
    Foster,
    FamilyFriends,
    FosterForAdoption,
    Adopters,
    Residential,
    Secure,
    SemiIndependent,
    IndependentLiving,
    Parents,
    MotherBaby,
    School,
    Custody,
    ShortBreakUnit,
    Elsewhere,
}

/// One period of care: `start` inclusive, `end` exclusive (possibly after the history ends).
pub(crate) struct Period {
    pub start: Date,
    pub end: Date,
    pub reason: ReasonCeased,
    pub route: Route,
    pub category: Option<CategoryOfNeed>,
    /// Legal statuses in order; the first is the admission's.
    pub legal: Vec<(Date, LegalStatus)>,
    /// The first starts on the day of admission (a period never starts in a temporary
    /// placement: a newborn still in hospital is placed where it goes on leaving it).
    pub stays: Vec<Stay>,
    /// Team group holding the case.
    pub group: usize,
    pub adoption: Option<AdoptionPlan>,
    pub short_break: bool,
}

impl Period {
    pub fn counted(&self) -> bool {
        !self.short_break
    }

    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && day < self.end
    }
}

/// The adoption milestones that are events of their own (placement order and placement are
/// a legal status and a placement).
pub(crate) struct AdoptionPlan {
    /// SHOBPA.
    pub decision: Date,
    /// Placed with the parents' consent (A3/A4), with no placement order.
    pub consent: bool,
    pub matched: Option<Date>,
    pub reversed: Option<(Date, AdoptionReversalReason)>,
}

/// A continuous stay with one carer (a placement in the sense of INDICATORS.md section 1).
pub(crate) struct Stay {
    pub start: Date,
    pub end: Date,
    pub setting: Setting,
    /// Placement types in order with the same carer; the first at `start`.
    pub segments: Vec<(Date, PlacementType)>,
    /// Temporary placements inside the stay, returning to it: (start, return day, type).
    pub temps: Vec<(Date, Date, PlacementType)>,
    /// Why the child moved into this stay (none for the admission's).
    pub reason: Option<PlacementChangeReason>,
    pub provider: Option<Provider>,
    pub carer: Option<String>,
    pub in_area: Option<bool>,
    /// Matched as the child's permanent home on this day.
    pub matched: Option<Date>,
    /// Siblings placed together share a key, so that carers take them together.
    pub together: Option<u32>,
}

impl Stay {
    fn new(start: Date, end: Date, setting: Setting, kind: PlacementType) -> Stay {
        Stay {
            start,
            end,
            setting,
            segments: vec![(start, kind)],
            temps: Vec::new(),
            reason: None,
            provider: None,
            carer: None,
            in_area: None,
            matched: None,
            together: None,
        }
    }

    /// The placement type on `day` (the latest segment started on or before it).
    pub fn kind_on(&self, day: Date) -> PlacementType {
        self.segments
            .iter()
            .take_while(|(d, _)| *d <= day)
            .last()
            .map_or(self.segments[0].1, |(_, k)| *k)
    }
}

/// U codes replaced Q1/Q2 on this day; legacy records carry Q codes before it.
pub(crate) const U_CODES_FROM: Date = date!(2015 - 04 - 01);

/// The first day independent living (P2) is no longer a placement type: the DfE withdrew it
/// from 28 October 2023 (no child looked after lives unregulated); from then on such a
/// placement is semi-independent accommodation (H5, then K3 from April 2024).
const P2_WITHDRAWN: Date = date!(2023 - 10 - 28);

/// The placement type for a setting on `day` (codes valid on that day).
pub(crate) fn kind_for(setting: Setting, day: Date) -> PlacementType {
    use PlacementType as P;
    match setting {
        Setting::Foster => P::U6,
        Setting::FamilyFriends => P::U3,
        Setting::FosterForAdoption => P::U5,
        Setting::Adopters => P::A6,
        Setting::Residential | Setting::ShortBreakUnit => P::K2,
        Setting::Secure => P::K1,
        Setting::IndependentLiving if day < P2_WITHDRAWN => P::P2,
        Setting::SemiIndependent | Setting::IndependentLiving if day >= date!(2024 - 04 - 01) => {
            P::K3
        }
        Setting::SemiIndependent | Setting::IndependentLiving => P::H5,
        Setting::Parents => P::P1,
        Setting::MotherBaby => P::R3,
        Setting::School => P::S1,
        Setting::Custody => P::R5,
        Setting::Elsewhere => P::Z1,
    }
}

/// The first day the model runs: 18 years before the history starts (or before the last ten
/// years, when the history is shorter), so that everyone looked after during the history came
/// into care while the model ran. A later `start` therefore changes what is emitted, not what
/// happens.
pub(crate) fn model_start(config: &SimConfig) -> Date {
    let last_ten_years = Month::of(config.end).plus(-12 * 10);
    Month::of(config.start)
        .min(last_ten_years)
        .plus(-12 * 18)
        .first_day()
}

/// Simulates every child of the authority.
pub(crate) fn simulate(config: &SimConfig, profile: &Profile, la: &str) -> World {
    let mut rng = stream(config.seed, la, Stream::Children, 0);
    let mut sim = Sim {
        profile,
        rng: &mut rng,
        children: Vec::new(),
        families: 0,
    };
    sim.run(config);
    let mut children = sim.children;
    short_breaks(config, profile, la, &mut children);
    World { children }
}

struct Sim<'a> {
    profile: &'a Profile,
    rng: &'a mut SimRng,
    children: Vec<Child>,
    families: u32,
}

/// Things that happen to a placement at a planned day.
#[derive(Clone, Copy, Debug)]
enum Planned {
    /// A move to another setting.
    Move(Setting, PlacementChangeReason),
    /// Placed for adoption: with the current carers when they are the adopters, else a move.
    AdoptivePlacement { consent: bool },
    /// Matched as the permanent home: U6 becomes U4, U3 becomes U1.
    Match,
}

/// What siblings admitted together share with the first of them.
struct Shared {
    route: Route,
    end: Date,
    reason: ReasonCeased,
    legal: Vec<(Date, LegalStatus)>,
    category: Option<CategoryOfNeed>,
    group: usize,
    first_stay: Option<(Setting, Date)>,
    together: u32,
}

impl Sim<'_> {
    fn run(&mut self, config: &SimConfig) {
        let first = Month::of(model_start(config));
        let last = Month::of(config.end);
        let mut ends: BTreeMap<Month, f64> = BTreeMap::new();
        let mut readmissions: BTreeMap<Month, Vec<(usize, Date)>> = BTreeMap::new();
        let mut stock = 0.0_f64;
        for month in first.through(last) {
            let years_before_end = f64::from(last.ordinal() - month.ordinal()) / 12.0;
            let target = self.profile.lac_target(years_before_end);
            let rates = &self.profile.admissions;
            let base = target / rates.turnover_months;
            let leaving = ends.get(&month).copied().unwrap_or(0.0);
            let due_back = readmissions.remove(&month).unwrap_or_default();
            // Admissions keep the authority on its trajectory: replace those leaving this month
            // and close a share of the gap to the target, within bounds around the usual rate.
            let wanted = (leaving + rates.gap_closed * (target - stock) + rates.drift * base)
                .clamp(rates.min_share * base, rates.max_share * base)
                - due_back.len() as f64;
            let mut new_children = self.rng.poisson(wanted.max(0.0)) as usize;
            let mut admitted: Vec<(usize, usize)> = Vec::new();
            for (child, day) in due_back {
                let idx = self.readmit(child, day);
                admitted.push((child, idx));
            }
            while new_children > 0 {
                let size = self
                    .rng
                    .pick(&[(1, 72.0), (2, 16.0), (3, 8.0), (4, 3.0), (5, 0.7), (6, 0.3)])
                    .min(new_children);
                new_children -= size;
                let day = self.admission_day(month);
                for child in self.admit_family(day, size) {
                    admitted.push((child, 0));
                }
            }
            for (child, idx) in admitted {
                let period = &self.children[child].periods[idx];
                stock += 1.0;
                *ends.entry(Month::of(period.end)).or_default() += 1.0;
                if let Some(day) = self.readmission_day(child, idx) {
                    readmissions
                        .entry(Month::of(day))
                        .or_default()
                        .push((child, day));
                }
            }
            // Everyone leaving this month, including those admitted this month for days.
            stock -= ends.remove(&month).unwrap_or(0.0);
        }
    }

    /// A day of `month`, mostly a weekday.
    fn admission_day(&mut self, month: Month) -> Date {
        let len = days_between(month.first_day(), month.last_day());
        loop {
            let day = add_days(month.first_day(), self.rng.int(0, len));
            let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
            if !weekend || self.rng.chance(self.profile.admissions.weekend) {
                return day;
            }
        }
    }

    /// Admits a sibling group of `size` on `day`; returns the children's indexes.
    fn admit_family(&mut self, day: Date, size: usize) -> Vec<usize> {
        self.families += 1;
        let together = self.families;
        let rng = &mut *self.rng;
        // The youngest first; older siblings 1-4 years apart.
        let lead_age_days = if size > 1 {
            rng.pick(&[(0, 25.0), (1, 30.0), (5, 30.0), (10, 15.0)]) * 365 + rng.int(0, 4 * 365)
        } else {
            let years = rng.pick(&[(0, 22.0), (1, 15.0), (5, 12.0), (10, 31.0), (16, 20.0)]);
            match years {
                0 => {
                    // Most babies come into care in their first weeks.
                    if rng.chance(self.profile.admissions.newborn) {
                        rng.int(0, 30)
                    } else {
                        rng.int(30, 364)
                    }
                }
                1 => rng.int(365, 5 * 365 - 1),
                5 => rng.int(5 * 365, 10 * 365 - 1),
                10 => rng.int(10 * 365, 16 * 365 - 1),
                _ => rng.int(16 * 365, 18 * 365 - 20),
            }
        };
        let mut ages = vec![lead_age_days];
        for i in 1..size {
            let gap = self.rng.int(300, 4 * 365);
            ages.push((ages[i - 1] + gap).min(18 * 365 - 20));
        }
        let mut out = Vec::new();
        let mut shared: Option<Shared> = None;
        for age_days in ages {
            let dob = add_days(day, -age_days);
            let number = self.children.len() as u32 + 1;
            let sex = if self.rng.chance(self.profile.admissions.male) {
                Sex::Male
            } else {
                Sex::Female
            };
            let mut child = Child {
                number,
                dob,
                sex,
                periods: Vec::new(),
            };
            let period = self.plan(&child, day, shared.as_ref(), together);
            if shared.is_none() {
                shared = Some(Shared {
                    route: period.route,
                    end: period.end,
                    reason: period.reason,
                    legal: period.legal.clone(),
                    category: period.category,
                    group: period.group,
                    first_stay: period
                        .stays
                        .first()
                        .filter(|s| matches!(s.setting, Setting::Foster | Setting::FamilyFriends))
                        .map(|s| (s.setting, s.end)),
                    together,
                });
            }
            child.periods.push(period);
            self.children.push(child);
            out.push(self.children.len() - 1);
        }
        out
    }

    /// Readmits a child who went home; returns the new period's index.
    fn readmit(&mut self, child: usize, day: Date) -> usize {
        self.families += 1;
        let together = self.families;
        let info = Child {
            number: 0,
            dob: self.children[child].dob,
            sex: self.children[child].sex,
            periods: Vec::new(),
        };
        let period = self.plan(&info, day, None, together);
        let periods = &mut self.children[child].periods;
        periods.push(period);
        periods.len() - 1
    }

    /// Children who went home come back into care now and then.
    fn readmission_day(&mut self, child: usize, idx: usize) -> Option<Date> {
        let c = &self.children[child];
        let p = &c.periods[idx];
        let home = matches!(
            p.reason,
            ReasonCeased::E4A | ReasonCeased::E4B | ReasonCeased::E13 | ReasonCeased::E8
        );
        let rates = &self.profile.admissions;
        if !home || idx >= rates.max_readmissions || !self.rng.chance(rates.readmission) {
            return None;
        }
        let gap = self.rng.lognormal(300.0, 0.8).clamp(30.0, 3000.0) as i64;
        let day = add_days(p.end, gap);
        (day < add_days(birthday(c.dob, 18), -60)).then_some(day)
    }

    /// Plans one period of care from `start` for `child`: its route, how and when it ends, its
    /// legal statuses, its placements and, last, the reasons that depend on where the child
    /// lives at the end. Siblings admitted with a first child (`shared`) mostly follow it.
    fn plan(
        &mut self,
        child: &Child,
        start: Date,
        shared: Option<&Shared>,
        together: u32,
    ) -> Period {
        let age = age_on(child.dob, start);
        let uasc = age >= 14 && shared.is_none() && self.rng.chance(self.profile.uasc_share);
        let mut a = Admission {
            dob: child.dob,
            start,
            age,
            eighteen: birthday(child.dob, 18),
            uasc,
            route: self.route(age, shared, uasc),
        };
        if a.route == Route::Remand && !a.criminally_responsible() {
            // Admitted on the 10th birthday: not yet remanded.
            a.route = Route::Home;
        }
        let care = &self.profile.care;
        let volatile = self.rng.chance(if age >= 10 {
            care.volatile_from_10
        } else {
            care.volatile_under_10
        });
        let category = self.category_of_need(shared, uasc);
        let group = self.team_group(shared, a.route, age);

        let mut planned: Vec<(Date, Planned)> = Vec::new();
        let mut adoption = None;
        let (end, reason) = self.ending(&a, &mut planned, &mut adoption);
        let (end, reason) = final_ending(&a, shared, end, reason);
        // A sibling shares the first child's legal statuses, but on the adoption route each
        // child's placement order follows its own decision to place for adoption.
        let legal = match shared {
            Some(s) if s.route == a.route && a.route != Route::Adoption => {
                s.legal.iter().copied().filter(|(d, _)| *d < end).collect()
            }
            _ => self.legal_path(&a, end, adoption.as_ref(), &planned),
        };
        self.plan_moves(&a, end, &legal, &mut planned);
        planned.retain(|(d, _)| *d > start && *d < end);
        planned.sort_by_key(|(d, _)| *d);

        let stays = self.stays(&a, end, &legal, volatile, planned, shared, together);
        let at_eighteen = end == a.eighteen;
        let reason = self.reason_at_end(reason, at_eighteen, stays.last().map(|s| s.setting));
        Period {
            start,
            end,
            reason,
            route: a.route,
            category,
            legal,
            stays,
            group,
            adoption,
            short_break: false,
        }
    }

    /// The route: a sibling's follows the first child's (by age), an unaccompanied asylum
    /// seeker mostly stays until 18, anyone else's is drawn by age.
    fn route(&mut self, age: i32, shared: Option<&Shared>, uasc: bool) -> Route {
        match shared {
            Some(s) => match s.route {
                Route::Adoption if age >= 7 => Route::LongTerm,
                Route::Adoption | Route::LongTerm => s.route,
                _ if age >= 16 => Route::AgeOut,
                other => other,
            },
            None if uasc => {
                if self.rng.chance(self.profile.care.uasc_age_out) {
                    Route::AgeOut
                } else {
                    Route::Other
                }
            }
            None => self.route_for(age),
        }
    }

    /// The category of need: a sibling's is the first child's, an unaccompanied asylum
    /// seeker's N8; now and then not recorded (with recording gaps).
    fn category_of_need(&mut self, shared: Option<&Shared>, uasc: bool) -> Option<CategoryOfNeed> {
        match shared {
            Some(s) => s.category,
            None if uasc => Some(CategoryOfNeed::N8),
            None => {
                let category = self.rng.pick(&[
                    (CategoryOfNeed::N1, 58.0),
                    (CategoryOfNeed::N2, 3.0),
                    (CategoryOfNeed::N3, 3.0),
                    (CategoryOfNeed::N4, 8.0),
                    (CategoryOfNeed::N5, 18.0),
                    (CategoryOfNeed::N6, 3.0),
                    (CategoryOfNeed::N7, 0.3),
                    (CategoryOfNeed::N8, 2.0),
                ]);
                let unrecorded = self.rng.chance(self.profile.care.no_category_of_need);
                (!(unrecorded && self.profile.recording_gaps)).then_some(category)
            }
        }
    }

    /// The team group holding the case: LAC 4-5 mostly for adoption and young children.
    fn team_group(&mut self, shared: Option<&Shared>, route: Route, age: i32) -> usize {
        if let Some(s) = shared {
            return s.group;
        }
        let care = &self.profile.care;
        let p = match (route, age) {
            (Route::Adoption, _) => care.younger_team_adoption,
            (_, 0..=4) => care.younger_team_under_5,
            (_, 5..=10) => care.younger_team_5_to_10,
            _ => care.younger_team_older,
        };
        usize::from(self.rng.chance(p))
    }

    /// How and when the period ends on its route, and what is planned on the way (adoption's
    /// milestones, moves to relatives, matches).
    fn ending(
        &mut self,
        a: &Admission,
        planned: &mut Vec<(Date, Planned)>,
        adoption: &mut Option<AdoptionPlan>,
    ) -> (Date, ReasonCeased) {
        let start = a.start;
        match a.route {
            Route::Brief => (
                self.rng.day_within(start, 1, 10),
                self.rng.pick(&[
                    (ReasonCeased::E4B, 40.0),
                    (ReasonCeased::E13, 30.0),
                    (ReasonCeased::E8, 30.0),
                ]),
            ),
            Route::Home => {
                let days = self.rng.lognormal(130.0, 1.15).clamp(7.0, 6000.0) as i64;
                (add_days(start, days), self.home_reason())
            }
            Route::Adoption => self.plan_adoption(start, planned, adoption),
            Route::Sgo => self.special_guardianship(start, planned),
            Route::Cao => self.child_arrangements(start, planned),
            Route::LongTerm => self.long_term_ending(a),
            Route::AgeOut => {
                if self.rng.chance(self.profile.care.age_out_leaves_before_18) {
                    let span = days_between(start, a.eighteen).max(31);
                    (
                        self.rng.day_within(start, 30, span),
                        self.rng
                            .pick(&[(ReasonCeased::E13, 60.0), (ReasonCeased::E8, 40.0)]),
                    )
                } else {
                    (a.eighteen, ReasonCeased::E17)
                }
            }
            Route::Remand => (
                self.rng.day_within(start, 10, 120),
                self.rng
                    .pick(&[(ReasonCeased::E14, 70.0), (ReasonCeased::E9, 30.0)]),
            ),
            Route::Other => self.other_ending(a),
            Route::ShortBreak => (add_days(start, 2), ReasonCeased::E4A),
        }
    }

    /// A special guardianship order after a year or so (the legacy codes before April 2014);
    /// a child whose guardians are relatives or friends moves to them first.
    fn special_guardianship(
        &mut self,
        start: Date,
        planned: &mut Vec<(Date, Planned)>,
    ) -> (Date, ReasonCeased) {
        let days = self.rng.lognormal(420.0, 0.45).clamp(90.0, 3000.0) as i64;
        let end = add_days(start, days);
        let legacy = end < date!(2014 - 04 - 01);
        let code = |legacy_code, code| if legacy { legacy_code } else { code };
        let reason = self.rng.pick(&[
            (code(ReasonCeased::E43, ReasonCeased::E45), 30.0),
            (code(ReasonCeased::E44, ReasonCeased::E47), 40.0),
            (code(ReasonCeased::E43, ReasonCeased::E46), 15.0),
            (code(ReasonCeased::E44, ReasonCeased::E48), 5.0),
        ]);
        if matches!(reason, ReasonCeased::E45 | ReasonCeased::E43) {
            let day = self.rng.day_within(start, 20, (days / 2).max(21));
            planned.push((
                day,
                Planned::Move(Setting::FamilyFriends, PlacementChangeReason::Carpl),
            ));
        }
        (end, reason)
    }

    /// A child arrangements order after most of a year; now and then the child moves to the
    /// relatives first.
    fn child_arrangements(
        &mut self,
        start: Date,
        planned: &mut Vec<(Date, Planned)>,
    ) -> (Date, ReasonCeased) {
        let days = self.rng.lognormal(330.0, 0.5).clamp(60.0, 3000.0) as i64;
        if self.rng.chance(self.profile.care.cao_via_family_friends) {
            let day = self.rng.day_within(start, 20, (days / 2).max(21));
            planned.push((
                day,
                Planned::Move(Setting::FamilyFriends, PlacementChangeReason::Carpl),
            ));
        }
        (add_days(start, days), ReasonCeased::E41)
    }

    /// Long-term care: a young child home after years now and then, else leaving between 16
    /// and 18 or at 18.
    fn long_term_ending(&mut self, a: &Admission) -> (Date, ReasonCeased) {
        let care = &self.profile.care;
        if a.age < 10 && self.rng.chance(care.long_term_home_under_10) {
            let day = self.rng.day_within(a.start, 700, 2500);
            (day, ReasonCeased::E4A)
        } else if self.rng.chance(care.long_term_leaves_before_18) {
            let sixteen = birthday(a.dob, 16).max(add_days(a.start, 90));
            let day = self
                .rng
                .day_within(sixteen, 0, days_between(sixteen, a.eighteen));
            let reason = self.rng.pick(&[
                (ReasonCeased::E5, 30.0),
                (ReasonCeased::E6, 10.0),
                (ReasonCeased::E13, 35.0),
                (ReasonCeased::E4B, 15.0),
                (ReasonCeased::E8, 10.0),
            ]);
            (day, reason)
        } else {
            (a.eighteen, ReasonCeased::E17)
        }
    }

    /// Other endings: transfers, moves abroad, UASC age assessments, sentences, ...
    fn other_ending(&mut self, a: &Admission) -> (Date, ReasonCeased) {
        let days = self.rng.lognormal(100.0, 1.0).clamp(3.0, 4000.0) as i64;
        let reason = self.rng.pick(&[
            (ReasonCeased::E3, 25.0),
            (ReasonCeased::E8, 30.0),
            (ReasonCeased::E16, 10.0),
            (ReasonCeased::E4B, 15.0),
            (ReasonCeased::E13, 10.0),
            (ReasonCeased::E2, 0.5),
            (ReasonCeased::E15, if a.uasc { 30.0 } else { 0.0 }),
            (ReasonCeased::E7, if a.age >= 17 { 8.0 } else { 0.0 }),
        ]);
        (add_days(a.start, days), reason)
    }

    /// Moves planned besides the route's: to parents before going home, to semi-independent
    /// living from 16, a match as the permanent home for a long-term child.
    fn plan_moves(
        &mut self,
        a: &Admission,
        end: Date,
        legal: &[(Date, LegalStatus)],
        planned: &mut Vec<(Date, Planned)>,
    ) {
        let (start, route) = (a.start, a.route);
        let care = &self.profile.care;
        let sixteen = birthday(a.dob, 16);
        if matches!(route, Route::Home)
            && days_between(start, end) > 150
            && legal
                .iter()
                .any(|(_, s)| matches!(s, LegalStatus::C1 | LegalStatus::C2))
            && self.rng.chance(care.home_via_parents)
        {
            let day = self.rng.day_within(end, -240, -60).max(add_days(start, 60));
            planned.push((
                day,
                Planned::Move(Setting::Parents, PlacementChangeReason::Carpl),
            ));
        }
        if matches!(route, Route::LongTerm | Route::AgeOut)
            && self.rng.chance(care.semi_independent_from_16)
        {
            let from = sixteen.max(add_days(start, 30));
            let day = self.rng.day_within(from, 0, 540);
            if day < add_days(end, -30) {
                planned.push((
                    day,
                    Planned::Move(Setting::SemiIndependent, PlacementChangeReason::Carpl),
                ));
            }
        }
        if route == Route::LongTerm && a.age < 15 {
            let day = self.rng.day_within(start, 240, 540);
            if day < add_days(end, -60) && day < sixteen {
                planned.push((day, Planned::Match));
            }
        }
    }

    /// The period's stays. Siblings under 16 start where the first child does, together, and
    /// leave that first placement together. A child is placed with parents (P1) only under a
    /// care order (the Placement with Parents regulations), never accommodated (V2) or under
    /// police protection or an emergency order.
    #[allow(clippy::too_many_arguments)]
    fn stays(
        &mut self,
        a: &Admission,
        end: Date,
        legal: &[(Date, LegalStatus)],
        volatile: bool,
        planned: Vec<(Date, Planned)>,
        shared: Option<&Shared>,
        together: u32,
    ) -> Vec<Stay> {
        let with_sibling = shared.and_then(|s| s.first_stay).filter(|_| a.age < 16);
        let mut initial = match with_sibling {
            Some((setting, _)) => setting,
            None => self.initial_setting(a.age, a.route, a.uasc),
        };
        let care_order = matches!(
            legal.first().map(|(_, s)| *s),
            Some(LegalStatus::C1 | LegalStatus::C2)
        );
        if initial == Setting::Parents && !care_order {
            initial = Setting::Foster;
        }
        let mut stays = self.placements(PlacementPlan {
            dob: a.dob,
            start: a.start,
            end,
            route: a.route,
            initial,
            volatile,
            planned,
            bridging_end: with_sibling.map(|(_, e)| e),
        });
        if let Some(first) = stays.first_mut() {
            first.together = Some(match shared.filter(|_| a.age < 16) {
                Some(s) if s.first_stay.is_some() => s.together,
                _ => together,
            });
        }
        for stay in &mut stays {
            recode_withdrawn(stay);
            self.temporaries(stay, legal);
        }
        stays
    }

    /// The reason a period ends, where it depends on where the child lives at the end: at 18,
    /// by the last setting; a special guardianship order to relatives or friends only from a
    /// family and friends placement, one to former foster carers (E46) only from a foster
    /// placement.
    fn reason_at_end(
        &mut self,
        reason: ReasonCeased,
        at_eighteen: bool,
        last_setting: Option<Setting>,
    ) -> ReasonCeased {
        if at_eighteen {
            match last_setting {
                Some(Setting::Foster | Setting::FamilyFriends) => self.rng.pick(&[
                    (ReasonCeased::E17, 60.0),
                    (ReasonCeased::E8, 20.0),
                    (ReasonCeased::E5, 20.0),
                ]),
                Some(Setting::SemiIndependent | Setting::IndependentLiving) => self.rng.pick(&[
                    (ReasonCeased::E5, 70.0),
                    (ReasonCeased::E6, 15.0),
                    (ReasonCeased::E8, 15.0),
                ]),
                Some(Setting::Residential) => self.rng.pick(&[
                    (ReasonCeased::E5, 50.0),
                    (ReasonCeased::E8, 30.0),
                    (ReasonCeased::E6, 20.0),
                ]),
                _ => ReasonCeased::E8,
            }
        } else if reason == ReasonCeased::E45 && last_setting != Some(Setting::FamilyFriends) {
            ReasonCeased::E47
        } else if reason == ReasonCeased::E46
            && !matches!(
                last_setting,
                Some(Setting::Foster | Setting::FosterForAdoption)
            )
        {
            ReasonCeased::E48
        } else if reason == ReasonCeased::E43 && last_setting != Some(Setting::FamilyFriends) {
            ReasonCeased::E44
        } else {
            reason
        }
    }

    fn route_for(&mut self, age: i32) -> Route {
        use Route::*;
        let table: &[(Route, f64)] = match age {
            0 => &[
                (Adoption, 35.0),
                (Sgo, 15.0),
                (Cao, 4.0),
                (Home, 27.0),
                (LongTerm, 11.0),
                (Brief, 3.0),
                (Other, 5.0),
            ],
            1..=4 => &[
                (Adoption, 22.0),
                (Sgo, 17.0),
                (Cao, 5.0),
                (Home, 33.0),
                (LongTerm, 15.0),
                (Brief, 3.0),
                (Other, 5.0),
            ],
            5..=9 => &[
                (Adoption, 2.0),
                (Sgo, 12.0),
                (Cao, 5.0),
                (Home, 50.0),
                (LongTerm, 23.0),
                (Brief, 3.0),
                (Other, 5.0),
            ],
            10..=15 => &[
                (Sgo, 4.0),
                (Cao, 2.0),
                (Home, 43.0),
                (LongTerm, 38.0),
                (Remand, 3.0),
                (Brief, 4.0),
                (Other, 6.0),
            ],
            _ => &[
                (Home, 20.0),
                (AgeOut, 64.0),
                (Remand, 4.0),
                (Brief, 4.0),
                (Other, 8.0),
            ],
        };
        self.rng.pick(table)
    }

    fn home_reason(&mut self) -> ReasonCeased {
        self.rng.pick(&[
            (ReasonCeased::E4A, 60.0),
            (ReasonCeased::E13, 22.0),
            (ReasonCeased::E4B, 10.0),
            (ReasonCeased::E8, 8.0),
        ])
    }

    /// SHOBPA, placement order, match, placement and adoption order; a tenth reversed.
    fn plan_adoption(
        &mut self,
        start: Date,
        planned: &mut Vec<(Date, Planned)>,
        adoption: &mut Option<AdoptionPlan>,
    ) -> (Date, ReasonCeased) {
        let rng = &mut *self.rng;
        let decision = rng.day_within(start, 90, 270);
        let order = rng.day_within(decision, 20, 100);
        let matched = add_days(order, rng.lognormal(110.0, 0.6).clamp(14.0, 720.0) as i64);
        let placed = rng.day_within(matched, 7, 45);
        let adopted = rng.day_within(placed, 90, 260);
        let reversal = rng.pick(&[(0, 88.0), (1, 3.0), (2, 9.0)]);
        match reversal {
            0 => {
                let consent = rng.chance(self.profile.adoption.consent);
                *adoption = Some(AdoptionPlan {
                    decision,
                    consent,
                    matched: Some(matched),
                    reversed: None,
                });
                planned.push((placed, Planned::AdoptivePlacement { consent }));
                let reason = if consent {
                    ReasonCeased::E11
                } else {
                    rng.pick(&[(ReasonCeased::E11, 60.0), (ReasonCeased::E12, 40.0)])
                };
                (adopted, reason)
            }
            kind => {
                // The court made no placement order, or no adopters were found: long-term
                // fostering, or special guardianship.
                let (day, why) = if kind == 1 {
                    (
                        rng.day_within(decision, 20, 100),
                        AdoptionReversalReason::Rd2,
                    )
                } else {
                    (
                        rng.day_within(order, 200, 450),
                        rng.pick(&[
                            (AdoptionReversalReason::Rd3, 70.0),
                            (AdoptionReversalReason::Rd1, 20.0),
                            (AdoptionReversalReason::Rd4, 10.0),
                        ]),
                    )
                };
                *adoption = Some(AdoptionPlan {
                    decision,
                    consent: false,
                    matched: None,
                    reversed: Some((day, why)),
                });
                if rng.chance(self.profile.adoption.sgo_after_reversal) {
                    let end = rng.day_within(day, 150, 600);
                    (end, ReasonCeased::E46)
                } else {
                    let m = rng.day_within(day, 60, 300);
                    planned.push((m, Planned::Match));
                    // Until 18 (clipped by the caller).
                    (add_days(start, 30 * 365), ReasonCeased::E17)
                }
            }
        }
    }

    /// The legal statuses of a period: now and then an emergency order first, then the
    /// route's; the first starts on the day of admission. Police protection (L1) lasts 72 hours
    /// at most, after which a child still looked after is accommodated (V2); a child detained
    /// under PACE (J2) is over 10, the age of criminal responsibility.
    fn legal_path(
        &mut self,
        a: &Admission,
        end: Date,
        adoption: Option<&AdoptionPlan>,
        planned: &[(Date, Planned)],
    ) -> Vec<(Date, LegalStatus)> {
        use LegalStatus::*;
        let (route, start, uasc) = (a.route, a.start, a.uasc);
        let mut path = LegalPath {
            statuses: Vec::new(),
            end,
        };
        let t = self.emergency_protection(route, start, uasc, &mut path);
        match route {
            Route::Brief => {
                let pace = if a.criminally_responsible() {
                    30.0
                } else {
                    0.0
                };
                let status = self.rng.pick(&[(L1, 45.0), (L2, 25.0), (J2, pace)]);
                path.statuses = vec![(start, status)];
                if status == L1 {
                    path.change(add_days(start, POLICE_PROTECTION_DAYS), V2);
                }
            }
            Route::Remand => path.statuses = vec![(start, J1)],
            Route::ShortBreak => path.statuses = vec![(start, V3)],
            _ if uasc => path.change(t, V2),
            Route::Adoption => self.adoption_statuses(&mut path, t, adoption, planned),
            Route::Sgo | Route::Cao | Route::Other => {
                self.statuses_towards_an_order(&mut path, route, t)
            }
            Route::Home => {
                let legal = &self.profile.legal;
                let first = if self.rng.chance(legal.interim_order_home) {
                    C1
                } else {
                    V2
                };
                path.change(t, first);
                if first == C1
                    && days_between(start, end) > 200
                    && self.rng.chance(legal.full_order_home)
                {
                    let day = self.full_order_day(t);
                    path.change(day, C2);
                }
            }
            Route::LongTerm => {
                let legal = &self.profile.legal;
                if self.rng.chance(legal.interim_order_long_term) {
                    path.change(t, C1);
                    let day = self.full_order_day(t);
                    path.change(day, C2);
                } else {
                    path.change(t, V2);
                    if self.rng.chance(legal.later_order_long_term) {
                        let c1 = self.rng.day_within(t, 30, 200);
                        path.change(c1, C1);
                        let day = self.full_order_day(c1);
                        path.change(day, C2);
                    }
                }
            }
            Route::AgeOut => {
                if self.rng.chance(self.profile.legal.accommodated_age_out) {
                    path.change(t, V2);
                } else {
                    path.change(t, C1);
                    let day = self.full_order_day(t);
                    path.change(day, C2);
                }
            }
        }
        path.starting_on(start)
    }

    /// Now and then a period starts under police protection (L1, up to 72 hours) or an
    /// emergency protection order (L2, up to 8 days); returns the day the route's first status
    /// starts.
    fn emergency_protection(
        &mut self,
        route: Route,
        start: Date,
        uasc: bool,
        path: &mut LegalPath,
    ) -> Date {
        let possible = !uasc
            && matches!(
                route,
                Route::Home
                    | Route::LongTerm
                    | Route::Adoption
                    | Route::Sgo
                    | Route::Cao
                    | Route::Other
            );
        if possible && self.rng.chance(self.profile.legal.emergency_protection) {
            let status = self
                .rng
                .pick(&[(LegalStatus::L1, 60.0), (LegalStatus::L2, 40.0)]);
            path.statuses.push((start, status));
            let days = if status == LegalStatus::L1 {
                POLICE_PROTECTION_DAYS
            } else {
                8
            };
            self.rng.day_within(start, 1, days)
        } else {
            start
        }
    }

    /// A full care order follows an interim one (from `from`) after the proceedings.
    fn full_order_day(&mut self, from: Date) -> Date {
        self.rng.day_within(from, 150, 330)
    }

    /// The adoption route from `t`: an interim care order (or accommodation with the parents'
    /// consent), a placement order (E1) between SHOBPA and placement, sometimes a full care
    /// order first; when the decision is reversed, a care order or a placement order that
    /// stands with no adopters.
    fn adoption_statuses(
        &mut self,
        path: &mut LegalPath,
        t: Date,
        adoption: Option<&AdoptionPlan>,
        planned: &[(Date, Planned)],
    ) {
        use LegalStatus::*;
        let consent = adoption.is_some_and(|a| a.consent);
        path.change(t, if consent { V2 } else { C1 });
        let placed = planned.iter().find_map(|(d, p)| match p {
            Planned::AdoptivePlacement { .. } => Some(*d),
            _ => None,
        });
        match (adoption, placed) {
            (Some(_), Some(_)) if consent => {}
            (Some(a), Some(placed)) => {
                let po = add_days(a.decision, (days_between(a.decision, placed) / 3).max(1));
                if self.rng.chance(self.profile.adoption.care_order_first) {
                    let c2 = add_days(po, -self.rng.int(20, 60)).max(add_days(t, 1));
                    path.change(c2, C2);
                }
                path.change(po, E1);
            }
            (Some(a), None) => {
                let (day, why) = a
                    .reversed
                    .unwrap_or((a.decision, AdoptionReversalReason::Rd4));
                if why == AdoptionReversalReason::Rd2 {
                    path.change(day, C2);
                } else {
                    // The placement order is revoked with the decision and the care order
                    // revives: a placement order stands only with a decision behind it.
                    let po = self
                        .rng
                        .day_within(a.decision, 30, 150)
                        .min(add_days(day, -1));
                    path.change(po, E1);
                    path.change(day, C2);
                }
            }
            _ => {}
        }
    }

    /// Special guardianship, child arrangements and other endings from `t`: an interim care
    /// order (else accommodation), now and then a full one well before the end.
    fn statuses_towards_an_order(&mut self, path: &mut LegalPath, route: Route, t: Date) {
        use LegalStatus::*;
        let legal = &self.profile.legal;
        let interim = if route == Route::Other {
            legal.interim_order_other
        } else {
            legal.interim_order_for_orders
        };
        let first = if self.rng.chance(interim) { C1 } else { V2 };
        path.change(t, first);
        if first == C1 && self.rng.chance(legal.full_order_for_orders) {
            let day = self.full_order_day(t);
            if day < add_days(path.end, -30) {
                path.change(day, C2);
            }
        }
    }

    fn initial_setting(&mut self, age: i32, route: Route, uasc: bool) -> Setting {
        use Setting::*;
        let rng = &mut *self.rng;
        match route {
            Route::Remand => return rng.pick(&[(Custody, 40.0), (Secure, 10.0), (Foster, 50.0)]),
            Route::ShortBreak => return ShortBreakUnit,
            Route::Adoption
                if age == 0 && rng.chance(self.profile.adoption.foster_for_adoption) =>
            {
                return FosterForAdoption;
            }
            Route::Sgo if rng.chance(self.profile.placements.sgo_with_family_friends) => {
                return FamilyFriends;
            }
            Route::Cao if rng.chance(self.profile.placements.cao_with_family_friends) => {
                return FamilyFriends;
            }
            _ => {}
        }
        if uasc {
            return if age >= 16 {
                SemiIndependent
            } else {
                rng.pick(&[(Foster, 80.0), (Residential, 20.0)])
            };
        }
        match age {
            0 => rng.pick(&[
                (Foster, 82.0),
                (MotherBaby, 7.0),
                (FamilyFriends, 7.0),
                (Parents, 3.0),
            ]),
            1..=9 => rng.pick(&[
                (Foster, 84.0),
                (FamilyFriends, 7.0),
                (Parents, 5.0),
                (Residential, if age >= 8 { 3.0 } else { 0.0 }),
                (Elsewhere, 1.0),
            ]),
            10..=15 => rng.pick(&[
                (Foster, 63.0),
                (FamilyFriends, 5.0),
                (Residential, 25.0),
                (Secure, 1.0),
                (Parents, 3.0),
                (Elsewhere, 2.0),
                (School, 1.0),
            ]),
            _ => rng.pick(&[
                (SemiIndependent, 35.0),
                (Foster, 42.0),
                (Residential, 12.0),
                (FamilyFriends, 6.0),
                (Elsewhere, 5.0),
            ]),
        }
    }

    /// Where a child goes after an unplanned move.
    fn next_setting(&mut self, age: i32, day: Date) -> Setting {
        use Setting::*;
        let rng = &mut *self.rng;
        let independent = if day < P2_WITHDRAWN { 3.0 } else { 0.0 };
        match age {
            0..=9 => rng.pick(&[
                (Foster, 89.0),
                (FamilyFriends, 6.0),
                (Residential, if age >= 8 { 5.0 } else { 0.0 }),
            ]),
            10..=15 => rng.pick(&[
                (Foster, 58.0),
                (Residential, 32.0),
                (FamilyFriends, 3.0),
                (Secure, 2.0),
                (School, 2.0),
                (Elsewhere, 3.0),
            ]),
            _ => rng.pick(&[
                (SemiIndependent, 50.0),
                (Foster, 27.0),
                (Residential, 15.0),
                (IndependentLiving, independent),
                (Elsewhere, 5.0),
            ]),
        }
    }

    fn move_reason(&mut self) -> PlacementChangeReason {
        use PlacementChangeReason::*;
        self.rng.pick(&[
            (Carpl, 40.0),
            (Creqb, 15.0),
            (Creqo, 10.0),
            (Child, 8.0),
            (Lareq, 8.0),
            (Close, 4.0),
            (Alleg, 2.0),
            (Stand, 2.0),
            (Apprr, 1.0),
            (Other, 10.0),
        ])
    }

    /// Days until an unplanned move out of a stay starting on `day`.
    fn breakdown_days(&mut self, setting: Setting, age: i32, volatile: bool, matched: bool) -> i64 {
        let rates = &self.profile.placements.breakdowns;
        let per_year = match age {
            0..=4 => rates.per_year_under_5,
            5..=9 => rates.per_year_5_to_9,
            _ => rates.per_year_from_10,
        } * match setting {
            Setting::Residential => rates.residential,
            Setting::FamilyFriends => rates.family_friends,
            Setting::Secure => rates.secure,
            Setting::Elsewhere | Setting::School => rates.elsewhere_or_school,
            Setting::MotherBaby => rates.mother_baby,
            Setting::Parents | Setting::Adopters | Setting::Custody | Setting::ShortBreakUnit => {
                0.0
            }
            _ => 1.0,
        } * if volatile { rates.volatile } else { 1.0 }
            * if matched { rates.matched } else { 1.0 };
        if per_year <= 0.0 {
            return 100 * 365;
        }
        (self.rng.exp(365.0 / per_year) as i64).clamp(1, 100 * 365)
    }

    /// The stays of a period.
    fn placements(&mut self, plan: PlacementPlan) -> Vec<Stay> {
        let PlacementPlan {
            dob,
            start,
            end,
            route,
            initial,
            volatile,
            planned,
            bridging_end,
        } = plan;
        let mut stays: Vec<Stay> = Vec::new();
        let mut t = start;
        let mut setting = initial;
        let mut reason = None;
        let mut next = 0;
        let mut deferred_match = false;
        let mut first = true;
        let mut adoptive_kind = PlacementType::A6;
        while t < end {
            let age = age_on(dob, t);
            let mut stay = Stay::new(t, end, setting, kind_for(setting, t));
            stay.reason = reason;
            let bridging = first
                && route != Route::Brief
                && matches!(setting, Setting::Foster | Setting::Residential)
                && self.rng.chance(self.profile.placements.bridging);
            let mut breakdown = match bridging_end {
                Some(e) if first => e,
                _ if bridging => self.rng.day_within(t, 3, 60),
                _ => add_days(t, self.breakdown_days(setting, age, volatile, false)),
            }
            .max(add_days(t, 1));
            if deferred_match && matches!(setting, Setting::Foster | Setting::FamilyFriends) {
                deferred_match = false;
                let day = self.rng.day_within(t, 120, 300);
                if day < end && day < breakdown && age_on(dob, day) < 16 {
                    self.retype_match(&mut stay, day);
                    breakdown = add_days(day, self.breakdown_days(setting, age, volatile, true));
                }
            }
            first = false;
            let mut moved: Option<(Date, Setting, PlacementChangeReason)> = None;
            while let Some(&(day, what)) = planned.get(next) {
                if day >= breakdown || day >= end {
                    break;
                }
                next += 1;
                if day <= stay.start {
                    continue;
                }
                match what {
                    Planned::Move(to, why) => {
                        if to != stay.setting {
                            moved = Some((day, to, why));
                            break;
                        }
                    }
                    Planned::Match => {
                        if matches!(stay.setting, Setting::Foster | Setting::FamilyFriends) {
                            self.retype_match(&mut stay, day);
                            breakdown =
                                add_days(day, self.breakdown_days(setting, age, volatile, true));
                        } else {
                            deferred_match = true;
                        }
                    }
                    Planned::AdoptivePlacement { consent } => {
                        let with_carers = stay.setting == Setting::FosterForAdoption
                            || (stay.setting == Setting::Foster
                                && self.rng.chance(self.profile.adoption.foster_carers_adopt));
                        if with_carers {
                            let kind = if consent {
                                PlacementType::A3
                            } else {
                                PlacementType::A5
                            };
                            stay.segments.push((day, kind));
                            breakdown = end;
                        } else {
                            adoptive_kind = if consent {
                                PlacementType::A4
                            } else {
                                PlacementType::A6
                            };
                            moved = Some((day, Setting::Adopters, PlacementChangeReason::Carpl));
                            break;
                        }
                    }
                }
            }
            match moved {
                Some((day, to, why)) => {
                    stay.end = day;
                    setting = to;
                    reason = Some(why);
                }
                None if breakdown < end => {
                    stay.end = breakdown;
                    let age_then = age_on(dob, breakdown);
                    let mut to = self.next_setting(age_then, breakdown);
                    if to == stay.setting && !matches!(to, Setting::Foster | Setting::Residential) {
                        to = Setting::Foster;
                    }
                    setting = to;
                    reason = Some(self.move_reason());
                }
                None => stay.end = end,
            }
            t = stay.end;
            stays.push(stay);
        }
        // With the parents' consent the adopters' placement is A4, with a placement order A6.
        for stay in &mut stays {
            if stay.setting == Setting::Adopters {
                stay.segments[0].1 = adoptive_kind;
            }
        }
        stays
    }

    /// Matched as the permanent home: the type becomes long term with the same carer.
    fn retype_match(&mut self, stay: &mut Stay, day: Date) {
        let kind = match stay.setting {
            Setting::FamilyFriends => PlacementType::U1,
            _ => PlacementType::U4,
        };
        if day > stay.start {
            stay.segments.push((day, kind));
            stay.matched = Some(day);
        }
    }

    /// Temporary placements inside a foster stay (respite while carers are away, hospital),
    /// each returning to it, none around a change of legal status (the DfE's return has a
    /// temporary placement's episode start with the move into it, never with a legal change)
    /// nor around the day U codes replaced Q codes (a legacy record is recoded that day).
    fn temporaries(&mut self, stay: &mut Stay, legal: &[(Date, LegalStatus)]) {
        if !matches!(stay.setting, Setting::Foster | Setting::FamilyFriends) {
            return;
        }
        let len = days_between(stay.start, stay.end);
        if len < 60 {
            return;
        }
        let years = len as f64 / 365.0;
        let n = self
            .rng
            .poisson(years * self.profile.placements.temporaries_per_year)
            .min(20);
        for _ in 0..n {
            let kind = self.rng.pick(&[
                (PlacementType::T3, 60.0),
                (PlacementType::T4, 25.0),
                (PlacementType::T1, 15.0),
            ]);
            let length = match kind {
                PlacementType::T3 => self.rng.int(3, 14),
                PlacementType::T1 => self.rng.int(2, 10),
                _ => self.rng.int(1, 7),
            };
            let from = self.rng.day_within(stay.start, 20, len - length - 20);
            let to = add_days(from, length);
            let clash = stay
                .segments
                .iter()
                .any(|(d, _)| *d >= add_days(from, -2) && *d <= add_days(to, 2))
                || stay
                    .temps
                    .iter()
                    .any(|(a, b, _)| from <= add_days(*b, 2) && *a <= add_days(to, 2))
                || legal
                    .iter()
                    .map(|(d, _)| d)
                    .chain([&U_CODES_FROM])
                    .any(|d| *d >= add_days(from, -2) && *d <= add_days(to, 2));
            if !clash && to < add_days(stay.end, -5) {
                stay.temps.push((from, to, kind));
            }
        }
        stay.temps.sort_by_key(|t| t.0);
    }
}

/// A stay in a placement type the DfE withdrew while it lasted goes on with the same carer
/// under the type that replaced it (P2 from 28 October 2023).
fn recode_withdrawn(stay: &mut Stay) {
    let day = P2_WITHDRAWN;
    if stay.start < day && day < stay.end && stay.kind_on(day) == PlacementType::P2 {
        let at = stay.segments.partition_point(|(d, _)| *d <= day);
        stay.segments.insert(at, (day, kind_for(stay.setting, day)));
    }
}

/// What the placement builder needs.
struct PlacementPlan {
    dob: Date,
    start: Date,
    end: Date,
    route: Route,
    initial: Setting,
    volatile: bool,
    planned: Vec<(Date, Planned)>,
    /// Siblings placed together leave the first placement together.
    bridging_end: Option<Date>,
}

/// Police protection lasts 72 hours at most (Children Act 1989, s.46).
const POLICE_PROTECTION_DAYS: i64 = 3;

/// What is known of a child on the day a period of care starts.
struct Admission {
    dob: Date,
    start: Date,
    age: i32,
    eighteen: Date,
    /// An unaccompanied asylum-seeking child.
    uasc: bool,
    route: Route,
}

impl Admission {
    /// Over 10 (the age of criminal responsibility) on the day of admission: a child can be
    /// remanded (J1) or detained under PACE (J2).
    fn criminally_responsible(&self) -> bool {
        self.start > birthday(self.dob, 10)
    }
}

/// The ending drawn for the route, bounded: siblings going home (or to the same relatives)
/// leave together, nobody stays past 18, and a period lasts at least a day.
fn final_ending(
    a: &Admission,
    shared: Option<&Shared>,
    mut end: Date,
    mut reason: ReasonCeased,
) -> (Date, ReasonCeased) {
    if let Some(s) = shared
        && s.route == a.route
        && !matches!(a.route, Route::Adoption | Route::LongTerm | Route::AgeOut)
    {
        end = s.end;
        reason = s.reason;
    }
    if end >= a.eighteen {
        end = a.eighteen;
        reason = ReasonCeased::E17;
    }
    if end <= a.start {
        end = add_days(a.start, 1);
    }
    (end, reason)
}

/// Legal statuses being laid down for a period that ends on `end`.
struct LegalPath {
    statuses: Vec<(Date, LegalStatus)>,
    end: Date,
}

impl LegalPath {
    /// A change to `status` on `day`, kept when it falls before the end and changes something.
    fn change(&mut self, day: Date, status: LegalStatus) {
        if day < self.end && self.statuses.last().is_none_or(|(_, last)| *last != status) {
            self.statuses.push((day, status));
        }
    }

    /// The statuses, the first on `start`: when an emergency status ended the period before
    /// the main one began (or none began), accommodation (V2) from the start.
    fn starting_on(mut self, start: Date) -> Vec<(Date, LegalStatus)> {
        let out = &mut self.statuses;
        if out.is_empty() || out[0].0 != start {
            out.insert(0, (start, LegalStatus::V2));
            out.dedup_by(|b, a| a.1 == b.1);
        }
        self.statuses
    }
}

/// Disabled children on a series of short breaks (V3, one period per break) or a short-break
/// agreement (V4, one period per agreement). Ignored by every indicator.
fn short_breaks(config: &SimConfig, profile: &Profile, la: &str, children: &mut Vec<Child>) {
    let mut rng = stream(config.seed, la, Stream::Children, 1);
    let first = Month::of(model_start(config)).plus(12 * 15);
    let last = Month::of(config.end);
    for month in first.through(last) {
        let arrivals = rng.poisson(profile.short_breaks.per_month * profile.scale);
        for _ in 0..arrivals {
            let start = add_days(month.first_day(), rng.int(0, 27));
            let age_days = rng.int(5 * 365, 16 * 365);
            let dob = add_days(start, -age_days);
            let eighteen = birthday(dob, 18);
            let until = add_days(start, rng.int(365, 5 * 365)).min(eighteen);
            let series = rng.chance(profile.short_breaks.series);
            let mut periods = Vec::new();
            let mut t = start;
            while t < until {
                let (end, status, reason) = if series {
                    (
                        add_days(t, rng.int(1, 3)),
                        LegalStatus::V3,
                        ReasonCeased::E4A,
                    )
                } else {
                    (
                        add_days(t, rng.int(300, 365)).min(until),
                        LegalStatus::V4,
                        ReasonCeased::E8,
                    )
                };
                if end <= t || end > until {
                    break;
                }
                let mut stay = Stay::new(t, end, Setting::ShortBreakUnit, PlacementType::K2);
                stay.provider = Some(Provider::PR1);
                stay.carer = Some(format!("SB{:02}", rng.int(1, 4)));
                stay.in_area = Some(true);
                periods.push(Period {
                    start: t,
                    end,
                    reason,
                    route: Route::ShortBreak,
                    category: Some(CategoryOfNeed::N2),
                    legal: vec![(t, status)],
                    stays: vec![stay],
                    group: 0,
                    adoption: None,
                    short_break: true,
                });
                t = if series {
                    add_days(end, rng.int(14, 42))
                } else {
                    add_days(end, rng.int(1, 30))
                };
            }
            if periods.is_empty() {
                continue;
            }
            let number = children.len() as u32 + 1;
            children.push(Child {
                number,
                dob,
                sex: if rng.chance(profile.short_breaks.male) {
                    Sex::Male
                } else {
                    Sex::Female
                },
                periods,
            });
        }
    }
}
