//! The catalogue: every indicator of the Panel's report with its id, title, polarity, basis
//! and unit (INDICATORS.md section 2).

use serde::{Deserialize, Serialize};

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Polarity {
    /// For information: only up/down is shown.
    Info,
    High,
    Low,
    WithinRange,
}

/// Which period each monthly figure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Basis {
    /// A snapshot on the month's last day; the FY trend is the 31 March snapshot.
    MonthEnd,
    /// Events dated in the month; YTD and FY are sums.
    InMonth,
    /// The 12 months ending at month end (a snapshot of a rolling window).
    Rolling12Months,
    /// The mean over the financial year to date.
    YtdAverage,
    /// Only in the months ending a school term (December, March, July).
    TermEnd,
}

impl Basis {
    /// Whether YTD and FY figures are sums over months.
    pub fn sums_over_months(self) -> bool {
        matches!(self, Basis::InMonth | Basis::YtdAverage)
    }
}

/// How a figure is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    Count,
    Percent,
    /// Per 10,000 children aged under 18.
    RatePer10000,
    /// Average days (10.4, 10.5).
    AverageDays,
    /// Average cases (11.5).
    AverageCount,
}

macro_rules! catalogue {
    ($($variant:ident = $key:literal, $id:literal, $polarity:ident, $basis:ident, $unit:ident, $title:literal;)+) => {
        /// The indicators of the report. Ids are the report's ("6.1").
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Indicator { $(#[doc = $title] $variant),+ }

        impl Indicator {
            /// In report order.
            pub const ALL: &'static [Indicator] = &[$(Indicator::$variant),+];

            pub fn id(self) -> &'static str {
                match self { $(Indicator::$variant => $id),+ }
            }

            pub fn title(self) -> &'static str {
                match self { $(Indicator::$variant => $title),+ }
            }

            pub fn polarity(self) -> Polarity {
                match self { $(Indicator::$variant => Polarity::$polarity),+ }
            }

            pub fn basis(self) -> Basis {
                match self { $(Indicator::$variant => Basis::$basis),+ }
            }

            pub fn unit(self) -> Unit {
                match self { $(Indicator::$variant => Unit::$unit),+ }
            }

            /// A stable number for storage keys. Never reuse one.
            pub fn key(self) -> u16 {
                match self { $(Indicator::$variant => $key),+ }
            }
        }
    };
}

