//! 6.9 health assessments and 6.10 dental checks up to date, 6.11 initial health assessments within 20 working days.

use super::{Context, Evaluation, Indicator};
use crate::timeline::ChildTimeline;

pub const DERIVES: &[Indicator] = &[];

pub fn evaluate(_tl: &ChildTimeline, _ctx: &Context, _out: &mut Vec<Evaluation>) {}
