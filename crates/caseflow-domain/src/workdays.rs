//! Working days: Monday to Friday except bank holidays in England and Wales.
//!
//! Bank holidays follow the rules of the Banking and Financial Dealings Act 1971 as proclaimed
//! (New Year's Day, Good Friday, Easter Monday, early May, spring and summer bank holidays,
//! Christmas Day and Boxing Day, with weekday substitutes), the one-off changes listed in
//! INDICATORS.md, and any extra days from configuration.

use std::ops::RangeInclusive;

use time::{Date, Duration, Month, Weekday, macros::date};

/// One-off changes: days added, and rule days removed (moved elsewhere).
const ADDED: [Date; 8] = [
    date!(2011 - 04 - 29),
    date!(2012 - 06 - 04),
    date!(2012 - 06 - 05),
    date!(2020 - 05 - 08),
    date!(2022 - 06 - 02),
    date!(2022 - 06 - 03),
    date!(2022 - 09 - 19),
    date!(2023 - 05 - 08),
];
const REMOVED: [Date; 3] = [
    date!(2012 - 05 - 28), // spring bank holiday moved to 4 June
    date!(2020 - 05 - 04), // early May bank holiday moved to 8 May
    date!(2022 - 05 - 30), // spring bank holiday moved to 2 June
];

/// The years whose bank holidays a calendar lists up front; the rules are applied on demand
/// outside them.
const LISTED: RangeInclusive<i32> = 1900..=2199;

/// The working-day calendar, with any extra bank holidays from configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkingCalendar {
    /// Every bank holiday of the `LISTED` years (rules, one-off changes) and every extra day,
    /// sorted: deriving asks about thousands of days per child, and applying the rules (Easter
    /// included) on each question was most of its working-day arithmetic (7% of deriving).
    holidays: Vec<Date>,
}

impl Default for WorkingCalendar {
    fn default() -> WorkingCalendar {
        WorkingCalendar::new([])
    }
}

impl WorkingCalendar {
    pub fn new(extra_bank_holidays: impl IntoIterator<Item = Date>) -> WorkingCalendar {
        let mut holidays: Vec<Date> = LISTED
            .flat_map(rule_holidays)
            .filter(|d| !REMOVED.contains(d))
            .chain(ADDED)
            .chain(extra_bank_holidays)
            .collect();
        holidays.sort_unstable();
        holidays.dedup();
        WorkingCalendar { holidays }
    }

    pub fn is_bank_holiday(&self, day: Date) -> bool {
        self.holidays.binary_search(&day).is_ok()
            || (!LISTED.contains(&day.year())
                && !REMOVED.contains(&day)
                && rule_holidays(day.year()).contains(&day))
    }

    pub fn is_working_day(&self, day: Date) -> bool {
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !self.is_bank_holiday(day)
    }

    /// The `n`-th working day after `day` (`day` itself is day 0): "within n working days of
    /// day X" means on or before this day.
    pub fn add_working_days(&self, day: Date, n: u32) -> Date {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            d = d.next_day().unwrap_or(d);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }
}

/// Easter Sunday (Gregorian), by the anonymous algorithm (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(
        year,
        if month == 3 {
            Month::March
        } else {
            Month::April
        },
        day as u8,
    )
    .unwrap_or(Date::MIN)
}

/// The bank holidays the standing rules give for `year`.
fn rule_holidays(year: i32) -> [Date; 8] {
    let easter = easter_sunday(year);
    let ymd = |m: Month, d: u8| Date::from_calendar_date(year, m, d).unwrap_or(Date::MIN);
    // New Year's Day: 1 January, or the Monday after when at a weekend.
    let new_year = next_weekday(ymd(Month::January, 1));
    // Christmas and Boxing Day: when either falls at a weekend, the substitutes are the next
    // weekdays not already a holiday.
    let christmas = ymd(Month::December, 25);
    let (christmas, boxing) = match christmas.weekday() {
        Weekday::Saturday => (christmas + Duration::days(2), christmas + Duration::days(3)),
        Weekday::Sunday => (christmas + Duration::days(2), christmas + Duration::days(1)),
        Weekday::Friday => (christmas, christmas + Duration::days(3)),
        _ => (christmas, christmas + Duration::days(1)),
    };
    [
        new_year,
        easter - Duration::days(2),
        easter + Duration::days(1),
        first_monday(year, Month::May),
        last_monday(year, Month::May),
        last_monday(year, Month::August),
        christmas,
        boxing,
    ]
}

fn next_weekday(day: Date) -> Date {
    match day.weekday() {
        Weekday::Saturday => day + Duration::days(2),
        Weekday::Sunday => day + Duration::days(1),
        _ => day,
    }
}

fn first_monday(year: i32, month: Month) -> Date {
    let mut d = Date::from_calendar_date(year, month, 1).unwrap_or(Date::MIN);
    while d.weekday() != Weekday::Monday {
        d += Duration::days(1);
    }
    d
}

