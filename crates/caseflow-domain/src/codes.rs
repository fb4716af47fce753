//! SSDA903 code lists (EVENTS.md section 5), with the dates each code is valid on.

use serde::{Deserialize, Serialize};
use time::{Date, macros::date};

/// Defines a code list: an enum, its codes, `parse` and `code`.
macro_rules! code_list {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// What the list is called in rejection messages.
            pub const LIST: &'static str = $what;

            pub fn parse(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_list!(
    /// Legal status (903 LS).
    LegalStatus, "legal status" {
        C1 = "C1", C2 = "C2", D1 = "D1", E1 = "E1", V2 = "V2", V3 = "V3", V4 = "V4",
        L1 = "L1", L2 = "L2", L3 = "L3", J1 = "J1", J2 = "J2", J3 = "J3",
    }
);

impl LegalStatus {
    /// V3/V4: a series of short breaks, not counted by any indicator.
    pub fn is_short_break(self) -> bool {
        matches!(self, LegalStatus::V3 | LegalStatus::V4)
    }

    /// E1 placement order or D1 freeing order.
    pub fn is_placement_order(self) -> bool {
        matches!(self, LegalStatus::E1 | LegalStatus::D1)
    }
}

code_list!(
    /// Placement type (903 PLACE).
    PlacementType, "placement type" {
        A3 = "A3", A4 = "A4", A5 = "A5", A6 = "A6", H5 = "H5", K1 = "K1", K2 = "K2", K3 = "K3",
        P1 = "P1", P2 = "P2", P3 = "P3", R1 = "R1", R2 = "R2", R3 = "R3", R5 = "R5", S1 = "S1",
        T0 = "T0", T1 = "T1", T2 = "T2", T3 = "T3", T4 = "T4",
        U1 = "U1", U2 = "U2", U3 = "U3", U4 = "U4", U5 = "U5", U6 = "U6", Z1 = "Z1",
        Q1 = "Q1", Q2 = "Q2",
    }
);

impl PlacementType {
    /// Whether the code may be used for a placement starting on `day`.
    pub fn valid_on(self, day: Date) -> bool {
        match self {
            PlacementType::H5 => day <= date!(2025 - 03 - 31),
            PlacementType::K3 => day >= date!(2024 - 04 - 01),
            PlacementType::P2 => day <= date!(2023 - 10 - 27),
            PlacementType::Q1 | PlacementType::Q2 => day < date!(2015 - 04 - 01),
            _ => true,
        }
    }

    /// The dates the code is valid on, for rejection messages.
    pub fn validity(self) -> &'static str {
        match self {
            PlacementType::H5 => "until 2025-03-31",
            PlacementType::K3 => "from 2024-04-01",
            PlacementType::P2 => "until 2023-10-27",
            PlacementType::Q1 | PlacementType::Q2 => "before 2015-04-01",
            _ => "always",
        }
    }

    /// T0-T4: temporary placements, ignored for placement counting.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            PlacementType::T0
                | PlacementType::T1
                | PlacementType::T2
                | PlacementType::T3
                | PlacementType::T4
        )
    }

    /// A3-A6: placed for adoption.
    pub fn is_placed_for_adoption(self) -> bool {
        matches!(
            self,
            PlacementType::A3 | PlacementType::A4 | PlacementType::A5 | PlacementType::A6
        )
    }

    /// Types that carry no provider: temporary placements and Z1.
    pub fn has_no_provider(self) -> bool {
        self.is_temporary() || self == PlacementType::Z1
    }
}

code_list!(
    /// Placement provider (903 PLACE_PROVIDER).
    Provider, "placement provider" {
        PR0 = "PR0", PR1 = "PR1", PR2 = "PR2", PR3 = "PR3", PR4 = "PR4", PR5 = "PR5",
    }
);

code_list!(
    /// Reason episode ceased (903 REC), without X1 (episode continues), which is not an end.
    ReasonCeased, "reason episode ceased" {
        E11 = "E11", E12 = "E12", E13 = "E13", E14 = "E14", E15 = "E15", E16 = "E16", E17 = "E17",
        E2 = "E2", E3 = "E3", E41 = "E41", E43 = "E43", E44 = "E44", E45 = "E45", E46 = "E46",
        E47 = "E47", E48 = "E48", E4A = "E4A", E4B = "E4B", E5 = "E5", E6 = "E6", E7 = "E7",
        E8 = "E8", E9 = "E9",
    }
);

impl ReasonCeased {
    /// Adopted: E11, E12.
    pub fn is_adoption(self) -> bool {
        matches!(self, ReasonCeased::E11 | ReasonCeased::E12)
    }

    /// A special guardianship order: E43-E48.
    pub fn is_special_guardianship(self) -> bool {
        matches!(
            self,
            ReasonCeased::E43
                | ReasonCeased::E44
                | ReasonCeased::E45
                | ReasonCeased::E46
                | ReasonCeased::E47
                | ReasonCeased::E48
        )
    }

    /// Permanence: adoption, SGO, or a residence / child arrangements order (E41).
    pub fn is_permanence(self) -> bool {
        self.is_adoption() || self.is_special_guardianship() || self == ReasonCeased::E41
    }
}

code_list!(
    /// Category of need.
    CategoryOfNeed, "category of need" {
        N1 = "N1", N2 = "N2", N3 = "N3", N4 = "N4", N5 = "N5", N6 = "N6", N7 = "N7", N8 = "N8",
    }
);

