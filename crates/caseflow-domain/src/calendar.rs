//! Calendar types of the reporting world: days, months, financial years, ages.
//!
//! Days are `time::Date`; nothing here reads a clock. "Now" is always passed in.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month as CalMonth};

pub use time::Date as Day;

/// A calendar month, e.g. `2018-05`. Ordered; cheap to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month(i32);

impl Month {
    /// The month `year-month` (`month` in 1..=12).
    pub fn new(year: i32, month: u8) -> Option<Month> {
        (1..=12)
            .contains(&month)
            .then(|| Month(year * 12 + i32::from(month) - 1))
    }

    /// The month containing `day`.
    pub fn of(day: Date) -> Month {
        Month(day.year() * 12 + i32::from(u8::from(day.month())) - 1)
    }

    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }

    /// 1..=12
    pub fn number(self) -> u8 {
        // rem_euclid(12) is in 0..12, so the cast cannot truncate.
        (self.0.rem_euclid(12) + 1) as u8
    }

    /// A dense ordinal (months since year 0), used as a sortable storage key.
    pub fn ordinal(self) -> i32 {
        self.0
    }

    pub fn from_ordinal(ordinal: i32) -> Month {
        Month(ordinal)
    }

    pub fn first_day(self) -> Date {
        date(self.year(), self.number(), 1)
    }

    /// The last calendar day: the day "at month end" figures are computed for.
    pub fn last_day(self) -> Date {
        let month = cal_month(self.number());
        date(self.year(), self.number(), month.length(self.year()))
    }

    pub fn next(self) -> Month {
        Month(self.0 + 1)
    }

    pub fn prev(self) -> Month {
        Month(self.0 - 1)
    }

    pub fn plus(self, months: i32) -> Month {
        Month(self.0 + months)
    }

    pub fn contains(self, day: Date) -> bool {
        Month::of(day) == self
    }

    pub fn financial_year(self) -> FinancialYear {
        FinancialYear::of(self.first_day())
    }

    /// Months from `self` to `last`, both inclusive (empty when `last < self`).
    pub fn through(self, last: Month) -> impl Iterator<Item = Month> {
        (self.0..=last.0).map(Month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year(), self.number())
    }
}

impl std::str::FromStr for Month {
    type Err = CalendarError;

    /// Parses `YYYY-MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CalendarError::BadMonth(s.to_owned());
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).ok_or_else(bad)
    }
}

/// A financial year, 1 April to 31 March, named by its first year (`2018/19` is `FinancialYear(2018)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FinancialYear(pub i32);

impl FinancialYear {
    pub fn of(day: Date) -> FinancialYear {
        if u8::from(day.month()) >= 4 {
            FinancialYear(day.year())
        } else {
            FinancialYear(day.year() - 1)
        }
    }

    pub fn first_month(self) -> Month {
        Month(self.0 * 12 + 3)
    }

    pub fn last_month(self) -> Month {
        Month(self.0 * 12 + 14)
    }

    pub fn prev(self) -> FinancialYear {
        FinancialYear(self.0 - 1)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.0, (self.0 + 1).rem_euclid(100))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("{0:?} is not a month of the form YYYY-MM")]
    BadMonth(String),
    #[error("{0:?} is not a date of the form YYYY-MM-DD")]
    BadDate(String),
}

/// Parses an ISO `YYYY-MM-DD` day.
pub fn parse_day(s: &str) -> Result<Date, CalendarError> {
    let bad = || CalendarError::BadDate(s.to_owned());
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let year: i32 = s[0..4].parse().map_err(|_| bad())?;
    let month: u8 = s[5..7].parse().map_err(|_| bad())?;
    let day: u8 = s[8..10].parse().map_err(|_| bad())?;
    let month = CalMonth::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

/// Formats a day as `YYYY-MM-DD`.
pub fn format_day(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// "k months after day X": the same day-of-month k months later, or the last day of that
/// month when it is shorter. Negative `k` goes back.
pub fn add_months(day: Date, k: i32) -> Date {
    let target = Month::of(day).plus(k);
    let len = cal_month(target.number()).length(target.year());
    date(target.year(), target.number(), day.day().min(len))
}

pub fn add_days(day: Date, days: i64) -> Date {
    day.checked_add(Duration::days(days)).unwrap_or(day)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: Date, to: Date) -> i64 {
    i64::from(to.to_julian_day() - from.to_julian_day())
}

/// Completed years of age on `on` for a child born on `birth`. A 29 February birthday
/// counts as 1 March in years that have no 29 February.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let mut years = on.year() - birth.year();
    let (bm, bd) = birthday_in(birth, on.year());
    if (u8::from(on.month()), on.day()) < (bm, bd) {
        years -= 1;
    }
    years
}

/// The day a child born on `birth` reaches `years` of age.
pub fn birthday(birth: Date, years: i32) -> Date {
    let year = birth.year() + years;
    let (m, d) = birthday_in(birth, year);
    date(year, m, d)
}

fn birthday_in(birth: Date, year: i32) -> (u8, u8) {
    let (m, d) = (u8::from(birth.month()), birth.day());
    if m == 2 && d == 29 && !time::util::is_leap_year(year) {
        (3, 1)
    } else {
        (m, d)
    }
}

/// Age bands of Table 1 of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AgeBand {
    Under1,
    From1To4,
    From5To9,
    From10To15,
    From16,
}

