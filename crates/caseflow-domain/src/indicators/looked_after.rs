//! 6.1 looked after at month end (with its breakdowns), 6.3 admissions, 6.4 ceased, and the
//! shares of those ceased: 6.5 permanence, 6.6 special guardianship, 6.8 adoption.

use time::Date;

use super::{
    Category, Context, Dimension, Evaluation, FactValue, Indicator, Sink, current_placement,
    looked_after_month_ends,
};
use crate::calendar::{AgeBand, Month, age_on};
use crate::timeline::{ChildTimeline, PeriodOfCare};

pub const DERIVES: &[Indicator] = &[
    Indicator::LookedAfter,
    Indicator::Admissions,
    Indicator::Ceased,
    Indicator::CeasedPermanence,
    Indicator::CeasedSgo,
    Indicator::Adopted,
];

pub fn evaluate(tl: &ChildTimeline, ctx: &Context, out: &mut impl Sink) {
    for period in tl.counted_periods() {
        let first = Month::of(period.start);
        if first <= ctx.horizon {
            out.push(
                Evaluation::count(Indicator::Admissions, first).day("admitted", Some(period.start)),
            );
        }
        if let (Some(end), Some(reason)) = (period.end, period.end_reason) {
            let month = Month::of(end);
            if month <= ctx.horizon {
                let ceased = |indicator, met| {
                    Evaluation::ratio(indicator, month, met)
                        .day("ceased", Some(end))
                        .fact("reason", FactValue::Code(reason.code()))
                };
                out.push(
                    Evaluation::count(Indicator::Ceased, month)
                        .day("ceased", Some(end))
                        .fact("reason", FactValue::Code(reason.code())),
                );
                out.push(ceased(Indicator::CeasedPermanence, reason.is_permanence()));
                out.push(ceased(
                    Indicator::CeasedSgo,
                    reason.is_special_guardianship(),
                ));
                out.push(ceased(Indicator::Adopted, reason.is_adoption()));
            }
        }
        for (month, day) in looked_after_month_ends(period, ctx.horizon) {
            let mut e = Evaluation::count(Indicator::LookedAfter, month)
                .day("period_start", Some(period.start));
            e.categories = categories(tl, period, day).into();
            out.push(e);
        }
    }
}

/// The breakdown categories of a child looked after on `day` in `period`.
fn categories(tl: &ChildTimeline, period: &PeriodOfCare, day: Date) -> [Category; 5] {
    let age = tl.date_of_birth.map(|b| AgeBand::of_age(age_on(b, day)));
    let status = period.legal_status_on(day);
    let placement = current_placement(period, day);
    [
        age.map_or(Category::Unknown(Dimension::AgeBand), Category::AgeBand),
        status.map_or(
            Category::Unknown(Dimension::LegalStatus),
            Category::LegalStatus,
        ),
        placement.map_or(Category::Unknown(Dimension::PlacementType), |p| {
            Category::PlacementType(p.placement.kind)
        }),
        placement
            .and_then(|p| p.placement.provider)
            .map_or(Category::Unknown(Dimension::Provider), Category::Provider),
        tl.sex
            .map_or(Category::Unknown(Dimension::Sex), Category::Sex),
    ]
}
