//! Foster-carer households and who looks after each placement.
//!
//! Households are recruited month by month to keep the number registered (connected ones
//! included) near the authority's figure (about 150 for the seed authority); mainstream ones
//! offer 1-9 places and resign after some years, deregistering once their children have left. Foster placements are
//! matched to a household with free places when the authority tries its own carers first and
//! one is free, otherwise to an independent fostering agency; siblings placed together need
//! places together. Family and friends placements get a connected household of their own,
//! approved for the child and deregistered after the child leaves. Every other placement gets
//! its provider (and a carer or home id where one exists) here too.

use time::Date;

use caseflow_domain::calendar::{Month, add_days};
use caseflow_domain::codes::Provider;

use crate::children::{Setting, World, kind_for, model_start};
use crate::config::SimConfig;
use crate::profile::{InArea, Profile};
use crate::random::{Draw, SimRng, Stream, stream};

/// One foster-carer household.
pub(crate) struct Household {
    pub approved: Date,
    pub deregistered: Option<Date>,
    pub places: u8,
    pub connected: bool,
    pub reason: Option<&'static str>,
    /// When a mainstream household decides to stop: no placements after it, deregistered once
    /// the children placed with it have left.
    closing: Date,
    /// Days between the last child leaving (or deciding to stop) and deregistration.
    lag: i64,
    /// End days of the placements made with it.
    placed_until: Vec<Date>,
}

impl Household {
    /// Its id, once households are numbered by approval day.
    pub fn id(number: usize) -> String {
        format!("H{:04}", number + 1)
    }

    fn free_on(&self, day: Date) -> usize {
        let taken = self.placed_until.iter().filter(|end| **end > day).count();
        usize::from(self.places).saturating_sub(taken)
    }

    /// Whether it is approved and not deregistered on `day`, as far as known on `day` (a
    /// mainstream household that has decided to stop takes no more children, so its
    /// deregistration day is known from then on).
    fn registered_on(&self, day: Date) -> bool {
        if self.approved > day {
            return false;
        }
        match self.deregistered {
            Some(d) => d > day,
            None if self.closing > day => true,
            None => self.deregistration() > day,
        }
    }

    fn deregistration(&self) -> Date {
        let last = self.placed_until.iter().copied().max();
        add_days(last.map_or(self.closing, |l| l.max(self.closing)), self.lag)
    }
}

/// A group of placements starting together with the same carer: (child, period, stay).
type Group = Vec<(usize, usize, usize)>;

/// Creates the households and gives every placement its provider and carer: month by month,
/// mainstream households are recruited and the foster placements starting are matched to
/// carers; then mainstream households deregister, households are numbered by approval, and
/// every other placement gets its provider.
pub(crate) fn assign(
    config: &SimConfig,
    profile: &Profile,
    la: &str,
    world: &mut World,
) -> Vec<Household> {
    let groups = foster_groups(world);
    let mut service = FosteringService {
        rng: stream(config.seed, la, Stream::Carers, 0),
        profile,
        target: profile.households.max(3.0),
        households: Vec::new(),
        placed: Vec::new(),
        independent_carers: 0,
    };
    let mut next = 0;
    for month in Month::of(model_start(config)).through(Month::of(config.end)) {
        service.recruit(month);
        // The placements starting this month, in order.
        while let Some((start, group)) = groups.get(next).filter(|(d, _)| month.contains(*d)) {
            next += 1;
            service.place(world, *start, group);
        }
    }
    service.deregister_mainstream();
    let FosteringService {
        mut rng,
        households,
        placed,
        ..
    } = service;
    let households = number_by_approval(households, placed, world);
    other_placements(&mut rng, &profile.placements.in_area, world);
    households
}

/// The authority's fostering service: its households (referred to by index until they are
/// numbered at the end) and the foster placements made with them.
struct FosteringService<'a> {
    rng: SimRng,
    profile: &'a Profile,
    /// Households it keeps registered (connected ones included).
    target: f64,
    households: Vec<Household>,
    /// (child, period, stay, household).
    placed: Vec<(usize, usize, usize, usize)>,
    independent_carers: u32,
}

/// Who looks after a group of placements.
struct Carer {
    household: Option<usize>,
    provider: Provider,
    /// The carer id where it is not one of the authority's households.
    id: Option<String>,
    in_area: bool,
}