catalogue! {
    LookedAfter = 601, "6.1", Info, MonthEnd, Count, "Number of looked-after children";
    Rate = 602, "6.2", Low, MonthEnd, RatePer10000, "Rate of looked-after children per 10,000 children aged under 18";
    Admissions = 603, "6.3", Info, InMonth, Count, "Admissions of looked-after children";
    Ceased = 604, "6.4", High, InMonth, Count, "Children who ceased to be looked after";
    CeasedPermanence = 605, "6.5", High, InMonth, Percent, "% ceased due to permanence (SGO, residence/child arrangements order, adoption)";
    CeasedSgo = 606, "6.6", High, InMonth, Percent, "% ceased due to a special guardianship order";
    ReviewsOnTime = 607, "6.7", High, InMonth, Percent, "LAC cases reviewed within timescales";
    Adopted = 608, "6.8", High, InMonth, Percent, "% of children adopted";
    HealthAssessments = 609, "6.9", High, MonthEnd, Percent, "Health assessments up to date";
    DentalChecks = 610, "6.10", High, MonthEnd, Percent, "Dental checks up to date";
    InitialHealthAssessments = 611, "6.11", High, InMonth, Percent, "Initial health assessments within 20 working days";
    Pep = 612, "6.12", High, MonthEnd, Percent, "% of eligible LAC with a PEP";
    PepTermly = 613, "6.13", High, TermEnd, Percent, "% of eligible LAC with an up-to-date (termly) PEP";
    CarePlan = 614, "6.14", High, MonthEnd, Percent, "% of eligible LAC with an up-to-date plan";
    VisitsNational = 615, "6.15", High, MonthEnd, Percent, "% LAC visits up to date, national minimum standard";
    VisitsLocal = 616, "6.16", High, MonthEnd, Percent, "% LAC visits up to date, local standard";
    CareLeavers = 701, "7.1", Info, MonthEnd, Count, "Number of care leavers";
    PathwayPlan = 702, "7.2", High, MonthEnd, Percent, "% of eligible LAC and care leavers with a pathway plan";
    PathwayPlanUpToDate = 703, "7.3", High, MonthEnd, Percent, "% of eligible LAC and care leavers with an up-to-date pathway plan";
    SuitableAccommodation = 704, "7.4", High, MonthEnd, Percent, "% of care leavers in suitable accommodation";
    CareLeaversEet = 705, "7.5", High, MonthEnd, Percent, "% of care leavers in education, employment or training";
    StableLongTerm = 801, "8.1", High, MonthEnd, Percent, "% of long-term LAC in placements stable for at least 2 years";
    ThreeOrMorePlacements = 802, "8.2", Low, Rolling12Months, Percent, "% of LAC with 3 or more placements in the last 12 months";
    FamilyBased = 803, "8.3", High, MonthEnd, Percent, "% of LAC in a family-based setting";
    PlacedWithParents = 804, "8.4", Low, MonthEnd, Percent, "% of LAC placed with parents (P1)";
    Commissioned = 805, "8.5", Low, MonthEnd, Percent, "% of LAC in a commissioned placement";
    Fostering = 901, "9.1", High, MonthEnd, Count, "Number of LAC in a fostering placement (excluding family and friends carers)";
    FosteringPercent = 902, "9.2", High, MonthEnd, Percent, "% of LAC in a fostering placement (excluding family and friends carers)";
    FosterCarers = 903, "9.3", High, MonthEnd, Count, "Number of foster carers (households)";
    FosterCarersRecruited = 904, "9.4", High, InMonth, Count, "Foster carers recruited";
    FosterCarersDeregistered = 905, "9.5", Info, InMonth, Count, "Foster carers deregistered";
    Adoptions = 1001, "10.1", High, InMonth, Count, "Number of adoptions";
    AdoptionsWithin12Months = 1002, "10.2", High, InMonth, Count, "Adoptions completed within 12 months of SHOBPA";
    AdoptionsWithin12MonthsPercent = 1003, "10.3", High, InMonth, Percent, "% of adoptions completed within 12 months of SHOBPA";
    A1 = 1004, "10.4", Low, YtdAverage, AverageDays, "A1: average days between entering care and moving in with the adoptive family";
    A2 = 1005, "10.5", Low, YtdAverage, AverageDays, "A2: average days between placement order and match with adopters";
    AgencyWorkers = 1101, "11.1", Info, MonthEnd, Percent, "Agency social workers with a caseload";
    MaxCaseload = 1104, "11.4", Low, MonthEnd, Count, "Maximum caseload of social workers in LAC teams";
    AverageCaseload = 1105, "11.5", WithinRange, MonthEnd, AverageCount, "Average cases per qualified social worker, per team group";
}

impl Indicator {
    pub fn from_id(id: &str) -> Option<Indicator> {
        Indicator::ALL.iter().copied().find(|i| i.id() == id)
    }

    pub fn from_key(key: u16) -> Option<Indicator> {
        Indicator::ALL.iter().copied().find(|i| i.key() == key)
    }

    /// The kinds of fact (payload contract names) the figure is made of beyond periods of
    /// care, legal statuses and placements. An authority that has recorded none of one of them
    /// has no such figure: a zero would say nothing about its children (its history came from
    /// a source without them, an SSDA903 return say, or its case system does not send them).
    pub fn recorded_inputs(self) -> &'static [&'static str] {
        use Indicator::*;
        match self {
            ReviewsOnTime => &["reviewHeld"],
            HealthAssessments | InitialHealthAssessments => &["healthAssessmentCompleted"],
            DentalChecks => &["dentalCheckCompleted"],
            Pep | PepTermly => &["pepRecorded"],
            CarePlan => &["carePlanRecorded"],
            VisitsNational | VisitsLocal => &["visitMade"],
            PathwayPlan | PathwayPlanUpToDate => &["pathwayPlanRecorded"],
            SuitableAccommodation | CareLeaversEet => &["careLeaverContactRecorded"],
            FosterCarers | FosterCarersRecruited | FosterCarersDeregistered => {
                &["fosterCarerApproved"]
            }
            AdoptionsWithin12Months | AdoptionsWithin12MonthsPercent => {
                &["adoptionDecisionRecorded"]
            }
            A2 => &["adopterMatchRecorded"],
            AgencyWorkers | MaxCaseload | AverageCaseload => {
                &["socialWorkerJoined", "caseAllocated"]
            }
            _ => &[],
        }
    }

    /// The first of [`Indicator::recorded_inputs`] of which `recorded` (the authority's count
    /// by kind) holds none: why the authority has no such figure. `None`: it has.
    pub fn missing_input(self, recorded: impl Fn(&str) -> u64) -> Option<&'static str> {
        self.recorded_inputs()
            .iter()
            .copied()
            .find(|kind| recorded(kind) == 0)
    }

    /// Whether the figure has a denominator (percentages, rates, averages).
    pub fn has_denominator(self) -> bool {
        self.unit() != Unit::Count
    }
}
