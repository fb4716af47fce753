//! Folding a subject's events into its timeline: retractions resolved, events put in
//! timeline order, periods of care and placements built, data-quality issues flagged.
//!
//! The fold is a pure function of the *set* of events: arrival order never matters.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use time::Date;

use crate::calendar::format_day;
use crate::codes::{
    Accommodation, Activity, CategoryOfNeed, HealthAssessmentKind, InTouch, LegalStatus,
    PlacementChangeReason, ReasonCeased, Sex,
};
use crate::event::{EntityKind, Event, Id, Payload, Placement};

/// Why an understood event does not fit its timeline (EVENTS.md section 4, kind 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DataQualityReason {
    /// A period-bound event on a day the child is not looked after.
    OutsidePeriodOfCare,
    /// A discharge when no period of care is open.
    DischargeWithoutOpenPeriod,
    /// An admission while a period of care is open.
    AdmissionWhileLookedAfter,
    /// A date of birth after the child's first admission.
    BirthAfterAdmission,
    /// A retraction naming an event this subject does not have.
    RetractionOfUnknownEvent,
    /// Retractions that retract each other in a cycle; they have no effect.
    RetractionCycle,
    /// A change to V3/V4 inside an ordinary period of care; ignored.
    ShortBreakStatusInOrdinaryPeriod,
    /// A child with periods of care but no `childRegistered`: no age can be derived.
    NoDateOfBirth,
    /// An event id sent again with different content: the first copy is kept, the other
    /// dropped (found by the projector, which stores it with the subject's log).
    ConflictingDuplicate,
}

impl DataQualityReason {
    pub const ALL: [DataQualityReason; 9] = [
        DataQualityReason::OutsidePeriodOfCare,
        DataQualityReason::DischargeWithoutOpenPeriod,
        DataQualityReason::AdmissionWhileLookedAfter,
        DataQualityReason::BirthAfterAdmission,
        DataQualityReason::RetractionOfUnknownEvent,
        DataQualityReason::RetractionCycle,
        DataQualityReason::ShortBreakStatusInOrdinaryPeriod,
        DataQualityReason::NoDateOfBirth,
        DataQualityReason::ConflictingDuplicate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DataQualityReason::OutsidePeriodOfCare => "outside_period_of_care",
            DataQualityReason::DischargeWithoutOpenPeriod => "discharge_without_open_period",
            DataQualityReason::AdmissionWhileLookedAfter => "admission_while_looked_after",
            DataQualityReason::BirthAfterAdmission => "birth_after_admission",
            DataQualityReason::RetractionOfUnknownEvent => "retraction_of_unknown_event",
            DataQualityReason::RetractionCycle => "retraction_cycle",
            DataQualityReason::ShortBreakStatusInOrdinaryPeriod => {
                "short_break_status_in_ordinary_period"
            }
            DataQualityReason::NoDateOfBirth => "no_date_of_birth",
            DataQualityReason::ConflictingDuplicate => "conflicting_duplicate",
        }
    }
}

/// One data-quality issue on a timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataQualityIssue {
    pub reason: DataQualityReason,
    /// The event that does not fit (none for whole-timeline issues).
    pub event_id: Option<Id>,
    pub occurred_on: Option<Date>,
    pub message: String,
}

impl DataQualityIssue {
    /// Event `id` (the copy at stream sequence `kept`, on `occurred_on`) was sent again at
    /// sequence `dropped` with different content.
    pub fn conflicting_duplicate(id: &Id, occurred_on: Date, kept: u64, dropped: u64) -> Self {
        DataQualityIssue {
            reason: DataQualityReason::ConflictingDuplicate,
            event_id: Some(id.clone()),
            occurred_on: Some(occurred_on),
            message: format!(
                "event {id} was sent again with different content at stream sequence {dropped}; \
                 the first copy, at sequence {kept}, is kept and the other dropped"
            ),
        }
    }
}

