//! Turns the simulated world into events: each child's structural history (registration,
//! admissions, legal statuses, placements, adoption milestones, discharges, allocations) and
//! the routine recording around it (reviews, visits, health and dental checks, PEPs, care and
//! pathway plans, care-leaver contacts and extended support), plus carers' and workers' events.
//!
//! Routine recording follows the statutory schedules with the authority's practice: each thing
//! is done on time with the profile's probability, otherwise late by a drawn number of days.
//! Children, carers and workers already there when the history starts come with their earlier
//! structural events; routine events are emitted from `start` on.

use time::{Date, Month as CalMonth, macros::date};

use caseflow_domain::calendar::{add_days, add_months, age_on, birthday, days_between};
use caseflow_domain::codes::{
    Accommodation, Activity, HealthAssessmentKind, InTouch, PlacementChangeReason, PlacementType,
    ReasonCeased, ReviewParticipation,
};
use caseflow_domain::workdays::WorkingCalendar;
use caseflow_domain::{EntityKind, Id, Payload};

use crate::carers::Household;
use crate::children::{Child, Period, Stay, U_CODES_FROM, World};
use crate::config::SimConfig;
use crate::emit::{Emitter, placement};
use crate::profile::{Practice, Profile, Recording};
use crate::random::{Draw, SimRng, Stream, stream};
use crate::workforce::{Change, Staff, Worker};

pub(crate) fn record(
    config: &SimConfig,
    profile: &Profile,
    la: &str,
    world: &World,
    staff: &Staff,
    households: &[Household],
    em: &mut Emitter<'_>,
) {
    for (n, h) in households.iter().enumerate() {
        household(config, n, h, em);
    }
    let emitted: Vec<bool> = staff
        .workers
        .iter()
        .map(|w| w.joined <= config.end && w.left.is_none_or(|l| l >= config.start))
        .collect();
    for (n, w) in staff.workers.iter().enumerate() {
        if emitted[n] {
            worker(config, n, w, em);
        }
    }
    let calendar = WorkingCalendar::default();
    for (ci, child) in world.children.iter().enumerate() {
        // Nobody is heard of more than 9 years after leaving care (at 16 or later, with
        // support until 25 at most).
        let last_end = child.periods.iter().map(|p| p.end).max();
        if last_end.is_none_or(|end| add_days(end, 9 * 366) < config.start) {
            continue;
        }
        let leaver = care_leaver_from(child, config);
        let mut rng = stream(config.seed, la, Stream::Recording, u64::from(child.number));
        let legacy = rng.chance(profile.recording.legacy_system);
        let mut r = Recorder {
            config,
            practice: &profile.practice,
            profile,
            calendar: &calendar,
            rng,
            child,
            id: child.id(),
            out: Vec::new(),
            legacy,
        };
        r.registration();
        for (pi, period) in child.periods.iter().enumerate() {
            r.structure(period);
            let allocations = staff.allocations.get(&(ci, pi)).into_iter().flatten();
            for &(day, w) in allocations {
                if emitted[w] && day < period.end {
                    let worker_id = Worker::id(w);
                    if let Some(worker_id) = Id::parse(&worker_id) {
                        r.put(day, Payload::CaseAllocated { worker_id });
                    }
                }
            }
            if period.counted() {
                r.routine(period);
            }
        }
        // Support as a care leaver lasts until 21, or up to 25 when extended.
        let supported_until = match leaver {
            Some(from) => r.care_leaver(from),
            None => birthday(child.dob, 21),
        };
        r.pathway_plans(leaver, supported_until);
        // A child is part of the history when something happens to them in it; then their
        // earlier structural events come too.
        let id = r.id;
        if r.out.iter().any(|(day, ..)| *day >= config.start) {
            for (day, payload, legacy_sex) in r.out {
                em.emit(EntityKind::Child, &id, day, payload, legacy_sex);
            }
        }
    }
}

fn household(config: &SimConfig, n: usize, h: &Household, em: &mut Emitter<'_>) {
    let active_in_history =
        h.approved <= config.end && h.deregistered.is_none_or(|d| d >= config.start);
    if !active_in_history {
        return;
    }
    let id = Household::id(n);
    em.emit(
        EntityKind::Household,
        &id,
        h.approved,
        Payload::FosterCarerApproved {
            places: h.places,
            connected: h.connected,
        },
        false,
    );
    if let Some(day) = h.deregistered.filter(|d| *d <= config.end) {
        em.emit(
            EntityKind::Household,
            &id,
            day,
            Payload::FosterCarerDeregistered {
                reason: h.reason.map(str::to_owned),
            },
            false,
        );
    }
}

