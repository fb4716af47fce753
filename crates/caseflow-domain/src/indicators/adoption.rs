//! 10.1-10.5 adoptions: numbers, timeliness against SHOBPA, A1 and A2 averages.

use super::{Context, Evaluation, Indicator};
use crate::timeline::ChildTimeline;

pub const DERIVES: &[Indicator] = &[];

pub fn evaluate(_tl: &ChildTimeline, _ctx: &Context, _out: &mut Vec<Evaluation>) {}