/// What became of one event in the fold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryStatus {
    /// Counts.
    Applied,
    /// Removed by the named retraction.
    Retracted { by: Id },
    /// Kept but does not fit; derivations ignore it.
    Flagged(DataQualityReason),
}

/// An event in timeline order, with what became of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub event: Event,
    pub status: EntryStatus,
}

/// A dated fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dated<T> {
    pub on: Date,
    pub value: T,
}

/// A placement spell inside a period of care, as recorded (temporary ones included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementSpell {
    pub start: Date,
    pub placement: Placement,
    pub reason: Option<PlacementChangeReason>,
    /// Same carer as the spell before: a change of type, not of placement.
    pub same_carer: bool,
}

/// One continuous spell of being looked after: `start` inclusive, `end` exclusive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeriodOfCare {
    pub start: Date,
    pub end: Option<Date>,
    pub end_reason: Option<ReasonCeased>,
    pub category_of_need: Option<CategoryOfNeed>,
    /// Legal statuses in order; the first is the admission's.
    pub legal_statuses: Vec<Dated<LegalStatus>>,
    /// Placements in order; the first is the admission's.
    pub placements: Vec<PlacementSpell>,
    /// Legal status on the first day was V3 or V4: ignored by every indicator.
    pub short_break: bool,
    pub reviews: Vec<Date>,
    pub visits: Vec<Date>,
    pub care_plans: Vec<Date>,
    pub health_assessments: Vec<Dated<HealthAssessmentKind>>,
    pub dental_checks: Vec<Date>,
    pub peps: Vec<Date>,
    pub permanence_matches: Vec<Date>,
    pub adoption_decisions: Vec<Date>,
    pub adopter_matches: Vec<Date>,
    pub adoption_reversals: Vec<Date>,
    /// Timeline position of the admission, and how many start-day changes ordered before it
    /// were put ahead of its own status and placement (which supersede them).
    #[serde(skip)]
    admission_entry: usize,
    #[serde(skip)]
    before_admission: (usize, usize),
}

impl PeriodOfCare {
    fn new(start: Date, legal_status: LegalStatus, placement: PlacementSpell) -> PeriodOfCare {
        PeriodOfCare {
            start,
            end: None,
            end_reason: None,
            category_of_need: None,
            legal_statuses: vec![Dated {
                on: start,
                value: legal_status,
            }],
            placements: vec![placement],
            short_break: legal_status.is_short_break(),
            reviews: Vec::new(),
            visits: Vec::new(),
            care_plans: Vec::new(),
            health_assessments: Vec::new(),
            dental_checks: Vec::new(),
            peps: Vec::new(),
            permanence_matches: Vec::new(),
            adoption_decisions: Vec::new(),
            adopter_matches: Vec::new(),
            adoption_reversals: Vec::new(),
            admission_entry: 0,
            before_admission: (0, 0),
        }
    }

    /// Whether the child is looked after on `day` in this period.
    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && self.end.is_none_or(|end| day < end)
    }

    /// The legal status in force on `day` (the latest change on or before it).
    pub fn legal_status_on(&self, day: Date) -> Option<LegalStatus> {
        self.legal_statuses
            .iter()
            .take_while(|s| s.on <= day)
            .last()
            .map(|s| s.value)
    }

    /// The placement recorded as in force on `day`, temporary ones included.
    pub fn placement_on(&self, day: Date) -> Option<&PlacementSpell> {
        self.placements.iter().take_while(|p| p.start <= day).last()
    }
}

/// A care leaver's latest known situation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CareLeaverContact {
    pub in_touch: InTouch,
    pub activity: Activity,
    pub accommodation: Accommodation,
}