fn worker(config: &SimConfig, n: usize, w: &Worker, em: &mut Emitter<'_>) {
    let id = Worker::id(n);
    em.emit(
        EntityKind::Worker,
        &id,
        w.joined,
        Payload::SocialWorkerJoined {
            team: w.team.to_owned(),
            fte: w.fte,
            qualified: w.qualified,
            agency: w.agency,
            asye: w.asye,
        },
        false,
    );
    for &(day, change) in &w.changes {
        if day > config.end {
            break;
        }
        let mut payload = Payload::SocialWorkerChanged {
            team: None,
            fte: None,
            qualified: None,
            agency: None,
            asye: None,
        };
        if let Payload::SocialWorkerChanged {
            team,
            fte,
            agency,
            asye,
            ..
        } = &mut payload
        {
            match change {
                Change::Team(t) => *team = Some(t.to_owned()),
                Change::Fte(f) => *fte = Some(f),
                Change::Asye(a) => *asye = Some(a),
                Change::Agency(a) => *agency = Some(a),
            }
        }
        em.emit(EntityKind::Worker, &id, day, payload, false);
    }
    if let Some(day) = w.left.filter(|d| *d <= config.end) {
        em.emit(
            EntityKind::Worker,
            &id,
            day,
            Payload::SocialWorkerLeft,
            false,
        );
    }
}

/// The day a child becomes a care leaver (their final discharge), if they do: looked after
/// for at least 91 days since their 14th birthday, at least one of them at 16 or over.
fn care_leaver_from(child: &Child, config: &SimConfig) -> Option<Date> {
    let last = child.periods.iter().rfind(|p| p.counted())?;
    let sixteen = birthday(child.dob, 16);
    let fourteen = birthday(child.dob, 14);
    if last.end > config.end || last.end <= sixteen || last.reason == ReasonCeased::E2 {
        return None;
    }
    let days: i64 = child
        .periods
        .iter()
        .filter(|p| p.counted())
        .map(|p| days_between(p.start.max(fourteen), p.end).max(0))
        .sum();
    (days >= 91).then_some(last.end)
}

struct Recorder<'a> {
    config: &'a SimConfig,
    practice: &'a Practice,
    profile: &'a Profile,
    calendar: &'a WorkingCalendar,
    rng: SimRng,
    child: &'a Child,
    id: String,
    /// The child's events: (day, payload, legacy sex code).
    out: Vec<(Date, Payload, bool)>,
    /// Records from before April 2015 carry Q1/Q2 rather than U1-U6.
    legacy: bool,
}

