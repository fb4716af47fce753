//! Social workers of the LAC teams and the allocation of children's cases to them.
//!
//! Day by day, each new period of care is allocated to a worker of its team group (LAC 1-3 or
//! LAC 4-5) with room under their personal cap (lower for ASYE and unqualified staff). Teams
//! recruit when cases per qualified FTE rise above the authority's target, and at once when
//! nobody has room (then often through an agency). Workers leave (agency staff sooner), their
//! cases passing to colleagues; some change team, hours, ASYE or agency status on the way.

use std::collections::BTreeMap;

use time::{Date, Weekday};

use caseflow_domain::calendar::{add_days, add_months};

use crate::children::{GROUPS, World, model_start};
use crate::config::SimConfig;
use crate::profile::Profile;
use crate::random::{Draw, SimRng, Stream, stream};

const TEAMS: [&[&str]; GROUPS] = [&["LAC1", "LAC2", "LAC3"], &["LAC4", "LAC5"]];

/// A change in a worker's record (`socialWorkerChanged`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Change {
    Team(&'static str),
    Fte(f64),
    Asye(bool),
    Agency(bool),
}

pub(crate) struct Worker {
    pub group: usize,
    pub team: &'static str,
    pub joined: Date,
    pub left: Option<Date>,
    pub fte: f64,
    pub qualified: bool,
    pub agency: bool,
    pub asye: bool,
    pub changes: Vec<(Date, Change)>,
}

impl Worker {
    pub fn id(number: usize) -> String {
        format!("W{:04}", number + 1)
    }
}

/// The workforce and every allocation, per (child, period): (day, worker index).
pub(crate) struct Staff {
    pub workers: Vec<Worker>,
    pub allocations: BTreeMap<(usize, usize), Vec<(Date, usize)>>,
}

/// A worker's state during the simulation.
struct Live {
    fte: f64,
    /// Cases per FTE they take on.
    cap: f64,
    cases: Vec<(usize, usize)>,
}

pub(crate) fn allocate(config: &SimConfig, profile: &Profile, la: &str, world: &World) -> Staff {
    let mut rng = stream(config.seed, la, Stream::Workforce, 0);
    let mut starts: BTreeMap<Date, Vec<(usize, usize)>> = BTreeMap::new();
    let mut ends: BTreeMap<Date, Vec<(usize, usize)>> = BTreeMap::new();
    for (ci, child) in world.children.iter().enumerate() {
        for (pi, period) in child.periods.iter().enumerate() {
            if period.counted() && period.start <= config.end {
                starts.entry(period.start).or_default().push((ci, pi));
                ends.entry(period.end).or_default().push((ci, pi));
            }
        }
    }
    let mut sim = Sim {
        profile,
        rng: &mut rng,
        workers: Vec::new(),
        live: Vec::new(),
        case_worker: BTreeMap::new(),
        allocations: BTreeMap::new(),
        pending: BTreeMap::new(),
        leaving: BTreeMap::new(),
        changing: BTreeMap::new(),
    };
    let mut day = model_start(config);
    while day <= config.end {
        sim.day(day, world, &mut starts, &mut ends);
        day = add_days(day, 1);
    }
    Staff {
        workers: sim.workers,
        allocations: sim.allocations,
    }
}

struct Sim<'a> {
    profile: &'a Profile,
    rng: &'a mut SimRng,
    workers: Vec<Worker>,
    live: Vec<Live>,
    case_worker: BTreeMap<(usize, usize), usize>,
    allocations: BTreeMap<(usize, usize), Vec<(Date, usize)>>,
    /// Cases to allocate on a day.
    pending: BTreeMap<Date, Vec<(usize, usize)>>,
    leaving: BTreeMap<Date, Vec<usize>>,
    changing: BTreeMap<Date, Vec<(usize, Change)>>,
}

