//! Per-authority parameters: size, the looked-after trajectory admissions follow, how many
//! foster carers and social workers it keeps, and how well it keeps to timescales.
//!
//! With `variation` 0 every authority gets the parameters calibrated against the May 2018
//! report in the seeds; with variation, each parameter is drawn around them from `(seed, la)`.

use crate::config::SimConfig;
use crate::random::{Draw, SimRng, Stream, stream};

/// How well an authority's practice keeps to timescales: probabilities of doing a thing on
/// time, and how late it is otherwise.
#[derive(Clone, Debug)]
pub(crate) struct Practice {
    /// A statutory review held by its due day.
    pub review_on_time: f64,
    /// A visit made within the local standard (4 weeks) ...
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
    /// Foster-carer households (connected ones included) it keeps approved.
    pub households: f64,
    /// Share of foster placements it tries to make with its own carers.
    pub in_house_share: f64,
    /// Cases per FTE above which a LAC team recruits.
    pub caseload_target: f64,
    /// Share of admissions of children aged 14-17 who are unaccompanied asylum seekers.
    pub uasc_share: f64,
    /// Share of care leavers in touch who are in education, employment or training.
    pub eet: f64,
    pub practice: Practice,
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
        Profile::draw(&mut rng, v)
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