fn last_monday(year: i32, month: Month) -> Date {
    let mut d = Date::from_calendar_date(year, month, month.length(year)).unwrap_or(Date::MIN);
    while d.weekday() != Weekday::Monday {
        d -= Duration::days(1);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The listed holidays are exactly what the rules, one-off changes and extra days give, in
    /// the listed years and at their edges.
    #[test]
    fn the_listed_holidays_are_the_rules() {
        let extra = [date!(1999 - 12 - 31), date!(2250 - 01 - 02)];
        let cal = WorkingCalendar::new(extra);
        let by_rule = |day: Date| {
            extra.contains(&day)
                || ADDED.contains(&day)
                || (!REMOVED.contains(&day) && rule_holidays(day.year()).contains(&day))
        };
        let mut holidays = 0;
        for (from, to) in [
            (date!(1899 - 12 - 01), date!(1900 - 02 - 01)),
            (date!(1990 - 01 - 01), date!(2040 - 12 - 31)),
            (date!(2199 - 12 - 01), date!(2200 - 01 - 31)),
            (date!(2250 - 01 - 01), date!(2250 - 01 - 03)),
        ] {
            let mut day = from;
            while day <= to {
                assert_eq!(cal.is_bank_holiday(day), by_rule(day), "{day}");
                holidays += usize::from(by_rule(day));
                day = day.next_day().unwrap_or(day);
            }
        }
        // 51 years of 8 (plus 2011's, 2012's and 2022's extra days), the edges' New Year's and
        // Christmas days, and the extra days.
        assert!(holidays > 51 * 8, "{holidays}");
    }

    /// The published England and Wales bank holidays (gov.uk) for years with every kind of
    /// substitution and one-off change.
    #[test]
    fn matches_the_published_bank_holidays() {
        let cal = WorkingCalendar::default();
        let published: &[(i32, [Date; 8])] = &[
            (
                2018,
                [
                    date!(2018 - 01 - 01),
                    date!(2018 - 03 - 30),
                    date!(2018 - 04 - 02),
                    date!(2018 - 05 - 07),
                    date!(2018 - 05 - 28),
                    date!(2018 - 08 - 27),
                    date!(2018 - 12 - 25),
                    date!(2018 - 12 - 26),
                ],
            ),
            // Christmas on a Sunday: 26 Dec Boxing Day, 27 Dec substitute Christmas.
            (
                2016,
                [
                    date!(2016 - 01 - 01),
                    date!(2016 - 03 - 25),
                    date!(2016 - 03 - 28),
                    date!(2016 - 05 - 02),
                    date!(2016 - 05 - 30),
                    date!(2016 - 08 - 29),
                    date!(2016 - 12 - 26),
                    date!(2016 - 12 - 27),
                ],
            ),
            // Christmas on a Saturday: 27 and 28 Dec.
            (
                2021,
                [
                    date!(2021 - 01 - 01),
                    date!(2021 - 04 - 02),
                    date!(2021 - 04 - 05),
                    date!(2021 - 05 - 03),
                    date!(2021 - 05 - 31),
                    date!(2021 - 08 - 30),
                    date!(2021 - 12 - 27),
                    date!(2021 - 12 - 28),
                ],
            ),
            // New Year's Day on a Sunday: Monday 2 January.
            (
                2017,
                [
                    date!(2017 - 01 - 02),
                    date!(2017 - 04 - 14),
                    date!(2017 - 04 - 17),
                    date!(2017 - 05 - 01),
                    date!(2017 - 05 - 29),
                    date!(2017 - 08 - 28),
                    date!(2017 - 12 - 25),
                    date!(2017 - 12 - 26),
                ],
            ),
        ];
        for (year, days) in published {
            let mut found = Vec::new();
            let mut d = Date::from_calendar_date(*year, Month::January, 1).unwrap();
            while d.year() == *year {
                if cal.is_bank_holiday(d) {
                    found.push(d);
                }
                d = d.next_day().unwrap();
            }
            assert_eq!(found, days.to_vec(), "{year}");
        }
    }

    #[test]
    fn one_off_changes() {
        let cal = WorkingCalendar::default();
        assert!(cal.is_bank_holiday(date!(2011 - 04 - 29)), "royal wedding");
        assert!(
            cal.is_bank_holiday(date!(2012 - 06 - 04))
                && cal.is_bank_holiday(date!(2012 - 06 - 05))
        );
        assert!(!cal.is_bank_holiday(date!(2012 - 05 - 28)), "moved to June");
        assert!(
            cal.is_bank_holiday(date!(2020 - 05 - 08))
                && !cal.is_bank_holiday(date!(2020 - 05 - 04))
        );
        assert!(
            cal.is_bank_holiday(date!(2022 - 06 - 02))
                && !cal.is_bank_holiday(date!(2022 - 05 - 30))
        );
        assert!(cal.is_bank_holiday(date!(2022 - 09 - 19)), "state funeral");
        assert!(cal.is_bank_holiday(date!(2023 - 05 - 08)), "coronation");
        let extra = WorkingCalendar::new([date!(2018 - 06 - 01)]);
        assert!(!extra.is_working_day(date!(2018 - 06 - 01)));
    }

    #[test]
    fn within_n_working_days() {
        let cal = WorkingCalendar::default();
        // Friday 23 March 2018: Good Friday 30 March and Easter Monday 2 April are skipped;
        // 20 working days after lands on Tuesday 24 April.
        assert_eq!(
            cal.add_working_days(date!(2018 - 03 - 23), 20),
            date!(2018 - 04 - 24)
        );
        // Day 0 is the day itself; a Saturday start counts from Monday.
        assert_eq!(
            cal.add_working_days(date!(2018 - 05 - 05), 1),
            date!(2018 - 05 - 08),
            "Monday 7 May is a bank holiday"
        );
        assert_eq!(
            cal.add_working_days(date!(2018 - 05 - 14), 0),
            date!(2018 - 05 - 14)
        );
        assert_eq!(easter_sunday(2019), date!(2019 - 04 - 21));
        assert_eq!(easter_sunday(2024), date!(2024 - 03 - 31));
    }
}