impl Sim<'_> {
    fn day(
        &mut self,
        day: Date,
        world: &World,
        starts: &mut BTreeMap<Date, Vec<(usize, usize)>>,
        ends: &mut BTreeMap<Date, Vec<(usize, usize)>>,
    ) {
        // Workers leaving: their cases pass to colleagues, mostly the same day.
        for w in self.leaving.remove(&day).unwrap_or_default() {
            if self.workers[w].left != Some(day) {
                // Left earlier than first planned.
                continue;
            }
            for case in std::mem::take(&mut self.live[w].cases) {
                self.case_worker.remove(&case);
                let on = if self.rng.chance(self.profile.workforce.handover_same_day) {
                    day
                } else {
                    self.rng.day_within(day, 1, 10)
                };
                self.pending.entry(on).or_default().push(case);
            }
            self.live[w].cap = 0.0;
        }
        for (w, change) in self.changing.remove(&day).unwrap_or_default() {
            if self.live[w].cap == 0.0 {
                continue;
            }
            match change {
                Change::Fte(fte) => self.live[w].fte = fte,
                Change::Asye(false) => self.live[w].cap = self.rng.uniform(13.5, 19.5),
                _ => {}
            }
        }
        // Periods ending: the case closes.
        for case in ends.remove(&day).unwrap_or_default() {
            if let Some(w) = self.case_worker.remove(&case) {
                self.live[w].cases.retain(|c| *c != case);
            }
        }
        // Admissions: a child has an allocated social worker from the day they come into care
        // (the DfE's return has a social-worker episode from the start of a period of care).
        for case in starts.remove(&day).unwrap_or_default() {
            self.pending.entry(day).or_default().push(case);
        }
        if day.weekday() == Weekday::Monday {
            self.staffing(day);
        }
        if day.day() == 1 {
            self.reallocations(day, world);
        }
        for case in self.pending.remove(&day).unwrap_or_default() {
            let (ci, pi) = case;
            let period = &world.children[ci].periods[pi];
            if !period.contains(day) || self.case_worker.contains_key(&case) {
                continue;
            }
            let w = self.choose(period.group, day, None);
            self.give(case, w, day);
        }
    }

    /// Weekly: recruitment when caseloads are high; agency workers let go when they are low.
    fn staffing(&mut self, day: Date) {
        let target = self.profile.caseload_target;
        for group in 0..GROUPS {
            loop {
                let (cases, fte) = self.load(group);
                if fte > 0.0 && cases / fte <= target {
                    break;
                }
                if fte == 0.0 && cases == 0.0 {
                    break;
                }
                self.hire(day, group, false);
            }
            let (cases, fte) = self.load(group);
            if fte > 0.0 && cases / fte < target - 1.5 {
                let agency = (0..self.workers.len())
                    .filter(|&w| {
                        let worker = &self.workers[w];
                        worker.group == group
                            && worker.agency
                            && self.live[w].cap > 0.0
                            && worker.left.is_some_and(|l| l > add_days(day, 28))
                    })
                    .min_by_key(|&w| self.live[w].cases.len());
                if let Some(w) = agency {
                    let left = self.rng.day_within(day, 7, 28);
                    self.workers[w].left = Some(left);
                    self.workers[w].changes.retain(|(d, _)| *d < left);
                    self.leaving.entry(left).or_default().push(w);
                }
            }
        }
    }

    /// Monthly: the odd case moves to another worker of the team group.
    fn reallocations(&mut self, day: Date, world: &World) {
        let open: Vec<((usize, usize), usize)> =
            self.case_worker.iter().map(|(c, w)| (*c, *w)).collect();
        for (case, from) in open {
            if !self
                .rng
                .chance(self.profile.workforce.reallocated_per_month)
            {
                continue;
            }
            let group = world.children[case.0].periods[case.1].group;
            let to = self.choose(group, day, Some(from));
            if to != from {
                self.live[from].cases.retain(|c| *c != case);
                self.give(case, to, day);
            }
        }
    }

    /// Cases held in the group, and the FTE of its qualified workers.
    fn load(&self, group: usize) -> (f64, f64) {
        let mut cases = 0.0;
        let mut fte = 0.0;
        for (w, live) in self.live.iter().enumerate() {
            let worker = &self.workers[w];
            if worker.group != group || live.cap == 0.0 {
                continue;
            }
            cases += live.cases.len() as f64;
            if worker.qualified {
                fte += live.fte;
            }
        }
        (cases, fte)
    }

    /// A worker of `group` with room (hiring one when nobody has), not `except`.
    fn choose(&mut self, group: usize, day: Date, except: Option<usize>) -> usize {
        let room: Vec<(usize, f64)> = self
            .live
            .iter()
            .enumerate()
            .filter(|(w, live)| {
                self.workers[*w].group == group && live.cap > 0.0 && Some(*w) != except
            })
            .filter_map(|(w, live)| {
                let free = live.cap * live.fte - live.cases.len() as f64;
                (free >= 1.0).then_some((w, free))
            })
            .collect();
        if room.is_empty() {
            return match except {
                Some(w) => w,
                None => self.hire(day, group, true),
            };
        }
        self.rng.pick(&room)
    }

    fn give(&mut self, case: (usize, usize), w: usize, day: Date) {
        self.live[w].cases.push(case);
        self.case_worker.insert(case, w);
        self.allocations.entry(case).or_default().push((day, w));
    }

    /// Recruits a worker to `group`; `urgent` recruitment is more often through an agency.
    fn hire(&mut self, day: Date, group: usize, urgent: bool) -> usize {
        let rng = &mut *self.rng;
        let rates = &self.profile.workforce;
        let w = self.workers.len();
        let agency = rng.chance(if urgent {
            rates.agency_when_urgent
        } else {
            rates.agency
        });
        let qualified = agency || rng.chance(rates.qualified);
        let asye = qualified && !agency && rng.chance(rates.asye);
        let fte = rng.pick(&[(1.0, 80.0), (0.8, 8.0), (0.6, 6.0), (0.5, 6.0)]);
        let cap = if !qualified {
            rng.uniform(6.0, 9.0)
        } else if asye {
            rng.uniform(9.0, 11.0)
        } else {
            rng.uniform(13.5, 19.5)
        };
        let teams = TEAMS[group];
        let team = teams[rng.int(0, teams.len() as i64 - 1) as usize];
        let stay_days = if agency {
            60 + rng.exp(rates.agency_stay_days) as i64
        } else {
            90 + rng.exp(rates.permanent_stay_years * 365.0) as i64
        };
        let left = add_days(day, stay_days);
        let mut changes = Vec::new();
        if asye {
            changes.push((add_months(day, 12), Change::Asye(false)));
        }
        if rng.chance(rates.team_change) {
            let other = teams[rng.int(0, teams.len() as i64 - 1) as usize];
            if other != team {
                changes.push((rng.day_within(day, 30, stay_days - 1), Change::Team(other)));
            }
        }
        if rng.chance(rates.fte_change) {
            let to = if fte < 1.0 { 1.0 } else { 0.8 };
            changes.push((rng.day_within(day, 30, stay_days - 1), Change::Fte(to)));
        }
        if agency && rng.chance(rates.becomes_permanent) {
            changes.push((
                rng.day_within(day, 30, stay_days - 1),
                Change::Agency(false),
            ));
        }
        changes.retain(|(d, _)| *d < left);
        changes.sort_by_key(|(d, _)| *d);
        for &(d, change) in &changes {
            self.changing.entry(d).or_default().push((w, change));
        }
        self.leaving.entry(left).or_default().push(w);
        self.workers.push(Worker {
            group,
            team,
            joined: day,
            left: Some(left),
            fte,
            qualified,
            agency,
            asye,
            changes,
        });
        self.live.push(Live {
            fte,
            cap,
            cases: Vec::new(),
        });
        w
    }
}
