//! The settings a simulated authority comes with: its under-18 population for 6.2, written as
//! the configuration's `[authorities."NNN"]` sections (`deploy/sim/authorities.toml` is
//! [`authorities_toml`] of `SimConfig::many(2018, 150)`).

use caseflow_domain::FinancialYear;

use crate::SimConfig;
use crate::profile::Profile;

/// The seed authority's under-18 population in 2018/19, back-calculated from the May 2018
/// report's rates (628 looked-after children were 111.0 per 10,000).
const SEED_POPULATION: f64 = 56_600.0;

/// How much an under-18 population grows a year (England's grew by about half a percent a
/// year in the 2010s).
const YEARLY_GROWTH: f64 = 0.005;

/// How much more (or less) often than the seed's an authority's children come into care,
/// relative to its population: 0.6 to 1.5, fixed by its code, 1 without variation. Real
/// authorities' rates per 10,000 range from about a third to twice the national one.
fn rate_factor(config: &SimConfig, la: &str) -> f64 {
    if config.variation <= 0.0 {
        return 1.0;
    }
    let code: f64 = la.parse().unwrap_or(0.0);
    // The golden ratio spreads consecutive codes evenly over [0, 1).
    let spread = (code * 0.618_033_988_75).fract();
    1.0 + config.variation.min(1.0) * (0.6 + 0.9 * spread - 1.0)
}

/// The under-18 population of a simulated authority in each financial year of the
/// simulation: the seed's, scaled by the authority's size and divided by its rate factor (so
/// authorities' 6.2 rates differ as real ones do), half a percent smaller for each year before
/// the last, rounded to tens.
pub fn population_under_18(config: &SimConfig, la: &str) -> Vec<(FinancialYear, u32)> {
    let scale = Profile::new(config, la).scale / rate_factor(config, la);
    let first = FinancialYear::of(config.start);
    let last = FinancialYear::of(config.end);
    (first.0..=last.0)
        .map(|year| {
            let behind = f64::from(last.0 - year);
            let people = SEED_POPULATION * scale * (1.0 - YEARLY_GROWTH * behind);
            // At most 3 / 0.6 x 56,600 people: far inside u32.
            let tens = (people / 10.0).round() as u32;
            (FinancialYear(year), tens * 10)
        })
        .collect()
}

/// Every simulated authority's `[authorities."NNN"]` section, giving its under-18 population.
pub fn authorities_toml(config: &SimConfig) -> String {
    let mut out = format!(
        "# The simulated authorities' own settings: each one's under-18 population (6.2), in\n\
         # proportion to its simulated size. Generated for `SimConfig::many({}, {})` (what\n\
         # `caseflow simulate --authorities {}` and the benchmarks publish); regenerate with\n\
         # UPDATE_SIM_SETTINGS=1 cargo nextest run -p caseflow-sim shipped_settings.\n\
         # Use it as `authorities_file = \"deploy/sim/authorities.toml\"` in caseflow.toml.\n",
        config.seed,
        config.authorities.len(),
        config.authorities.len()
    );
    for la in &config.authorities {
        out.push_str(&format!("\n[authorities.\"{la}\".population_under_18]\n"));
        for (year, people) in population_under_18(config, la) {
            out.push_str(&format!("\"{year}\" = {people}\n"));
        }
    }
    out
}