/// Everything known about one child, in timeline order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChildTimeline {
    /// Every event of the subject in timeline order, with what became of it.
    pub entries: Vec<TimelineEntry>,
    pub date_of_birth: Option<Date>,
    pub sex: Option<Sex>,
    pub periods: Vec<PeriodOfCare>,
    pub pathway_plans: Vec<Date>,
    pub care_leaver_contacts: Vec<Dated<CareLeaverContact>>,
    /// `true` for `careLeaverSupportExtended`, `false` for `careLeaverSupportEnded`.
    pub extended_support: Vec<Dated<bool>>,
    pub allocations: Vec<Dated<Id>>,
    pub issues: Vec<DataQualityIssue>,
}

impl ChildTimeline {
    /// The period of care containing `day`, if any (short breaks included).
    pub fn period_on(&self, day: Date) -> Option<&PeriodOfCare> {
        self.periods.iter().rev().find(|p| p.contains(day))
    }

    /// Periods that count for indicators (short breaks excluded).
    pub fn counted_periods(&self) -> impl Iterator<Item = &PeriodOfCare> {
        self.periods.iter().filter(|p| !p.short_break)
    }
}

/// Resolves retractions and returns the events in timeline order, each with its status
/// (`Applied` or `Retracted`), plus issues about the retractions themselves.
///
/// Takes any sequence of event references (a slice, or a store's log) so callers need not
/// clone their events into a slice first.
pub fn resolve<'a>(
    events: impl IntoIterator<Item = &'a Event>,
) -> (Vec<TimelineEntry>, Vec<DataQualityIssue>) {
    let mut ordered: Vec<&Event> = events.into_iter().collect();
    ordered.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    ordered.dedup_by(|a, b| a.id == b.id);
    let retracts = |e: &&Event| matches!(e.payload, Payload::EventRetracted { .. });
    if !ordered.iter().any(retracts) {
        // Most subjects: nothing to resolve, every event applies.
        let entries = ordered
            .iter()
            .map(|e| TimelineEntry {
                event: (*e).clone(),
                status: EntryStatus::Applied,
            })
            .collect();
        return (entries, Vec::new());
    }

    let by_id: HashMap<&str, &Event> = ordered.iter().map(|e| (e.id.as_str(), *e)).collect();
    // target id -> retractions naming it, in timeline order
    let mut retractors: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    let mut issues = Vec::new();
    for e in &ordered {
        if let Payload::EventRetracted {
            retracted_event_id, ..
        } = &e.payload
        {
            if by_id.contains_key(retracted_event_id.as_str()) {
                retractors
                    .entry(retracted_event_id.as_str())
                    .or_default()
                    .push(e);
            } else {
                issues.push(DataQualityIssue {
                    reason: DataQualityReason::RetractionOfUnknownEvent,
                    event_id: Some(e.id.clone()),
                    occurred_on: Some(e.occurred_on),
                    message: format!("retraction names unknown event {retracted_event_id}"),
                });
            }
        }
    }

    // Each retraction names one target, so the "retracts" relation is a functional graph.
    // Retractions on a cycle of it (x1 retracts x2 retracts x1) have no effect and are flagged;
    // without them the graph is acyclic and retracted_by(x) = the first retraction of x (in
    // timeline order) that is not itself retracted.
    fn target_of<'a>(e: &'a Event, by_id: &HashMap<&str, &Event>) -> Option<&'a str> {
        match &e.payload {
            Payload::EventRetracted {
                retracted_event_id, ..
            } if by_id.contains_key(retracted_event_id.as_str()) => {
                Some(retracted_event_id.as_str())
            }
            _ => None,
        }
    }
    let mut on_cycle: HashSet<&str> = HashSet::new();
    for e in &ordered {
        // Follow targets from e; if the walk comes back to e, e is on a cycle.
        let start = e.id.as_str();
        let mut at = target_of(e, &by_id);
        for _ in 0..ordered.len() {
            match at {
                Some(id) if id == start => {
                    on_cycle.insert(start);
                    break;
                }
                Some(id) => at = by_id.get(id).and_then(|x| target_of(x, &by_id)),
                None => break,
            }
        }
    }
    fn retracted_by<'a>(
        id: &'a str,
        retractors: &BTreeMap<&'a str, Vec<&'a Event>>,
        on_cycle: &HashSet<&str>,
        memo: &mut HashMap<&'a str, Option<&'a Event>>,
    ) -> Option<&'a Event> {
        if let Some(known) = memo.get(id) {
            return *known;
        }
        let mut by = None;
        for r in retractors.get(id).into_iter().flatten() {
            let rid = r.id.as_str();
            if !on_cycle.contains(rid) && retracted_by(rid, retractors, on_cycle, memo).is_none() {
                by = Some(*r);
                break;
            }
        }
        memo.insert(id, by);
        by
    }
    let mut memo = HashMap::new();
    let entries = ordered
        .iter()
        .map(|e| {
            let status = match retracted_by(e.id.as_str(), &retractors, &on_cycle, &mut memo) {
                Some(r) => EntryStatus::Retracted { by: r.id.clone() },
                None => EntryStatus::Applied,
            };
            TimelineEntry {
                event: (*e).clone(),
                status,
            }
        })
        .collect();
    let mut cycles: Vec<&str> = on_cycle.into_iter().collect();
    cycles.sort_unstable();
    for id in cycles {
        issues.push(DataQualityIssue {
            reason: DataQualityReason::RetractionCycle,
            event_id: Id::parse(id),
            occurred_on: by_id.get(id).map(|e| e.occurred_on),
            message: format!("retraction {id} is part of a cycle of retractions and has no effect"),
        });
    }
    (entries, issues)
}

