//! 8.1-8.5 placement stability and type, 9.1-9.2 fostering placements.

use super::{Context, Evaluation, Indicator};
use crate::timeline::ChildTimeline;

pub const DERIVES: &[Indicator] = &[];

pub fn evaluate(_tl: &ChildTimeline, _ctx: &Context, _out: &mut Vec<Evaluation>) {}
