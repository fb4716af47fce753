//! Seeded randomness: one ChaCha stream per purpose and subject, and the few distributions the
//! model draws from (rand 0.8 without `rand_distr`).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Date;

use caseflow_domain::calendar::add_days;

pub(crate) type SimRng = ChaCha8Rng;

/// What a stream is for; part of its seed so that streams never share numbers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Stream {
    Profile = 1,
    Children = 2,
    Carers = 3,
    Workforce = 4,
    Recording = 5,
    Mess = 6,
}

/// SplitMix64 finaliser.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string.
fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The stream for `purpose` of authority `la`, item `index` (e.g. a child's number).
pub(crate) fn stream(seed: u64, la: &str, purpose: Stream, index: u64) -> SimRng {
    let key = [hash_str(la), purpose as u64, index]
        .iter()
        .fold(mix64(seed), |h, x| mix64(h ^ x));
    ChaCha8Rng::seed_from_u64(key)
}

/// The distributions used by the model.
pub(crate) trait Draw: Rng {
    /// `true` with probability `p` (clamped to 0..=1).
    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.r#gen::<f64>() < p
    }

    /// Uniform in `lo..hi`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo { lo } else { self.gen_range(lo..hi) }
    }

    /// Uniform whole number in `lo..=hi`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            self.gen_range(lo..=hi)
        }
    }

    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        let u: f64 = self.r#gen::<f64>();
        -mean * (1.0 - u).ln()
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1: f64 = 1.0 - self.r#gen::<f64>();
        let u2: f64 = self.r#gen::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Log-normal with the given median and log-scale spread.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// Poisson with mean `lambda` (Knuth for small means, normal approximation above 30).
    fn poisson(&mut self, lambda: f64) -> u32 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let x = lambda + lambda.sqrt() * self.normal();
            return x.round().max(0.0) as u32;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.r#gen::<f64>();
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// One of `weighted` (value, weight) pairs.
    fn pick<T: Copy>(&mut self, weighted: &[(T, f64)]) -> T {
        let total: f64 = weighted.iter().map(|(_, w)| w.max(0.0)).sum();
        let mut x = self.uniform(0.0, total);
        for (v, w) in weighted {
            let w = w.max(0.0);
            if x < w {
                return *v;
            }
            x -= w;
        }
        weighted[weighted.len() - 1].0
    }

    /// A day `lo..=hi` days after `day`.
    fn day_within(&mut self, day: Date, lo: i64, hi: i64) -> Date {
        add_days(day, self.int(lo, hi))
    }
}

impl<R: Rng + ?Sized> Draw for R {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_and_repeatable() {
        let a: Vec<u32> = (0..4)
            .map(|_| stream(1, "372", Stream::Children, 0).r#gen())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let x: u64 = stream(1, "372", Stream::Children, 0).r#gen();
        let y: u64 = stream(1, "372", Stream::Children, 1).r#gen();
        let z: u64 = stream(1, "373", Stream::Children, 0).r#gen();
        let w: u64 = stream(2, "372", Stream::Children, 0).r#gen();
        assert!(x != y && x != z && x != w);
    }

    #[test]
    fn distributions_have_their_means() {
        let mut rng = stream(7, "372", Stream::Profile, 0);
        let n = 20_000;
        let mean = |f: &mut dyn FnMut() -> f64| (0..n).map(|_| f()).sum::<f64>() / n as f64;
        let p = mean(&mut || f64::from(rng.poisson(4.0)));
        assert!((p - 4.0).abs() < 0.1, "{p}");
        let p = mean(&mut || f64::from(rng.poisson(60.0)));
        assert!((p - 60.0).abs() < 0.5, "{p}");
        let e = mean(&mut || rng.exp(10.0));
        assert!((e - 10.0).abs() < 0.4, "{e}");
        let c = mean(&mut || f64::from(u8::from(rng.chance(0.3))));
        assert!((c - 0.3).abs() < 0.02, "{c}");
        let k = mean(&mut || rng.pick(&[(1.0, 1.0), (3.0, 3.0)]));
        assert!((k - 2.5).abs() < 0.05, "{k}");
    }
}