/// The data-quality issues of a subject's events: a child's from folding its timeline, a
/// carer's or worker's from resolving its retractions.
pub fn data_quality_issues<'a>(
    kind: EntityKind,
    events: impl IntoIterator<Item = &'a Event>,
) -> Vec<DataQualityIssue> {
    match kind {
        EntityKind::Child => fold_child(events).issues,
        EntityKind::Household | EntityKind::Worker => resolve(events).1,
    }
}

/// Folds one child's events into its timeline: retractions resolved ([`resolve`]), periods
/// of care opened and closed by admissions and discharges, every other event recorded in the
/// period containing it or on the child, and what does not fit flagged.
pub fn fold_child<'a>(events: impl IntoIterator<Item = &'a Event>) -> ChildTimeline {
    let (mut entries, mut issues) = resolve(events);
    let mut flags = Vec::new();
    let mut tl = ChildTimeline {
        periods: periods_of_care(&entries, &mut flags),
        ..ChildTimeline::default()
    };
    for (i, entry) in applied(&entries) {
        let e = &entry.event;
        if e.payload.is_period_bound() {
            match tl
                .periods
                .iter_mut()
                .rev()
                .find(|p| p.contains(e.occurred_on))
            {
                Some(period) => record_in_period(period, i, e, &mut flags),
                None => flags.push(Flag {
                    entry: i,
                    reason: DataQualityReason::OutsidePeriodOfCare,
                    message: format!(
                        "{} on {} when the child is not looked after",
                        e.payload.name(),
                        format_day(e.occurred_on)
                    ),
                }),
            }
        } else {
            record_on_child(&mut tl, e);
        }
    }
    issues.extend(date_of_birth_issues(&tl));
    for flag in flags {
        issues.push(flag.apply(&mut entries));
    }
    issues.sort_by(|a, b| {
        (a.occurred_on, &a.event_id, a.reason).cmp(&(b.occurred_on, &b.event_id, b.reason))
    });
    tl.entries = entries;
    tl.issues = issues;
    tl
}

/// An event that does not fit its timeline: the entry at `entry`, and why.
struct Flag {
    entry: usize,
    reason: DataQualityReason,
    message: String,
}