code_list!(
    /// Reason for placement change (903 REASON_PLACE_CHANGE).
    PlacementChangeReason, "reason for placement change" {
        Carpl = "CARPL", Close = "CLOSE", Alleg = "ALLEG", Stand = "STAND", Apprr = "APPRR",
        Creqb = "CREQB", Creqo = "CREQO", Child = "CHILD", Lareq = "LAREQ", Place = "PLACE",
        Custod = "CUSTOD", Other = "OTHER",
    }
);

code_list!(
    /// Sex. Legacy `1` and `2` are read as M and F by [`Sex::parse_with_legacy`].
    Sex, "sex" { Male = "M", Female = "F", Unknown = "U" }
);

impl Sex {
    pub fn parse_with_legacy(code: &str) -> Option<Sex> {
        match code {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            other => Sex::parse(other),
        }
    }
}

code_list!(
    /// Kind of statutory health assessment.
    HealthAssessmentKind, "health assessment kind" { Initial = "INITIAL", Review = "REVIEW" }
);

code_list!(
    /// Review participation (903 PN codes).
    ReviewParticipation, "review participation" {
        Pn0 = "PN0", Pn1 = "PN1", Pn2 = "PN2", Pn3 = "PN3", Pn4 = "PN4", Pn5 = "PN5", Pn6 = "PN6",
        Pn7 = "PN7",
    }
);

code_list!(
    /// Care leaver in touch (903 IN_TOUCH).
    InTouch, "care leaver in touch" {
        Yes = "YES", No = "NO", Died = "DIED", Refused = "REFU", NotRequired = "NREQ",
        ReturnedHome = "RHOM",
    }
);

code_list!(
    /// Care leaver activity (903 ACTIV), `0` meaning no information.
    Activity, "care leaver activity" {
        F1 = "F1", P1 = "P1", F2 = "F2", P2 = "P2", F3 = "F3", P3 = "P3", F4 = "F4", P4 = "P4",
        F5 = "F5", P5 = "P5", G4 = "G4", G5 = "G5", G6 = "G6", NoInformation = "0",
    }
);

impl Activity {
    /// In education, employment or training.
    pub fn is_eet(self) -> bool {
        !matches!(
            self,
            Activity::G4 | Activity::G5 | Activity::G6 | Activity::NoInformation
        )
    }
}

code_list!(
    /// Care leaver accommodation (903 ACCOM): type letter then 1 suitable / 2 unsuitable;
    /// `0` means no information.
    Accommodation, "care leaver accommodation" {
        B1 = "B1", B2 = "B2", C1 = "C1", C2 = "C2", D1 = "D1", D2 = "D2", E1 = "E1", E2 = "E2",
        G1 = "G1", G2 = "G2", H1 = "H1", H2 = "H2", K1 = "K1", K2 = "K2", R1 = "R1", R2 = "R2",
        S2 = "S2", T1 = "T1", T2 = "T2", U1 = "U1", U2 = "U2", V1 = "V1", V2 = "V2", W1 = "W1",
        W2 = "W2", X2 = "X2", Y1 = "Y1", Y2 = "Y2", Z1 = "Z1", Z2 = "Z2", NoInformation = "0",
    }
);

impl Accommodation {
    pub fn is_suitable(self) -> bool {
        self.code().ends_with('1')
    }
}

code_list!(
    /// Why an adoption plan ended.
    AdoptionReversalReason, "reason adoption decision reversed" {
        Rd1 = "RD1", Rd2 = "RD2", Rd3 = "RD3", Rd4 = "RD4",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            code: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for &c in all {
                assert_eq!(parse(code(c)), Some(c));
            }
        }
        check(LegalStatus::ALL, LegalStatus::code, LegalStatus::parse);
        check(
            PlacementType::ALL,
            PlacementType::code,
            PlacementType::parse,
        );
        check(Provider::ALL, Provider::code, Provider::parse);
        check(ReasonCeased::ALL, ReasonCeased::code, ReasonCeased::parse);
        check(Activity::ALL, Activity::code, Activity::parse);
        check(
            Accommodation::ALL,
            Accommodation::code,
            Accommodation::parse,
        );
        check(InTouch::ALL, InTouch::code, InTouch::parse);
        assert_eq!(ReasonCeased::parse("X1"), None);
        assert_eq!(Accommodation::parse("S1"), None);
        assert_eq!(Sex::parse_with_legacy("2"), Some(Sex::Female));
    }

    #[test]
    fn placement_validity_dates() {
        use time::macros::date;
        assert!(PlacementType::H5.valid_on(date!(2025 - 03 - 31)));
        assert!(!PlacementType::H5.valid_on(date!(2025 - 04 - 01)));
        assert!(!PlacementType::K3.valid_on(date!(2024 - 03 - 31)));
        assert!(PlacementType::K3.valid_on(date!(2024 - 04 - 01)));
        assert!(PlacementType::P2.valid_on(date!(2023 - 10 - 27)));
        assert!(!PlacementType::P2.valid_on(date!(2023 - 10 - 28)));
        assert!(PlacementType::Q2.valid_on(date!(2015 - 03 - 31)));
        assert!(!PlacementType::Q2.valid_on(date!(2015 - 04 - 01)));
    }
}