impl Recorder<'_> {
    /// A structural event: emitted whatever its day, up to the end of the history.
    fn put(&mut self, day: Date, payload: Payload) {
        if day <= self.config.end {
            self.out.push((day, payload, false));
        }
    }

    /// A routine event: emitted from the start of the history on.
    fn note(&mut self, day: Date, payload: Payload) {
        if day >= self.config.start {
            self.put(day, payload);
        }
    }

    fn registration(&mut self) {
        let child = self.child;
        let Some(first) = child.periods.first() else {
            return;
        };
        let on = self.rng.day_within(first.start, -30, 0).max(child.dob);
        let rates = &self.profile.recording;
        let legacy_sex = on < date!(2005 - 01 - 01) && self.rng.chance(rates.legacy_sex);
        let right = Payload::ChildRegistered {
            date_of_birth: child.dob,
            sex: Some(child.sex),
        };
        if self.rng.chance(rates.wrong_registration) {
            // Registered with a wrong date of birth or no sex, corrected later.
            let wrong = if self.rng.chance(rates.wrong_date_of_birth) {
                Payload::ChildRegistered {
                    date_of_birth: self.rng.day_within(child.dob, -400, -30),
                    sex: Some(child.sex),
                }
            } else {
                Payload::ChildRegistered {
                    date_of_birth: child.dob,
                    sex: Some(caseflow_domain::codes::Sex::Unknown),
                }
            };
            let fixed = self.rng.day_within(on, 1, 60);
            if fixed <= self.config.end {
                self.put(on, wrong);
                self.put(fixed, right);
                return;
            }
        }
        if on <= self.config.end {
            self.out.push((on, right, legacy_sex));
        }
    }

    /// The placement type recorded on `day` (legacy Q codes before April 2015).
    fn recorded(&self, kind: PlacementType, day: Date) -> PlacementType {
        use PlacementType as P;
        if !self.legacy || day >= U_CODES_FROM {
            return kind;
        }
        match kind {
            P::U1 | P::U2 | P::U3 => P::Q1,
            P::U4 | P::U5 | P::U6 => P::Q2,
            other => other,
        }
    }

    fn spell(&self, stay: &Stay, kind: PlacementType, day: Date) -> caseflow_domain::Placement {
        placement(
            self.recorded(kind, day),
            stay.provider,
            stay.carer.as_deref(),
            stay.in_area,
        )
    }

    /// Admission, legal statuses, placements, adoption milestones, discharge.
    fn structure(&mut self, p: &Period) {
        let admission = match p.stays.first() {
            Some(stay) => self.spell(stay, stay.segments[0].1, p.start),
            None => placement(PlacementType::Z1, None, None, None),
        };
        self.put(
            p.start,
            Payload::PeriodOfCareStarted {
                legal_status: p.legal[0].1,
                placement: admission,
                category_of_need: p.category,
            },
        );
        for &(day, legal_status) in &p.legal[1..] {
            if day < p.end {
                self.put(day, Payload::LegalStatusChanged { legal_status });
            }
        }
        for (si, stay) in p.stays.iter().enumerate() {
            if si > 0 {
                let placement = self.spell(stay, stay.segments[0].1, stay.start);
                self.put(
                    stay.start,
                    Payload::PlacementChanged {
                        placement,
                        reason: stay.reason,
                        same_carer: false,
                    },
                );
            }
            for &(day, kind) in &stay.segments[1..] {
                let placement = self.spell(stay, kind, day);
                self.put(
                    day,
                    Payload::PlacementChanged {
                        placement,
                        reason: Some(PlacementChangeReason::Place),
                        same_carer: true,
                    },
                );
            }
            for &(from, back, kind) in &stay.temps {
                self.put(
                    from,
                    Payload::PlacementChanged {
                        placement: placement(kind, None, None, None),
                        reason: None,
                        same_carer: false,
                    },
                );
                let placement = self.spell(stay, stay.kind_on(back), back);
                self.put(
                    back,
                    Payload::PlacementChanged {
                        placement,
                        reason: None,
                        same_carer: false,
                    },
                );
            }
            self.recode(stay);
            if let Some(day) = stay.matched {
                self.put(day, Payload::PermanenceMatchRecorded);
            }
        }
        if let Some(a) = &p.adoption {
            if a.decision < p.end {
                self.put(a.decision, Payload::AdoptionDecisionRecorded);
            }
            if let Some(day) = a.matched.filter(|d| *d < p.end) {
                self.put(day, Payload::AdopterMatchRecorded);
            }
            if let Some((day, reason)) = a.reversed.filter(|(d, _)| *d < p.end) {
                self.put(day, Payload::AdoptionDecisionReversed { reason });
            }
        }
        if p.end <= self.config.end {
            self.put(p.end, Payload::PeriodOfCareEnded { reason: p.reason });
        }
    }

    /// Legacy Q codes still current on 1 April 2015 were recoded with the same carer.
    fn recode(&mut self, stay: &Stay) {
        let day = U_CODES_FROM;
        if !self.legacy || stay.start >= day || stay.end <= day {
            return;
        }
        let kind = stay.kind_on(day);
        let busy = stay.segments.iter().any(|(d, _)| *d == day)
            || stay.temps.iter().any(|(a, b, _)| *a <= day && day <= *b);
        if self.recorded(kind, add_days(day, -1)) != kind && !busy {
            let placement = self.spell(stay, kind, day);
            self.put(
                day,
                Payload::PlacementChanged {
                    placement,
                    reason: Some(PlacementChangeReason::Place),
                    same_carer: true,
                },
            );
        }
    }

    /// Reviews, visits, health and dental checks, PEPs and care plans of a period.
    fn routine(&mut self, p: &Period) {
        // Drawn from the period's start whatever the history's start, so that a later start
        // only hides events.
        self.reviews(p);
        for stay in &p.stays {
            self.visits(stay);
        }
        self.health(p);
        self.dental(p);
        self.peps(p);
        self.care_plans(p);
    }

    fn reviews(&mut self, p: &Period) {
        let mut due = self.calendar.add_working_days(p.start, 20);
        let mut held: Option<Date> = None;
        let mut number = 0;
        while due < p.end && due <= self.config.end {
            let day = if self.rng.chance(self.practice.review_on_time) {
                let early = add_days(due, -self.rng.int(0, 10));
                held.map_or(early, |h| early.max(add_days(h, 1)))
            } else {
                let late = self.rng.exp(self.practice.review_late_mean).min(90.0) as i64;
                add_days(due, 1 + late)
            };
            if day >= p.end {
                break;
            }
            let age = age_on(self.child.dob, day);
            let participation = if age < 4 {
                Some(ReviewParticipation::Pn0)
            } else {
                use ReviewParticipation::*;
                let code = self.rng.pick(&[
                    (Pn1, 45.0),
                    (Pn2, 5.0),
                    (Pn3, 3.0),
                    (Pn4, 8.0),
                    (Pn5, 20.0),
                    (Pn6, 10.0),
                    (Pn7, 4.0),
                ]);
                let unrecorded = self
                    .rng
                    .chance(self.profile.recording.participation_unrecorded);
                (!(unrecorded && self.profile.recording_gaps)).then_some(code)
            };
            self.note(day, Payload::ReviewHeld { participation });
            held = Some(day);
            number += 1;
            due = add_months(day, if number == 1 { 3 } else { 6 });
        }
    }

    /// Visits in one placement: the first within a week, then every 4 weeks (the local
    /// standard) until the placement is matched as permanent, then every 6 or 12 weeks.
    fn visits(&mut self, stay: &Stay) {
        let practice = self.practice;
        let end = stay.end.min(add_days(self.config.end, 1));
        let mut last: Option<Date> = None;
        loop {
            let day = match last {
                None => {
                    if self.rng.chance(practice.first_visit_on_time) {
                        self.rng.day_within(stay.start, 1, 7)
                    } else {
                        self.rng.day_within(stay.start, 8, 21)
                    }
                }
                Some(v) => {
                    let matched = stay.matched.is_some_and(|m| m <= v);
                    let established = v >= add_months(stay.start, 12)
                        && matches!(
                            stay.kind_on(v),
                            PlacementType::U1
                                | PlacementType::U4
                                | PlacementType::A3
                                | PlacementType::A4
                                | PlacementType::A5
                                | PlacementType::A6
                        );
                    let (interval, slack) = match (matched, established) {
                        (true, true) => (84, 21),
                        (true, false) => (42, 12),
                        _ => (28, 8),
                    };
                    if self.rng.chance(practice.visit_on_time) {
                        add_days(v, interval - self.rng.int(0, slack))
                    } else {
                        let late = 1 + self.rng.exp(practice.visit_late_mean).min(60.0) as i64;
                        add_days(v, interval + late)
                    }
                }
            };
            if day >= end {
                break;
            }
            let seen_alone = (age_on(self.child.dob, day) >= 4)
                .then(|| self.rng.chance(self.profile.recording.seen_alone));
            self.note(day, Payload::VisitMade { seen_alone });
            last = Some(day);
        }
    }

    fn health(&mut self, p: &Period) {
        if days_between(p.start, p.end) <= 20 {
            return;
        }
        let practice = self.practice;
        let working_days = if self.rng.chance(practice.iha_on_time) {
            self.rng.int(3, 20)
        } else {
            self.rng.int(21, 70)
        };
        let initial = self.calendar.add_working_days(p.start, working_days as u32);
        if initial >= p.end {
            return;
        }
        self.note(
            initial,
            Payload::HealthAssessmentCompleted {
                kind: HealthAssessmentKind::Initial,
            },
        );
        let refuses_at_16 = self
            .rng
            .chance(self.profile.recording.refuses_health_from_16);
        let mut last = initial;
        loop {
            let months = if age_on(self.child.dob, last) < 5 {
                6
            } else {
                12
            };
            let due = add_months(last, months);
            let day = if self.rng.chance(practice.health_on_time) {
                add_days(due, -self.rng.int(0, 30))
            } else {
                add_days(due, self.rng.int(1, 150))
            };
            if day >= p.end || day > self.config.end {
                break;
            }
            if refuses_at_16 && age_on(self.child.dob, day) >= 16 {
                break;
            }
            self.note(
                day,
                Payload::HealthAssessmentCompleted {
                    kind: HealthAssessmentKind::Review,
                },
            );
            last = day;
        }
    }

    fn dental(&mut self, p: &Period) {
        let practice = self.practice;
        let first_birthday = birthday(self.child.dob, 1);
        let mut day = self
            .rng
            .day_within(p.start, 20, 120)
            .max(self.rng.day_within(first_birthday, 0, 120));
        while day < p.end && day <= self.config.end {
            self.note(day, Payload::DentalCheckCompleted);
            let due = add_months(day, 12);
            day = if self.rng.chance(practice.dental_on_time) {
                add_days(due, -self.rng.int(0, 45))
            } else {
                add_days(due, self.rng.int(1, 300))
            };
        }
    }

    /// One PEP in each school term (autumn, spring, summer) of school age in care.
    fn peps(&mut self, p: &Period) {
        let from = p.start;
        let to = p.end.min(add_days(self.config.end, 1));
        let mut year = from.year() - 1;
        while year <= to.year() {
            for (first, last) in terms(year) {
                let open = from.max(add_days(p.start, 10)).max(first);
                let close = to.min(last);
                if days_between(open, close) < 15 {
                    continue;
                }
                let age = age_on(self.child.dob, first);
                if !(4..18).contains(&age) {
                    continue;
                }
                if self.rng.chance(self.practice.pep_per_term) {
                    let span = (days_between(open, close) as f64 * 0.6) as i64;
                    let day = self.rng.day_within(open, 0, span.max(0));
                    self.note(day, Payload::PepRecorded);
                }
            }
            year += 1;
        }
    }

    fn care_plans(&mut self, p: &Period) {
        let practice = self.practice;
        let working_days = if self
            .rng
            .chance(self.profile.recording.first_plan_within_10_days)
        {
            self.rng.int(0, 10)
        } else {
            self.rng.int(11, 40)
        };
        let mut day = self.calendar.add_working_days(p.start, working_days as u32);
        while day < p.end && day <= self.config.end {
            self.note(day, Payload::CarePlanRecorded);
            day = if self.rng.chance(practice.plan_on_time) {
                self.rng.day_within(day, 100, 180)
            } else {
                self.rng.day_within(day, 181, 260)
            };
        }
    }

    /// Pathway plans from 16, while looked after and as a care leaver: every 6 months.
    fn pathway_plans(&mut self, leaver: Option<Date>, until: Date) {
        let child = self.child;
        let sixteen = birthday(child.dob, 16);
        let practice = self.practice;
        if self.rng.chance(self.profile.recording.no_pathway_plan) {
            // Never planned (refused, or lost in the system).
            return;
        }
        let mut day = if self.rng.chance(practice.pathway_on_time) {
            self.rng.day_within(sixteen, 0, 90)
        } else {
            self.rng.day_within(sixteen, 91, 300)
        };
        while day < until && day <= self.config.end {
            let looked_after = child.periods.iter().any(|p| p.counted() && p.contains(day));
            let leaving_care = leaver.is_some_and(|from| day >= from);
            if looked_after || leaving_care {
                self.note(day, Payload::PathwayPlanRecorded);
            }
            day = if self.rng.chance(practice.pathway_on_time) {
                self.rng.day_within(day, 120, 182)
            } else {
                self.rng.day_within(day, 183, 300)
            };
        }
    }

    /// Contacts with a care leaver until 21 (or 25 with extended support); returns the day
    /// support ends.
    fn care_leaver(&mut self, from: Date) -> Date {
        let child = self.child;
        let twenty_one = birthday(child.dob, 21);
        let Some(last) = child.periods.iter().rfind(|p| p.counted()) else {
            return twenty_one;
        };
        let twenty_five = birthday(child.dob, 25);
        let mut until = twenty_one;
        let rates = &self.profile.recording;
        if self.rng.chance(rates.extended_support) {
            let asked = self.rng.day_within(twenty_one, 0, 120);
            if asked <= self.config.end {
                self.put(asked, Payload::CareLeaverSupportExtended);
                until = twenty_five;
                if self.rng.chance(rates.extended_support_ends) {
                    let ended = self.rng.day_within(asked, 180, 1100);
                    if ended < twenty_five {
                        until = ended;
                        self.put(ended, Payload::CareLeaverSupportEnded);
                    }
                }
            }
        }
        let home = matches!(
            last.reason,
            ReasonCeased::E4A | ReasonCeased::E4B | ReasonCeased::E13
        ) && self.rng.chance(rates.leaver_at_home);
        let mut state = LeaverState::new(&mut self.rng, self.profile.eet, last.reason, home);
        let dies = self.rng.chance(rates.leaver_dies);
        let mut day = self.rng.day_within(from, 3, 30);
        while day < until && day <= self.config.end {
            state.step(&mut self.rng, self.profile, age_on(child.dob, day));
            if dies && self.rng.chance(rates.dies_at_contact) {
                self.note(
                    day,
                    Payload::CareLeaverContactRecorded {
                        in_touch: InTouch::Died,
                        activity: Activity::NoInformation,
                        accommodation: Accommodation::NoInformation,
                    },
                );
                return day;
            }
            let payload = state.contact(&mut self.rng, rates);
            self.note(day, payload);
            day = self.rng.day_within(day, 40, 120);
        }
        until
    }
}

