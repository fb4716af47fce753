//! 6.12 PEP, 6.13 termly PEP, 6.14 up-to-date care plan.

use super::{Context, Evaluation, Indicator};
use crate::timeline::ChildTimeline;

pub const DERIVES: &[Indicator] = &[];

pub fn evaluate(_tl: &ChildTimeline, _ctx: &Context, _out: &mut Vec<Evaluation>) {}