impl Flag {
    /// Marks the entry flagged; returns the issue it raises.
    fn apply(self, entries: &mut [TimelineEntry]) -> DataQualityIssue {
        let entry = &mut entries[self.entry];
        entry.status = EntryStatus::Flagged(self.reason);
        DataQualityIssue {
            reason: self.reason,
            event_id: Some(entry.event.id.clone()),
            occurred_on: Some(entry.event.occurred_on),
            message: self.message,
        }
    }
}

/// The applied entries (neither retracted nor flagged yet), with their timeline positions.
fn applied(entries: &[TimelineEntry]) -> impl Iterator<Item = (usize, &TimelineEntry)> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.status == EntryStatus::Applied)
}

/// The periods of care the admissions and discharges make, in timeline order. An admission
/// while a period is open, or a discharge with none open, is flagged.
fn periods_of_care(entries: &[TimelineEntry], flags: &mut Vec<Flag>) -> Vec<PeriodOfCare> {
    let mut periods: Vec<PeriodOfCare> = Vec::new();
    for (i, entry) in applied(entries) {
        let e = &entry.event;
        match &e.payload {
            Payload::PeriodOfCareStarted {
                legal_status,
                placement,
                category_of_need,
            } => {
                if let Some(open) = periods.last().filter(|p| p.end.is_none()) {
                    flags.push(Flag {
                        entry: i,
                        reason: DataQualityReason::AdmissionWhileLookedAfter,
                        message: format!(
                            "admission on {} while the period of care from {} is open",
                            format_day(e.occurred_on),
                            format_day(open.start)
                        ),
                    });
                    continue;
                }
                let spell = PlacementSpell {
                    start: e.occurred_on,
                    placement: placement.clone(),
                    reason: None,
                    same_carer: false,
                };
                let mut period = PeriodOfCare::new(e.occurred_on, *legal_status, spell);
                period.category_of_need = *category_of_need;
                period.admission_entry = i;
                periods.push(period);
            }
            Payload::PeriodOfCareEnded { reason } => match periods.last_mut() {
                Some(open) if open.end.is_none() => {
                    open.end = Some(e.occurred_on);
                    open.end_reason = Some(*reason);
                }
                _ => flags.push(Flag {
                    entry: i,
                    reason: DataQualityReason::DischargeWithoutOpenPeriod,
                    message: format!(
                        "discharge on {} with no open period of care",
                        format_day(e.occurred_on)
                    ),
                }),
            },
            _ => {}
        }
    }
    periods
}

/// Records a period-bound event (the entry at `i`) in the period of care containing it.
fn record_in_period(period: &mut PeriodOfCare, i: usize, e: &Event, flags: &mut Vec<Flag>) {
    let on = e.occurred_on;
    match &e.payload {
        Payload::PlacementChanged {
            placement,
            reason,
            same_carer,
        } => {
            let spell = PlacementSpell {
                start: on,
                placement: placement.clone(),
                reason: *reason,
                same_carer: *same_carer,
            };
            change_placement(period, i, spell);
        }
        Payload::LegalStatusChanged { legal_status } => {
            if let Err(message) = change_legal_status(period, i, on, *legal_status) {
                flags.push(Flag {
                    entry: i,
                    reason: DataQualityReason::ShortBreakStatusInOrdinaryPeriod,
                    message,
                });
            }
        }
        Payload::ReviewHeld { .. } => period.reviews.push(on),
        Payload::VisitMade { .. } => period.visits.push(on),
        Payload::CarePlanRecorded => period.care_plans.push(on),
        Payload::HealthAssessmentCompleted { kind } => {
            period.health_assessments.push(Dated { on, value: *kind })
        }
        Payload::DentalCheckCompleted => period.dental_checks.push(on),
        Payload::PepRecorded => period.peps.push(on),
        Payload::PermanenceMatchRecorded => period.permanence_matches.push(on),
        Payload::AdoptionDecisionRecorded => period.adoption_decisions.push(on),
        Payload::AdopterMatchRecorded => period.adopter_matches.push(on),
        Payload::AdoptionDecisionReversed { .. } => period.adoption_reversals.push(on),
        _ => {}
    }
}

