//! Per-authority parameters: size, the looked-after trajectory admissions follow, how many
//! foster carers and social workers it keeps, and how well it keeps to timescales.
//!
//! With `variation` 0 every authority gets the parameters calibrated against the May 2018
//! report in the seeds; with variation, each parameter is drawn around them from `(seed, la)`.
//!
//! The rest of the model's probabilities and rates (how children come into care, their legal
//! statuses, placements and moves, adoption, short breaks, foster carers, social workers and
//! the recording around children) are the same for every authority: [`Admissions`], [`Care`],
//! [`Legal`], [`Adoption`], [`Placements`], [`ShortBreaks`], [`Fostering`], [`Workforce`] and
//! [`Recording`], each with the seed authority's values as `SEED`. Where a
//! value was tuned against the report the field says which figure; the rest are modelling
//! assumptions the report does not measure. The calibration test
//! (`tests::one_authority_looks_like_the_seed_report`) checks the figures against the report's
//! ranges. Changing any value changes the simulator's output for every seed (see
//! `tests::a_fixed_configuration_emits_exactly_what_it_always_has`).

use crate::config::SimConfig;
use crate::random::{Draw, SimRng, Stream, stream};

/// How well an authority's practice keeps to timescales: probabilities of doing a thing on
/// time, and how late it is otherwise.
#[derive(Clone, Debug)]
pub(crate) struct Practice {
    /// A statutory review held by its due day (calibrated: 6.7 is 75-97% over 12 months;
    /// the report: 78.8-96.1% a month) ...
    pub review_on_time: f64,
    /// ... otherwise this many days late on average.
    pub review_late_mean: f64,
    /// A visit made within the local standard (4 weeks; with the first visits, calibrated:
    /// 6.15 is 88-99%, the report 93.2-97.5%) ...
    pub visit_on_time: f64,
    /// ... otherwise this many days late on average.
    pub visit_late_mean: f64,
    /// The first visit in a placement within 7 days.
    pub first_visit_on_time: f64,
    /// An initial health assessment within 20 working days.
    pub iha_on_time: f64,
    /// A review health assessment by its due day.
    pub health_on_time: f64,
    /// A dental check within 12 months of the last.
    pub dental_on_time: f64,
    /// A PEP held in a term the child is at school.
    pub pep_per_term: f64,
    /// A care plan updated within 6 months.
    pub plan_on_time: f64,
    /// A pathway plan reviewed within 6 months.
    pub pathway_on_time: f64,
}

/// The parameters of one authority.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    /// Size relative to the seed authority.
    pub scale: f64,
    /// Looked-after children the authority tends to, by years before the end of the history
    /// (piecewise linear; flat beyond the first point).
    lac_curve: Vec<(f64, f64)>,
    /// Foster-carer households (connected ones included) it keeps approved (see
    /// [`Fostering`]).
    pub households: f64,
    /// Share of foster placements it tries to make with its own carers.
    pub in_house_share: f64,
    /// Cases per FTE above which a LAC team recruits (see [`Workforce`]).
    pub caseload_target: f64,
    /// Share of admissions of children aged 14-17 who are unaccompanied asylum seekers.
    pub uasc_share: f64,
    /// Share of care leavers in touch who are in education, employment or training (compare
    /// 7.5: the report's 61.3-64.1%).
    pub eet: f64,
    pub practice: Practice,
    /// [`SimConfig::recording_gaps`]: whether the gaps drawn with `Care::no_category_of_need`
    /// and `Recording::participation_unrecorded` are left (else the value is recorded; the
    /// draws are made either way, so nothing else changes).
    pub recording_gaps: bool,
    pub admissions: Admissions,
    pub care: Care,
    pub legal: Legal,
    pub adoption: Adoption,
    pub placements: Placements,
    pub short_breaks: ShortBreaks,
    pub fostering: Fostering,
    pub workforce: Workforce,
    pub recording: Recording,
}