impl FosteringService<'_> {
    /// Recruits mainstream households at the start of `month`, to keep the households
    /// registered (connected ones included) near the authority's number.
    fn recruit(&mut self, month: Month) {
        let fostering = &self.profile.fostering;
        let day = month.first_day();
        let registered = self
            .households
            .iter()
            .filter(|h| h.registered_on(day))
            .count() as f64;
        let base = self.target / (fostering.tenure_years * 12.0);
        let wanted = (base + fostering.gap_closed * (self.target - registered))
            .clamp(0.0, fostering.max_share * base + fostering.max_extra);
        for _ in 0..self.rng.poisson(wanted) {
            let rng = &mut self.rng;
            let approved = add_days(day, rng.int(0, 27));
            self.households.push(Household {
                approved,
                deregistered: None,
                places: rng.pick(&[
                    (1, 33.0),
                    (2, 36.0),
                    (3, 19.0),
                    (4, 7.0),
                    (5, 3.0),
                    (6, 1.0),
                    (7, 0.5),
                    (8, 0.3),
                    (9, 0.2),
                ]),
                connected: false,
                reason: None,
                closing: add_days(
                    approved,
                    rng.exp(fostering.tenure_years * 365.0) as i64 + 30,
                ),
                lag: rng.int(0, 45),
                placed_until: Vec::new(),
            });
        }
    }

    /// Finds carers for a group of placements starting together on `start` and gives each
    /// placement its provider, carer and whether it is in the area.
    fn place(&mut self, world: &mut World, start: Date, group: &Group) {
        let stay = |&(c, p, s): &(usize, usize, usize)| &world.children[c].periods[p].stays[s];
        let setting = stay(&group[0]).setting;
        let last_end = group.iter().map(|g| stay(g).end).max().unwrap_or(start);
        let carer = if setting == Setting::FamilyFriends {
            self.connected_household(start, last_end, group.len())
        } else {
            self.foster_carer(world, start, group)
        };
        for &(c, p, s) in group {
            let stay = &mut world.children[c].periods[p].stays[s];
            stay.provider = Some(carer.provider);
            stay.carer = carer.id.clone();
            stay.in_area = Some(carer.in_area);
            if let Some(h) = carer.household {
                self.placed.push((c, p, s, h));
            }
        }
    }

    /// A family and friends placement: a connected household approved for these `children`,
    /// deregistered a little after the last of them leaves on `last_end`.
    fn connected_household(&mut self, start: Date, last_end: Date, children: usize) -> Carer {
        let lag = self.rng.int(14, 90);
        self.households.push(Household {
            approved: start,
            deregistered: Some(add_days(last_end, lag)),
            places: children.clamp(1, 9) as u8,
            connected: true,
            reason: Some("placement ended"),
            closing: start,
            lag,
            placed_until: vec![last_end],
        });
        Carer {
            household: Some(self.households.len() - 1),
            provider: Provider::PR1,
            id: None,
            in_area: self.rng.chance(self.profile.fostering.connected_in_area),
        }
    }

    /// A foster placement: with the authority's own carers when it tries them first and one
    /// has room for the whole group, otherwise with an independent fostering agency.
    fn foster_carer(&mut self, world: &World, start: Date, group: &Group) -> Carer {
        let found = if self.rng.chance(self.profile.in_house_share) {
            self.in_house_with_room(start, group.len())
        } else {
            None
        };
        let fostering = &self.profile.fostering;
        match found {
            Some(h) => {
                for &(c, p, s) in group {
                    let end = world.children[c].periods[p].stays[s].end;
                    self.households[h].placed_until.push(end);
                }
                Carer {
                    household: Some(h),
                    provider: Provider::PR1,
                    id: None,
                    in_area: self.rng.chance(fostering.in_house_in_area),
                }
            }
            None => {
                self.independent_carers += 1;
                let provider = self
                    .rng
                    .pick(&[(Provider::PR4, 80.0), (Provider::PR5, 20.0)]);
                Carer {
                    household: None,
                    provider,
                    id: Some(format!("IF{:05}", self.independent_carers)),
                    in_area: self.rng.chance(fostering.agency_in_area),
                }
            }
        }
    }

    /// One of the mainstream households approved by `start`, not closing and with `places`
    /// free then, drawn in proportion to the places free.
    fn in_house_with_room(&mut self, start: Date, places: usize) -> Option<usize> {
        let room: Vec<(usize, f64)> = self
            .households
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.connected && h.approved <= start && h.closing > start)
            .filter_map(|(i, h)| {
                let free = h.free_on(start);
                (free >= places).then_some((i, free as f64))
            })
            .collect();
        (!room.is_empty()).then(|| self.rng.pick(&room))
    }

    /// Mainstream households deregister once the children placed with them have left.
    fn deregister_mainstream(&mut self) {
        for h in &mut self.households {
            if h.connected {
                continue;
            }
            h.deregistered = Some(h.deregistration());
            h.reason = Some(self.rng.pick(&[
                ("resigned", 45.0),
                ("retired", 25.0),
                ("moved away", 10.0),
                ("change in circumstances", 15.0),
                ("approval terminated", 5.0),
            ]));
        }
    }
}

/// Numbers households by approval day, gives the placements made with them their household
/// ids, and returns them in that order.
fn number_by_approval(
    households: Vec<Household>,
    placed: Vec<(usize, usize, usize, usize)>,
    world: &mut World,
) -> Vec<Household> {
    let mut by_approval: Vec<usize> = (0..households.len()).collect();
    by_approval.sort_by_key(|&h| (households[h].approved, h));
    let mut number = vec![0; households.len()];
    for (n, &h) in by_approval.iter().enumerate() {
        number[h] = n;
    }
    for (c, p, s, h) in placed {
        world.children[c].periods[p].stays[s].carer = Some(Household::id(number[h]));
    }
    let mut numbered: Vec<Option<Household>> = households.into_iter().map(Some).collect();
    by_approval
        .iter()
        .filter_map(|&h| numbered[h].take())
        .collect()
}