/// A care leaver's situation, changing now and then between contacts.
struct LeaverState {
    returned_home: bool,
    activity: Activity,
    accommodation: Accommodation,
}

impl LeaverState {
    fn new(rng: &mut SimRng, eet: f64, reason: ReasonCeased, home: bool) -> LeaverState {
        let accommodation = match reason {
            _ if home => Accommodation::B1,
            ReasonCeased::E17 => Accommodation::Z1,
            ReasonCeased::E5 => rng.pick(&[
                (Accommodation::D1, 50.0),
                (Accommodation::E1, 25.0),
                (Accommodation::U1, 25.0),
            ]),
            _ => accommodation(rng),
        };
        LeaverState {
            returned_home: home,
            activity: activity(rng, eet),
            accommodation,
        }
    }

    fn step(&mut self, rng: &mut SimRng, profile: &Profile, age: i32) {
        let rates = &profile.recording;
        if rng.chance(rates.activity_changes) {
            self.activity = activity(rng, profile.eet);
        }
        // Staying put ends at 21 at the latest; others move now and then.
        if rng.chance(rates.accommodation_changes)
            || (self.accommodation == Accommodation::Z1 && age >= 21)
        {
            self.accommodation = accommodation(rng);
        }
    }

    fn contact(&self, rng: &mut SimRng, rates: &Recording) -> Payload {
        let in_touch = if self.returned_home && rng.chance(rates.returned_home_contact) {
            InTouch::ReturnedHome
        } else {
            rng.pick(&[
                (InTouch::Yes, 98.0),
                (InTouch::No, 1.2),
                (InTouch::Refused, 0.5),
                (InTouch::NotRequired, 0.3),
            ])
        };
        let known = matches!(in_touch, InTouch::Yes | InTouch::ReturnedHome);
        Payload::CareLeaverContactRecorded {
            in_touch,
            activity: if known {
                self.activity
            } else {
                Activity::NoInformation
            },
            accommodation: if known {
                self.accommodation
            } else {
                Accommodation::NoInformation
            },
        }
    }
}