/// How many children come into care each month, and who they are.
#[derive(Clone, Debug)]
pub(crate) struct Admissions {
    /// The usual month's admissions are the looked-after children targeted divided by this
    /// (24 a month at 630). Calibrated, with `gap_closed` and `drift`: 6.1 follows the
    /// report's table 6.1 (`SEED_CURVE`) and 6.3 averages 20-40 a month (the report: 24 a
    /// month early in 2017/18, 39 in its last four months).
    pub turnover_months: f64,
    /// Share of the gap between the target and the children looked after that a month's
    /// admissions close (on top of replacing those leaving).
    pub gap_closed: f64,
    /// Admissions beyond replacement and the gap, as a share of the usual month's.
    pub drift: f64,
    /// A month admits at least this share of the usual month's ...
    pub min_share: f64,
    /// ... and at most this multiple of it.
    pub max_share: f64,
    /// An admission falling on a weekend is kept (else another day is drawn): most children
    /// come into care on weekdays.
    pub weekend: f64,
    /// A baby coming into care alone does so in its first month (the rest later in its first
    /// year).
    pub newborn: f64,
    /// A child admitted is a boy.
    pub male: f64,
    /// A child who went home (E4A, E4B, E13, E8) comes back into care later ...
    pub readmission: f64,
    /// ... at most this many times.
    pub max_readmissions: usize,
}

impl Admissions {
    pub const SEED: Admissions = Admissions {
        turnover_months: 26.0,
        gap_closed: 0.35,
        drift: 0.04,
        min_share: 0.25,
        max_share: 3.0,
        weekend: 0.3,
        newborn: 0.65,
        male: 0.55,
        readmission: 0.12,
        max_readmissions: 3,
    };
}

/// Why a period of care happens and how it ends, besides the route mix by age (in
/// `children::route_for`). Calibrated, with the route mix: 6.4 averages 12-30 ceased a month
/// (the report: 12-19) and 10-15 is the largest age band of 6.1.
#[derive(Clone, Debug)]
pub(crate) struct Care {
    /// An unaccompanied asylum-seeking child stays until 18 (the rest leave otherwise).
    pub uasc_age_out: f64,
    /// A period of care of a child aged 10 or over is volatile (placements break down
    /// `Breakdowns::volatile` times as often) ...
    pub volatile_from_10: f64,
    /// ... and of a younger child.
    pub volatile_under_10: f64,
    /// A child's category of need is not recorded (a deliberate recording gap, see
    /// `Profile::recording_gaps`).
    pub no_category_of_need: f64,
    /// The case is held by LAC 4-5 (younger children and adoption; else LAC 1-3) on the
    /// adoption route ...
    pub younger_team_adoption: f64,
    /// ... aged under 5 ...
    pub younger_team_under_5: f64,
    /// ... aged 5 to 10 ...
    pub younger_team_5_to_10: f64,
    /// ... and older. Calibrated, with the workforce: 11.5 is 12-15 cases in both team
    /// groups (the report: 15 in LAC 1-3, 13 in LAC 4-5).
    pub younger_team_older: f64,
    /// A child arrangements order route moves to family and friends before the order.
    pub cao_via_family_friends: f64,
    /// A long-term child under 10 goes home after some years ...
    pub long_term_home_under_10: f64,
    /// ... otherwise leaves between 16 and 18 (else at 18).
    pub long_term_leaves_before_18: f64,
    /// A child admitted at 16 or 17 leaves before 18.
    pub age_out_leaves_before_18: f64,
    /// A child going home after months on a care order is placed with parents (P1) first.
    pub home_via_parents: f64,
    /// A long-term or older child moves to semi-independent living from 16.
    pub semi_independent_from_16: f64,
}

impl Care {
    pub const SEED: Care = Care {
        uasc_age_out: 0.85,
        volatile_from_10: 0.18,
        volatile_under_10: 0.04,
        no_category_of_need: 0.03,
        younger_team_adoption: 0.9,
        younger_team_under_5: 0.7,
        younger_team_5_to_10: 0.35,
        younger_team_older: 0.12,
        cao_via_family_friends: 0.25,
        long_term_home_under_10: 0.15,
        long_term_leaves_before_18: 0.3,
        age_out_leaves_before_18: 0.12,
        home_via_parents: 0.55,
        semi_independent_from_16: 0.55,
    };
}