/// Foster and family-and-friends placements in the order they start, siblings placed together
/// (same day, same key, same setting) in one group.
fn foster_groups(world: &World) -> Vec<(Date, Group)> {
    let mut order: Vec<(Date, u32, usize, usize, usize)> = Vec::new();
    for (ci, child) in world.children.iter().enumerate() {
        for (pi, period) in child.periods.iter().enumerate() {
            for (si, stay) in period.stays.iter().enumerate() {
                if matches!(stay.setting, Setting::Foster | Setting::FamilyFriends) {
                    order.push((stay.start, stay.together.unwrap_or(0), ci, pi, si));
                }
            }
        }
    }
    order.sort();
    let setting = |&(_, _, c, p, s): &(Date, u32, usize, usize, usize)| {
        world.children[c].periods[p].stays[s].setting
    };
    let mut out: Vec<(Date, Group)> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let (start, together, ..) = order[i];
        let mut j = i + 1;
        while j < order.len()
            && together != 0
            && order[j].0 == start
            && order[j].1 == together
            && setting(&order[j]) == setting(&order[i])
        {
            j += 1;
        }
        out.push((
            start,
            order[i..j]
                .iter()
                .map(|&(_, _, c, p, s)| (c, p, s))
                .collect(),
        ));
        i = j;
    }
    out
}

/// Providers and carer or home ids of every placement not matched to a foster household.
fn other_placements(rng: &mut SimRng, in_area: &InArea, world: &mut World) {
    let mut adopters = 0u32;
    for child in &mut world.children {
        for period in &mut child.periods {
            for stay in &mut period.stays {
                if stay.provider.is_some() || stay.carer.is_some() {
                    continue;
                }
                if matches!(stay.setting, Setting::Foster | Setting::FamilyFriends) {
                    continue;
                }
                let (provider, carer, p_in_area) = match stay.setting {
                    Setting::Adopters | Setting::FosterForAdoption => {
                        adopters += 1;
                        (
                            Some(rng.pick(&[
                                (Provider::PR1, 60.0),
                                (Provider::PR2, 15.0),
                                (Provider::PR5, 25.0),
                            ])),
                            Some(format!("AD{adopters:05}")),
                            in_area.adopters,
                        )
                    }
                    Setting::Residential => (
                        Some(rng.pick(&[
                            (Provider::PR1, 25.0),
                            (Provider::PR4, 70.0),
                            (Provider::PR5, 5.0),
                        ])),
                        Some(format!("RH{:03}", rng.int(1, 40))),
                        in_area.residential,
                    ),
                    Setting::Secure => (
                        Some(rng.pick(&[(Provider::PR1, 40.0), (Provider::PR2, 60.0)])),
                        Some(format!("SC{:02}", rng.int(1, 10))),
                        in_area.secure,
                    ),
                    Setting::SemiIndependent => (
                        Some(rng.pick(&[
                            (Provider::PR1, 25.0),
                            (Provider::PR4, 50.0),
                            (Provider::PR5, 25.0),
                        ])),
                        Some(format!("SA{:03}", rng.int(1, 30))),
                        in_area.semi_independent,
                    ),
                    Setting::IndependentLiving => (
                        Some(rng.pick(&[(Provider::PR1, 80.0), (Provider::PR4, 20.0)])),
                        None,
                        in_area.independent_living,
                    ),
                    Setting::Parents => (Some(Provider::PR0), None, in_area.parents),
                    Setting::MotherBaby => (
                        Some(rng.pick(&[(Provider::PR4, 60.0), (Provider::PR5, 40.0)])),
                        Some(format!("MB{:02}", rng.int(1, 8))),
                        in_area.mother_baby,
                    ),
                    Setting::School => (
                        Some(rng.pick(&[(Provider::PR3, 30.0), (Provider::PR4, 70.0)])),
                        Some(format!("RS{:02}", rng.int(1, 12))),
                        in_area.school,
                    ),
                    Setting::Custody => (
                        Some(Provider::PR3),
                        Some(format!("YO{:02}", rng.int(1, 6))),
                        in_area.custody,
                    ),
                    Setting::ShortBreakUnit => (Some(Provider::PR1), None, in_area.short_break),
                    Setting::Elsewhere | Setting::Foster | Setting::FamilyFriends => {
                        (None, None, in_area.elsewhere)
                    }
                };
                // Z1 and temporary placements carry no provider.
                let provider = provider.filter(|_| {
                    !stay
                        .segments
                        .first()
                        .is_some_and(|(d, _)| kind_for(stay.setting, *d).has_no_provider())
                });
                stay.provider = provider;
                stay.carer = carer;
                stay.in_area = Some(rng.chance(p_in_area));
            }
        }
    }
}
