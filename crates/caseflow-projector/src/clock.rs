//! "Now", injected: the system clock in service, a fixed instant in tests and the demo.

use std::sync::Arc;

use time::{Date, OffsetDateTime};

/// "Now". The projector derives figures as of its day; the query service reads it too.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(OffsetDateTime::now_utc)
}

/// A clock that always answers the same instant.
pub fn fixed_clock(at: OffsetDateTime) -> Clock {
    Arc::new(move || at)
}

/// Noon (UTC) on `day` for ever, or the system clock when no day is given.
pub fn clock_on(day: Option<Date>) -> Clock {
    match day {
        Some(day) => fixed_clock(
            day.with_hms(12, 0, 0)
                .map_or_else(|_| day.midnight().assume_utc(), |t| t.assume_utc()),
        ),
        None => system_clock(),
    }
}