/// Legal statuses along a period of care. Calibrated, with the routes: C2 (a full care
/// order) is the largest legal status of 6.1.
#[derive(Clone, Debug)]
pub(crate) struct Legal {
    /// A period (other than brief, remand, age-out or UASC ones) starts under police
    /// protection or an emergency protection order (L1/L2).
    pub emergency_protection: f64,
    /// On the special guardianship and child arrangements routes, an interim care order (C1)
    /// comes first (else voluntary accommodation, V2) ...
    pub interim_order_for_orders: f64,
    /// ... and on the other routes.
    pub interim_order_other: f64,
    /// On those routes, an interim care order becomes a full one (C2).
    pub full_order_for_orders: f64,
    /// Going home: an interim care order comes first (else V2) ...
    pub interim_order_home: f64,
    /// ... and becomes a full one when the stay is long.
    pub full_order_home: f64,
    /// Long term: an interim care order from admission (else V2) ...
    pub interim_order_long_term: f64,
    /// ... or, after V2, later.
    pub later_order_long_term: f64,
    /// Admitted at 16 or 17: accommodated (V2) rather than on a care order.
    pub accommodated_age_out: f64,
}

impl Legal {
    pub const SEED: Legal = Legal {
        emergency_protection: 0.07,
        interim_order_for_orders: 0.75,
        interim_order_other: 0.3,
        full_order_for_orders: 0.25,
        interim_order_home: 0.65,
        full_order_home: 0.7,
        interim_order_long_term: 0.7,
        later_order_long_term: 0.7,
        accommodated_age_out: 0.75,
    };
}

/// The adoption route (the route's share by age is in `children::route_for`).
#[derive(Clone, Debug)]
pub(crate) struct Adoption {
    /// Placed with the parents' consent (A3/A4), with no placement order.
    pub consent: f64,
    /// After an adoption decision is reversed, special guardianship follows (else long-term
    /// fostering).
    pub sgo_after_reversal: f64,
    /// A baby on the adoption route is placed foster-for-adoption (U5) from the start.
    pub foster_for_adoption: f64,
    /// A child placed for adoption stays with its foster carers, who adopt.
    pub foster_carers_adopt: f64,
    /// A full care order (C2) comes before the placement order.
    pub care_order_first: f64,
}

impl Adoption {
    pub const SEED: Adoption = Adoption {
        consent: 0.08,
        sgo_after_reversal: 0.4,
        foster_for_adoption: 0.15,
        foster_carers_adopt: 0.1,
        care_order_first: 0.25,
    };
}

/// Placements and moves (the mixes of settings by age are in `children`).
#[derive(Clone, Debug)]
pub(crate) struct Placements {
    /// The special guardianship route starts with family and friends.
    pub sgo_with_family_friends: f64,
    /// The child arrangements route starts with family and friends.
    pub cao_with_family_friends: f64,
    /// A first foster or residential placement is a bridging one, left within two months.
    pub bridging: f64,
    /// Temporary placements (respite, hospital) a year in a foster stay.
    pub temporaries_per_year: f64,
    pub breakdowns: Breakdowns,
    pub in_area: InArea,
}

impl Placements {
    pub const SEED: Placements = Placements {
        sgo_with_family_friends: 0.25,
        cao_with_family_friends: 0.25,
        bridging: 0.45,
        temporaries_per_year: 0.2,
        breakdowns: Breakdowns::SEED,
        in_area: InArea::SEED,
    };
}

/// Unplanned moves: a year's rate in foster care by age, times a factor for the setting.
/// Not calibrated; compare 8.2 (three or more placements in 12 months: the report's 2017/18
/// outturn is 13.1%) and 8.1.
#[derive(Clone, Debug)]
pub(crate) struct Breakdowns {
    pub per_year_under_5: f64,
    pub per_year_5_to_9: f64,
    pub per_year_from_10: f64,
    pub residential: f64,
    pub family_friends: f64,
    pub secure: f64,
    pub elsewhere_or_school: f64,
    pub mother_baby: f64,
    /// In a volatile period of care.
    pub volatile: f64,
    /// Once matched as the permanent home.
    pub matched: f64,
}

