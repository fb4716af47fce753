//! 6.7 statutory reviews held within timescales (INDICATORS.md 3.1).

use super::{Context, Evaluation, Indicator};
use crate::timeline::ChildTimeline;

pub const DERIVES: &[Indicator] = &[];

pub fn evaluate(_tl: &ChildTimeline, _ctx: &Context, _out: &mut Vec<Evaluation>) {}