/// A placement change (the entry at `i`). One ordered before the admission on its first day
/// goes ahead of the admission's placement, which comes after it and is the one in force.
fn change_placement(period: &mut PeriodOfCare, i: usize, spell: PlacementSpell) {
    if spell.start == period.start && i < period.admission_entry {
        period.placements.insert(period.before_admission.1, spell);
        period.before_admission.1 += 1;
    } else {
        period.placements.push(spell);
    }
}

/// A legal status change (the entry at `i`). On the period's first day it may make the period
/// one of short breaks (or an ordinary one); later, a change to V3/V4 in an ordinary period is
/// refused with the message of its issue.
fn change_legal_status(
    period: &mut PeriodOfCare,
    i: usize,
    on: Date,
    legal_status: LegalStatus,
) -> Result<(), String> {
    let status = Dated {
        on,
        value: legal_status,
    };
    if on == period.start {
        if i < period.admission_entry {
            period
                .legal_statuses
                .insert(period.before_admission.0, status);
            period.before_admission.0 += 1;
        } else {
            period.legal_statuses.push(status);
        }
        // The legal status on the first day decides whether this is a period of short breaks:
        // the last one set that day in timeline order.
        period.short_break = period
            .legal_status_on(on)
            .is_some_and(LegalStatus::is_short_break);
    } else if legal_status.is_short_break() && !period.short_break {
        return Err(format!(
            "change to {legal_status} on {} inside an ordinary period of care",
            format_day(on)
        ));
    } else {
        period.legal_statuses.push(status);
    }
    Ok(())
}

/// Records an event that belongs to the child rather than to a period of care: registration,
/// pathway plans, care-leaver contacts and support, allocations.
fn record_on_child(tl: &mut ChildTimeline, e: &Event) {
    let on = e.occurred_on;
    match &e.payload {
        Payload::ChildRegistered { date_of_birth, sex } => {
            tl.date_of_birth = Some(*date_of_birth);
            tl.sex = *sex;
        }
        Payload::PathwayPlanRecorded => tl.pathway_plans.push(on),
        Payload::CareLeaverContactRecorded {
            in_touch,
            activity,
            accommodation,
        } => tl.care_leaver_contacts.push(Dated {
            on,
            value: CareLeaverContact {
                in_touch: *in_touch,
                activity: *activity,
                accommodation: *accommodation,
            },
        }),
        Payload::CareLeaverSupportExtended => tl.extended_support.push(Dated { on, value: true }),
        Payload::CareLeaverSupportEnded => tl.extended_support.push(Dated { on, value: false }),
        Payload::CaseAllocated { worker_id } => tl.allocations.push(Dated {
            on,
            value: worker_id.clone(),
        }),
        _ => {}
    }
}

/// Whole-timeline issues of the date of birth: after the first admission, or missing when
/// the child has periods of care.
fn date_of_birth_issues(tl: &ChildTimeline) -> Vec<DataQualityIssue> {
    let mut issues = Vec::new();
    if let (Some(birth), Some(first)) = (tl.date_of_birth, tl.periods.first())
        && birth > first.start
    {
        issues.push(DataQualityIssue {
            reason: DataQualityReason::BirthAfterAdmission,
            event_id: None,
            occurred_on: Some(birth),
            message: format!(
                "date of birth {} is after the first admission on {}",
                format_day(birth),
                format_day(first.start)
            ),
        });
    }
    if tl.date_of_birth.is_none() && !tl.periods.is_empty() {
        issues.push(DataQualityIssue {
            reason: DataQualityReason::NoDateOfBirth,
            event_id: None,
            occurred_on: None,
            message: "the child has periods of care but no childRegistered event".to_owned(),
        });
    }
    issues
}