impl Breakdowns {
    pub const SEED: Breakdowns = Breakdowns {
        per_year_under_5: 0.3,
        per_year_5_to_9: 0.4,
        per_year_from_10: 0.6,
        residential: 0.9,
        family_friends: 0.6,
        secure: 6.0,
        elsewhere_or_school: 1.5,
        mother_baby: 4.0,
        volatile: 4.0,
        matched: 0.3,
    };
}

/// A placement is inside the authority's area, by kind of place (for foster placements see
/// [`Fostering`]). Not calibrated: the report only says placements out of the area are rising.
#[derive(Clone, Debug)]
pub(crate) struct InArea {
    pub adopters: f64,
    pub residential: f64,
    pub secure: f64,
    pub semi_independent: f64,
    pub independent_living: f64,
    pub parents: f64,
    pub mother_baby: f64,
    pub school: f64,
    pub custody: f64,
    pub short_break: f64,
    pub elsewhere: f64,
}

impl InArea {
    pub const SEED: InArea = InArea {
        adopters: 0.5,
        residential: 0.4,
        secure: 0.2,
        semi_independent: 0.7,
        independent_living: 0.9,
        parents: 0.9,
        mother_baby: 0.3,
        school: 0.2,
        custody: 0.3,
        short_break: 1.0,
        elsewhere: 0.5,
    };
}

/// Disabled children on short breaks (ignored by every indicator).
#[derive(Clone, Debug)]
pub(crate) struct ShortBreaks {
    /// Children starting short breaks a month, at the seed's size.
    pub per_month: f64,
    /// A child has a series of short breaks (V3) rather than an agreement (V4).
    pub series: f64,
    pub male: f64,
}

impl ShortBreaks {
    pub const SEED: ShortBreaks = ShortBreaks {
        per_month: 0.35,
        series: 0.6,
        male: 0.6,
    };
}

/// Foster-carer households: recruitment, how long they foster, and where their placements
/// are. Calibrated, with `Profile::households`: 9.3 is 130-170 households (the report:
/// 152-161). Compare 9.4 and 9.5 (the report: 13-32 recruited and 16-25 deregistered a year).
#[derive(Clone, Debug)]
pub(crate) struct Fostering {
    /// Years a mainstream household fosters before deciding to stop, on average (and the
    /// usual month recruits the households kept over this many years of months).
    pub tenure_years: f64,
    /// Share of the gap between the target and the households registered that a month's
    /// recruitment closes (on top of replacing those leaving) ...
    pub gap_closed: f64,
    /// ... recruiting at most this multiple of the usual month's ...
    pub max_share: f64,
    /// ... plus this many.
    pub max_extra: f64,
    /// A family and friends (connected) placement is inside the authority's area ...
    pub connected_in_area: f64,
    /// ... one with the authority's own carers ...
    pub in_house_in_area: f64,
    /// ... and one with an independent fostering agency.
    pub agency_in_area: f64,
}

impl Fostering {
    pub const SEED: Fostering = Fostering {
        tenure_years: 8.0,
        gap_closed: 0.2,
        max_share: 4.0,
        max_extra: 2.0,
        connected_in_area: 0.85,
        in_house_in_area: 0.9,
        agency_in_area: 0.55,
    };
}

/// Social workers: who is recruited, how long they stay, what changes and how cases move.
/// Calibrated, with `Profile::caseload_target`: 11.5 is 12-15 cases in both team groups.
/// Compare 11.1 (agency workers with a caseload) and 11.4 (the report: 18-22).
#[derive(Clone, Debug)]
pub(crate) struct Workforce {
    /// A worker recruited because nobody has room comes through an agency ...
    pub agency_when_urgent: f64,
    /// ... and one recruited as caseloads rise.
    pub agency: f64,
    /// A permanent recruit is qualified (agency staff always are) ...
    pub qualified: f64,
    /// ... and a qualified permanent recruit is in the assessed and supported year (ASYE).
    pub asye: f64,
    /// Days an agency worker stays beyond two months, on average ...
    pub agency_stay_days: f64,
    /// ... and years a permanent one stays beyond three months.
    pub permanent_stay_years: f64,
    /// A worker changes team once ...
    pub team_change: f64,
    /// ... changes hours (to full time, or from it to 0.8) ...
    pub fte_change: f64,
    /// ... or, from an agency, becomes permanent.
    pub becomes_permanent: f64,
    /// A leaver's case passes to a colleague the same day (else within ten days).
    pub handover_same_day: f64,
    /// An open case moves to another worker of the team group in a month.
    pub reallocated_per_month: f64,
}

