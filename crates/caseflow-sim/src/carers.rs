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
use crate::profile::Profile;
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

/// Creates the households and gives every placement its provider and carer.
pub(crate) fn assign(
    config: &SimConfig,
    profile: &Profile,
    la: &str,
    world: &mut World,
) -> Vec<Household> {
    let mut rng = stream(config.seed, la, Stream::Carers, 0);
    let groups = foster_groups(world);
    let mut households: Vec<Household> = Vec::new();
    // Households are referred to by index until they are numbered at the end.
    let mut placed: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut independent_carers = 0u32;
    let target = profile.households.max(3.0);
    let tenure_years = 8.0;
    let mut next = 0;
    for month in Month::of(model_start(config)).through(Month::of(config.end)) {
        // Recruitment keeps the registered households (connected ones included) near the
        // authority's number.
        let day = month.first_day();
        let registered = households.iter().filter(|h| h.registered_on(day)).count() as f64;
        let base = target / (tenure_years * 12.0);
        let wanted = (base + 0.2 * (target - registered)).clamp(0.0, 4.0 * base + 2.0);
        for _ in 0..rng.poisson(wanted) {
            let approved = add_days(day, rng.int(0, 27));
            households.push(Household {
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
                closing: add_days(approved, rng.exp(tenure_years * 365.0) as i64 + 30),
                lag: rng.int(0, 45),
                placed_until: Vec::new(),
            });
        }
        // The placements starting this month, in order.
        while let Some((start, group)) = groups.get(next).filter(|(d, _)| month.contains(*d)) {
            next += 1;
            let (c0, p0, s0) = group[0];
            let setting = world.children[c0].periods[p0].stays[s0].setting;
            let last_end = group
                .iter()
                .map(|&(c, p, s)| world.children[c].periods[p].stays[s].end)
                .max()
                .unwrap_or(*start);
            let (household, provider, carer, in_area) = if setting == Setting::FamilyFriends {
                // A connected household approved for these children.
                let lag = rng.int(14, 90);
                households.push(Household {
                    approved: *start,
                    deregistered: Some(add_days(last_end, lag)),
                    places: group.len().clamp(1, 9) as u8,
                    connected: true,
                    reason: Some("placement ended"),
                    closing: *start,
                    lag,
                    placed_until: vec![last_end],
                });
                (
                    Some(households.len() - 1),
                    Provider::PR1,
                    None,
                    rng.chance(0.85),
                )
            } else {
                // The authority's own carers when it tries them and one has room.
                let found = if rng.chance(profile.in_house_share) {
                    let room: Vec<(usize, f64)> = households
                        .iter()
                        .enumerate()
                        .filter(|(_, h)| !h.connected && h.approved <= *start && h.closing > *start)
                        .filter_map(|(i, h)| {
                            let free = h.free_on(*start);
                            (free >= group.len()).then_some((i, free as f64))
                        })
                        .collect();
                    (!room.is_empty()).then(|| rng.pick(&room))
                } else {
                    None
                };
                match found {
                    Some(h) => {
                        for &(c, p, s) in group {
                            let end = world.children[c].periods[p].stays[s].end;
                            households[h].placed_until.push(end);
                        }
                        (Some(h), Provider::PR1, None, rng.chance(0.9))
                    }
                    None => {
                        independent_carers += 1;
                        let provider = rng.pick(&[(Provider::PR4, 80.0), (Provider::PR5, 20.0)]);
                        (
                            None,
                            provider,
                            Some(format!("IF{independent_carers:05}")),
                            rng.chance(0.55),
                        )
                    }
                }
            };
            for &(c, p, s) in group {
                let stay = &mut world.children[c].periods[p].stays[s];
                stay.provider = Some(provider);
                stay.carer = carer.clone();
                stay.in_area = Some(in_area);
                if let Some(h) = household {
                    placed.push((c, p, s, h));
                }
            }
        }
    }

    // Mainstream households deregister once the children placed with them have left.
    for h in &mut households {
        if h.connected {
            continue;
        }
        h.deregistered = Some(h.deregistration());
        h.reason = Some(rng.pick(&[
            ("resigned", 45.0),
            ("retired", 25.0),
            ("moved away", 10.0),
            ("change in circumstances", 15.0),
            ("approval terminated", 5.0),
        ]));
    }

    // Number households by approval day; give placements their household ids.
    let mut by_approval: Vec<usize> = (0..households.len()).collect();
    by_approval.sort_by_key(|&h| (households[h].approved, h));
    let mut number = vec![0; households.len()];
    for (n, &h) in by_approval.iter().enumerate() {
        number[h] = n;
    }
    for (c, p, s, h) in placed {
        world.children[c].periods[p].stays[s].carer = Some(Household::id(number[h]));
    }

    other_placements(&mut rng, world);

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
fn other_placements(rng: &mut SimRng, world: &mut World) {
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
                let (provider, carer, in_area) = match stay.setting {
                    Setting::Adopters | Setting::FosterForAdoption => {
                        adopters += 1;
                        (
                            Some(rng.pick(&[
                                (Provider::PR1, 60.0),
                                (Provider::PR2, 15.0),
                                (Provider::PR5, 25.0),
                            ])),
                            Some(format!("AD{adopters:05}")),
                            0.5,
                        )
                    }
                    Setting::Residential => (
                        Some(rng.pick(&[
                            (Provider::PR1, 25.0),
                            (Provider::PR4, 70.0),
                            (Provider::PR5, 5.0),
                        ])),
                        Some(format!("RH{:03}", rng.int(1, 40))),
                        0.4,
                    ),
                    Setting::Secure => (
                        Some(rng.pick(&[(Provider::PR1, 40.0), (Provider::PR2, 60.0)])),
                        Some(format!("SC{:02}", rng.int(1, 10))),
                        0.2,
                    ),
                    Setting::SemiIndependent => (
                        Some(rng.pick(&[
                            (Provider::PR1, 25.0),
                            (Provider::PR4, 50.0),
                            (Provider::PR5, 25.0),
                        ])),
                        Some(format!("SA{:03}", rng.int(1, 30))),
                        0.7,
                    ),
                    Setting::IndependentLiving => (
                        Some(rng.pick(&[(Provider::PR1, 80.0), (Provider::PR4, 20.0)])),
                        None,
                        0.9,
                    ),
                    Setting::Parents => (Some(Provider::PR0), None, 0.9),
                    Setting::MotherBaby => (
                        Some(rng.pick(&[(Provider::PR4, 60.0), (Provider::PR5, 40.0)])),
                        Some(format!("MB{:02}", rng.int(1, 8))),
                        0.3,
                    ),
                    Setting::School => (
                        Some(rng.pick(&[(Provider::PR3, 30.0), (Provider::PR4, 70.0)])),
                        Some(format!("RS{:02}", rng.int(1, 12))),
                        0.2,
                    ),
                    Setting::Custody => (
                        Some(Provider::PR3),
                        Some(format!("YO{:02}", rng.int(1, 6))),
                        0.3,
                    ),
                    Setting::ShortBreakUnit => (Some(Provider::PR1), None, 1.0),
                    Setting::Elsewhere | Setting::Foster | Setting::FamilyFriends => {
                        (None, None, 0.5)
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
                stay.in_area = Some(rng.chance(in_area));
            }
        }
    }
}