impl AgeBand {
    pub const ALL: [AgeBand; 5] = [
        AgeBand::Under1,
        AgeBand::From1To4,
        AgeBand::From5To9,
        AgeBand::From10To15,
        AgeBand::From16,
    ];

    pub fn of_age(age: i32) -> AgeBand {
        match age {
            i32::MIN..=0 => AgeBand::Under1,
            1..=4 => AgeBand::From1To4,
            5..=9 => AgeBand::From5To9,
            10..=15 => AgeBand::From10To15,
            _ => AgeBand::From16,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under1 => "Under 1",
            AgeBand::From1To4 => "1-4",
            AgeBand::From5To9 => "5-9",
            AgeBand::From10To15 => "10-15",
            AgeBand::From16 => "16+",
        }
    }
}

fn cal_month(number: u8) -> CalMonth {
    CalMonth::try_from(number).unwrap_or(CalMonth::January)
}

/// Builds a date from parts that are valid by construction (callers clamp the day).
fn date(year: i32, month: u8, day: u8) -> Date {
    Date::from_calendar_date(year, cal_month(month), day).unwrap_or(Date::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn month_ends_and_financial_years() {
        let may = Month::new(2018, 5).unwrap();
        assert_eq!(may.last_day(), date!(2018 - 05 - 31));
        assert_eq!(
            Month::new(2016, 2).unwrap().last_day(),
            date!(2016 - 02 - 29)
        );
        assert_eq!(
            Month::new(2018, 2).unwrap().last_day(),
            date!(2018 - 02 - 28)
        );
        assert_eq!(may.financial_year(), FinancialYear(2018));
        assert_eq!(
            Month::new(2019, 3).unwrap().financial_year(),
            FinancialYear(2018)
        );
        assert_eq!(FinancialYear(2018).first_month().to_string(), "2018-04");
        assert_eq!(FinancialYear(2018).last_month().to_string(), "2019-03");
        assert_eq!(FinancialYear(2018).to_string(), "2018/19");
        assert_eq!(FinancialYear(1999).to_string(), "1999/00");
        assert_eq!("2018-05".parse::<Month>().unwrap(), may);
        assert_eq!(
            "2018-13".parse::<Month>(),
            Err(CalendarError::BadMonth("2018-13".to_owned()))
        );
        assert_eq!(Month::new(2018, 12).unwrap().next().to_string(), "2019-01");
        assert_eq!(Month::new(2018, 1).unwrap().prev().to_string(), "2017-12");
    }

    #[test]
    fn k_months_after_clamps_to_month_end() {
        assert_eq!(add_months(date!(2018 - 01 - 31), 1), date!(2018 - 02 - 28));
        assert_eq!(add_months(date!(2019 - 08 - 31), 6), date!(2020 - 02 - 29));
        assert_eq!(add_months(date!(2018 - 05 - 15), 12), date!(2019 - 05 - 15));
        assert_eq!(add_months(date!(2018 - 05 - 31), -3), date!(2018 - 02 - 28));
    }

    #[test]
    fn leap_day_birthdays_count_as_first_of_march() {
        let born = date!(2004 - 02 - 29);
        assert_eq!(age_on(born, date!(2005 - 02 - 28)), 0);
        assert_eq!(age_on(born, date!(2005 - 03 - 01)), 1);
        assert_eq!(age_on(born, date!(2008 - 02 - 29)), 4);
        assert_eq!(age_on(born, date!(2008 - 02 - 28)), 3);
        assert_eq!(birthday(born, 16), date!(2020 - 02 - 29));
        assert_eq!(birthday(born, 14), date!(2018 - 03 - 01));
    }

    #[test]
    fn day_parsing_is_strict() {
        assert_eq!(parse_day("2018-05-14").unwrap(), date!(2018 - 05 - 14));
        for bad in [
            "2018-5-14",
            "2018-02-30",
            "20180514",
            "2018-05-14T00:00",
            "",
        ] {
            assert_eq!(parse_day(bad), Err(CalendarError::BadDate(bad.to_owned())));
        }
        assert_eq!(format_day(date!(2018 - 05 - 04)), "2018-05-04");
    }

    #[test]
    fn age_bands() {
        assert_eq!(AgeBand::of_age(0), AgeBand::Under1);
        assert_eq!(AgeBand::of_age(4), AgeBand::From1To4);
        assert_eq!(AgeBand::of_age(5), AgeBand::From5To9);
        assert_eq!(AgeBand::of_age(15), AgeBand::From10To15);
        assert_eq!(AgeBand::of_age(17), AgeBand::From16);
    }
}