impl Workforce {
    pub const SEED: Workforce = Workforce {
        agency_when_urgent: 0.5,
        agency: 0.3,
        qualified: 0.94,
        asye: 0.2,
        agency_stay_days: 500.0,
        permanent_stay_years: 4.0,
        team_change: 0.15,
        fte_change: 0.1,
        becomes_permanent: 0.1,
        handover_same_day: 0.75,
        reallocated_per_month: 0.01,
    };
}

/// How children's records are kept, beside the timeliness of [`Practice`]. Not calibrated
/// against the report unless a field says so.
#[derive(Clone, Debug)]
pub(crate) struct Recording {
    /// A child's records come from a legacy system (Q1/Q2 before April 2015).
    pub legacy_system: f64,
    /// A child registered before 2005 has a legacy sex code (1/2).
    pub legacy_sex: f64,
    /// A child is first registered wrongly and corrected later ...
    pub wrong_registration: f64,
    /// ... with a wrong date of birth (else with sex unknown).
    pub wrong_date_of_birth: f64,
    /// A review of a child aged 4 or over does not record how the child took part (a
    /// deliberate recording gap, see `Profile::recording_gaps`).
    pub participation_unrecorded: f64,
    /// A child aged 4 or over is seen alone on a visit.
    pub seen_alone: f64,
    /// A young person refuses health assessments from 16.
    pub refuses_health_from_16: f64,
    /// The first care plan is recorded within 10 working days (else within 40).
    pub first_plan_within_10_days: f64,
    /// A young person never has a pathway plan (refused, or lost in the system).
    pub no_pathway_plan: f64,
    /// A care leaver asks for support beyond 21 ...
    pub extended_support: f64,
    /// ... and ends it before 25.
    pub extended_support_ends: f64,
    /// A care leaver who left care to go home is living at home ...
    pub leaver_at_home: f64,
    /// ... and recorded as returned home at a contact.
    pub returned_home_contact: f64,
    /// A care leaver dies ...
    pub leaver_dies: f64,
    /// ... at any one contact.
    pub dies_at_contact: f64,
    /// A care leaver's activity changes between contacts (in education, employment or
    /// training with `Profile::eet`) ...
    pub activity_changes: f64,
    /// ... and their accommodation (staying put ends at 21 in any case).
    pub accommodation_changes: f64,
}

impl Recording {
    pub const SEED: Recording = Recording {
        legacy_system: 0.3,
        legacy_sex: 0.5,
        wrong_registration: 0.01,
        wrong_date_of_birth: 0.5,
        participation_unrecorded: 0.05,
        seen_alone: 0.6,
        refuses_health_from_16: 0.2,
        first_plan_within_10_days: 0.8,
        no_pathway_plan: 0.04,
        extended_support: 0.55,
        extended_support_ends: 0.5,
        leaver_at_home: 0.7,
        returned_home_contact: 0.8,
        leaver_dies: 0.002,
        dies_at_contact: 0.1,
        activity_changes: 0.2,
        accommodation_changes: 0.12,
    };
}

/// The seed authority's looked-after children at the ends of March 2015-2018 and May 2018
/// (report table 6.1), as (years before May 2018, count), with the level before 2015.
const SEED_CURVE: [(f64, f64); 6] = [
    (4.2, 400.0),
    (3.17, 407.0),
    (2.17, 432.0),
    (1.17, 488.0),
    (0.17, 630.0),
    (0.0, 645.0),
];

impl Profile {
    pub fn new(config: &SimConfig, la: &str) -> Profile {
        let mut rng = stream(config.seed, la, Stream::Profile, 0);
        let v = config.variation.clamp(0.0, 1.0);
        let mut profile = Profile::draw(&mut rng, v);
        profile.recording_gaps = config.recording_gaps;
        profile
    }

