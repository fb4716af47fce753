//! The query API's enums (`caseflow.v2`) and the domain types they carry: one table per enum,
//! read in both directions. The server answers with `From<domain> for v2::…`; a client reads a
//! message's raw enum field with [`read_enum`]. Prost's own getters turn an unknown number into
//! UNSPECIFIED without a word; [`read_enum`] says so instead.

use caseflow_domain::indicators::{Basis, Dimension, Polarity, Unit};
use caseflow_domain::scorecard::{Direction, Judgement, Rag};
use caseflow_domain::timeline::EntryStatus;

use crate::v2;

/// A generated `caseflow.v2` enum that carries a domain type.
pub trait WireEnum: TryFrom<i32> + Copy {
    /// The domain type.
    type Domain;
    /// The enum's full proto name, for messages.
    const NAME: &'static str;
    /// The domain value; `None` for UNSPECIFIED (the field's "none", or "not set").
    fn to_domain(self) -> Option<Self::Domain>;
}

/// A number that is no value of the enum: the peer's schema is newer than this build's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not a value of {name}")]
pub struct UnknownEnumValue {
    pub name: &'static str,
    pub value: i32,
}

/// Reads an enum field of a `caseflow.v2` message (its raw number) as the domain type: `None`
/// for UNSPECIFIED, an error for a number this build does not know.
pub fn read_enum<W: WireEnum>(raw: i32) -> Result<Option<W::Domain>, UnknownEnumValue> {
    W::try_from(raw)
        .map(W::to_domain)
        .map_err(|_| UnknownEnumValue {
            name: W::NAME,
            value: raw,
        })
}

/// `From<domain>` for the wire enum and [`WireEnum`] back, from one list of pairs. Both matches
/// are exhaustive: a value added on either side fails to compile until it is paired.
macro_rules! wire_enum {
    ($name:literal, $domain:ident => $wire:ident { $($d:ident => $w:ident),+ $(,)? }) => {
        impl From<$domain> for v2::$wire {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$d => v2::$wire::$w),+
                }
            }
        }

        impl WireEnum for v2::$wire {
            type Domain = $domain;
            const NAME: &'static str = $name;

            fn to_domain(self) -> Option<$domain> {
                match self {
                    v2::$wire::Unspecified => None,
                    $(v2::$wire::$w => Some($domain::$d)),+
                }
            }
        }
    };
}

wire_enum!("caseflow.v2.Polarity", Polarity => Polarity {
    Info => Info,
    High => High,
    Low => Low,
    WithinRange => WithinRange,
});

wire_enum!("caseflow.v2.Basis", Basis => Basis {
    MonthEnd => MonthEnd,
    InMonth => InMonth,
    Rolling12Months => Rolling12Months,
    YtdAverage => YtdAverage,
    TermEnd => TermEnd,
});

wire_enum!("caseflow.v2.Unit", Unit => Unit {
    Count => Count,
    Percent => Percent,
    RatePer10000 => RatePer10000,
    AverageDays => AverageDays,
    AverageCount => AverageCount,
});

wire_enum!("caseflow.v2.Rag", Rag => Rag {
    Red => Red,
    Amber => Amber,
    Green => Green,
});

wire_enum!("caseflow.v2.Direction", Direction => Direction {
    Up => Up,
    Down => Down,
    Same => Same,
});

wire_enum!("caseflow.v2.Judgement", Judgement => Judgement {
    Improved => Improved,
    Declined => Declined,
    NoMovement => NoMovement,
    NotJudged => NotJudged,
});

/// The breakdown dimensions of the stored cells. `DIMENSION_TEAM_GROUP` has no domain
/// counterpart: the server joins children with workers to answer it.
impl From<Dimension> for v2::Dimension {
    fn from(value: Dimension) -> Self {
        match value {
            Dimension::AgeBand => v2::Dimension::AgeBand,
            Dimension::LegalStatus => v2::Dimension::LegalStatus,
            Dimension::PlacementType => v2::Dimension::PlacementType,
            Dimension::Provider => v2::Dimension::PlacementProvider,
            Dimension::Sex => v2::Dimension::Sex,
        }
    }
}

/// What became of a timeline entry; its detail (the retraction, the reason) travels beside it.
impl From<&EntryStatus> for v2::EntryStatus {
    fn from(value: &EntryStatus) -> Self {
        match value {
            EntryStatus::Applied => v2::EntryStatus::Applied,
            EntryStatus::Retracted { .. } => v2::EntryStatus::Retracted,
            EntryStatus::Flagged(_) => v2::EntryStatus::Flagged,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use caseflow_domain::indicators::Indicator;

    use super::*;

    /// Every wire value but UNSPECIFIED reads as a domain value that writes back to it, and
    /// UNSPECIFIED reads as none. Wire values are numbered 0, 1, 2, … without gaps.
    fn round_trips<W>()
    where
        W: WireEnum + From<W::Domain> + Into<i32> + PartialEq + Debug,
        W::Domain: Copy + PartialEq + Debug,
    {
        assert_eq!(read_enum::<W>(0), Ok(None), "{}", W::NAME);
        let mut n = 1;
        while let Ok(wire) = W::try_from(n) {
            let domain = read_enum::<W>(n)
                .unwrap()
                .unwrap_or_else(|| panic!("{} {n} reads as none", W::NAME));
            assert_eq!(W::from(domain), wire);
            assert_eq!(wire.into(), n);
            n += 1;
        }
        assert!(n > 2, "{} has values", W::NAME);
        assert_eq!(
            read_enum::<W>(n).unwrap_err().to_string(),
            format!("{n} is not a value of {}", W::NAME)
        );
    }

    #[test]
    fn every_wire_value_reads_as_a_domain_value_and_back() {
        round_trips::<v2::Polarity>();
        round_trips::<v2::Basis>();
        round_trips::<v2::Unit>();
        round_trips::<v2::Rag>();
        round_trips::<v2::Direction>();
        round_trips::<v2::Judgement>();
    }

    #[test]
    fn an_indicator_is_sent_with_its_catalogue_values_by_name() {
        let p = |p: Polarity| v2::Polarity::from(p).as_str_name();
        let b = |b: Basis| v2::Basis::from(b).as_str_name();
        let u = |u: Unit| v2::Unit::from(u).as_str_name();
        let info = Indicator::Adopted;
        assert_eq!(
            (p(info.polarity()), b(info.basis()), u(info.unit())),
            ("POLARITY_HIGH", "BASIS_IN_MONTH", "UNIT_PERCENT")
        );
    }

    #[test]
    fn dimensions_and_entry_statuses_have_their_names() {
        let names: Vec<&str> = Dimension::ALL
            .map(|d| v2::Dimension::from(d).as_str_name())
            .to_vec();
        assert_eq!(
            names,
            [
                "DIMENSION_AGE_BAND",
                "DIMENSION_LEGAL_STATUS",
                "DIMENSION_PLACEMENT_TYPE",
                "DIMENSION_PLACEMENT_PROVIDER",
                "DIMENSION_SEX"
            ]
        );
        let applied = v2::EntryStatus::from(&EntryStatus::Applied);
        assert_eq!(applied.as_str_name(), "ENTRY_STATUS_APPLIED");
    }
}