fn activity(rng: &mut SimRng, eet: f64) -> Activity {
    use Activity::*;
    if rng.chance(eet) {
        rng.pick(&[
            (F2, 30.0),
            (P2, 6.0),
            (F5, 22.0),
            (P5, 12.0),
            (F1, 9.0),
            (P1, 1.0),
            (F4, 4.0),
            (P4, 1.0),
        ])
    } else {
        rng.pick(&[(G5, 65.0), (G6, 20.0), (G4, 15.0)])
    }
}

fn accommodation(rng: &mut SimRng) -> Accommodation {
    use Accommodation::*;
    rng.pick(&[
        (U1, 30.0),
        (B1, 20.0),
        (D1, 18.0),
        (E1, 7.0),
        (K1, 5.0),
        (T1, 4.0),
        (C1, 2.0),
        (Y1, 2.0),
        (G1, 0.5),
        (R1, 0.5),
        (B2, 0.5),
        (S2, 0.4),
        (W2, 0.3),
        (X2, 0.3),
        (V2, 0.2),
        (U2, 0.3),
        (D2, 0.2),
    ])
}

/// The school terms of the school year starting in September of `year`: autumn (September to
/// December), spring (January to March) and summer (April to July), as (first, last) days.
fn terms(year: i32) -> [(Date, Date); 3] {
    let d = |y: i32, m: CalMonth, day: u8| Date::from_calendar_date(y, m, day).unwrap_or(Date::MIN);
    [
        (
            d(year, CalMonth::September, 1),
            d(year, CalMonth::December, 31),
        ),
        (
            d(year + 1, CalMonth::January, 1),
            d(year + 1, CalMonth::March, 31),
        ),
        (
            d(year + 1, CalMonth::April, 1),
            d(year + 1, CalMonth::July, 31),
        ),
    ]
}