    fn draw(rng: &mut SimRng, v: f64) -> Profile {
        // A factor around 1: log-normal with spread `sigma` at full variation.
        let factor = |rng: &mut SimRng, sigma: f64| (v * sigma * rng.normal()).exp();
        // Probabilities move on the log-odds scale.
        let prob = |rng: &mut SimRng, p: f64, sigma: f64| {
            let logit = (p / (1.0 - p)).ln() + v * sigma * rng.normal();
            1.0 / (1.0 + (-logit).exp())
        };
        let scale = factor(rng, 0.6).clamp(0.25, 3.0);
        // Growth: 1 follows the seed's steep rise, 0 is flat, negative shrinks.
        let growth = 1.0 + v * (factor(rng, 1.0).ln().clamp(-1.2, 0.4));
        let end_level = SEED_CURVE[SEED_CURVE.len() - 1].1;
        let lac_curve = SEED_CURVE
            .iter()
            .map(|&(years, n)| (years, scale * (end_level - growth * (end_level - n))))
            .collect();
        let practice = Practice {
            review_on_time: prob(rng, 0.90, 0.7),
            review_late_mean: 12.0,
            visit_on_time: prob(rng, 0.55, 0.6),
            visit_late_mean: 11.0,
            first_visit_on_time: prob(rng, 0.90, 0.6),
            iha_on_time: prob(rng, 0.35, 1.0),
            health_on_time: prob(rng, 0.3, 0.6),
            dental_on_time: prob(rng, 0.15, 0.6),
            pep_per_term: prob(rng, 0.95, 0.6),
            plan_on_time: prob(rng, 0.55, 0.6),
            pathway_on_time: prob(rng, 0.85, 0.6),
        };
        Profile {
            scale,
            lac_curve,
            households: 135.0 * scale * factor(rng, 0.2),
            in_house_share: prob(rng, 0.45, 0.5),
            caseload_target: 13.6 * factor(rng, 0.08),
            uasc_share: prob(rng, 0.08, 0.8),
            eet: prob(rng, 0.62, 0.4),
            practice,
            recording_gaps: true,
            admissions: Admissions::SEED,
            care: Care::SEED,
            legal: Legal::SEED,
            adoption: Adoption::SEED,
            placements: Placements::SEED,
            short_breaks: ShortBreaks::SEED,
            fostering: Fostering::SEED,
            workforce: Workforce::SEED,
            recording: Recording::SEED,
        }
    }

    /// Looked-after children the authority tends to `years_before_end` years before the end.
    pub fn lac_target(&self, years_before_end: f64) -> f64 {
        let curve = &self.lac_curve;
        if years_before_end >= curve[0].0 {
            return curve[0].1;
        }
        for w in curve.windows(2) {
            let ((y0, n0), (y1, n1)) = (w[0], w[1]);
            if years_before_end <= y0 && years_before_end >= y1 {
                let t = (y0 - years_before_end) / (y0 - y1);
                return n0 + t * (n1 - n0);
            }
        }
        curve[curve.len() - 1].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_variation_every_authority_is_the_seed() {
        let config = SimConfig::default();
        let a = Profile::new(&config, "372");
        let b = Profile::new(&config, "201");
        assert_eq!(a.scale, 1.0);
        assert_eq!(a.lac_target(0.0), b.lac_target(0.0));
        assert_eq!(a.lac_target(10.0), 400.0);
        // Halfway between March 2017 (488) and March 2018 (630).
        assert!((a.lac_target(0.67) - 559.0).abs() < 1.0);
        assert_eq!(a.practice.review_on_time, b.practice.review_on_time);
    }

    #[test]
    fn with_variation_authorities_differ() {
        let config = SimConfig::many(1, 20);
        let sizes: Vec<f64> = config
            .authorities
            .iter()
            .map(|la| Profile::new(&config, la).scale)
            .collect();
        assert!(sizes.iter().all(|s| (0.25..=3.0).contains(s)));
        assert!(sizes.iter().any(|s| *s < 0.8) && sizes.iter().any(|s| *s > 1.2));
    }
}
