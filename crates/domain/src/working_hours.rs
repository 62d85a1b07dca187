//! Working hours for away messages (AUTO-4): a weekly schedule of open intervals in the
//! company's local time, and holidays (whole days closed). Times are taken already converted to
//! local time, so this stays free of time zone data.

use crate::values::Invalid;

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// A moment in local time: the weekday (0 = Monday), minutes since midnight, the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    pub weekday: usize,
    pub minute: u16,
    /// `YYYY-MM-DD`.
    pub date: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeeklyHours {
    /// Per weekday (Monday first): open intervals `[start, end)` in minutes since midnight.
    pub days: [Vec<(u16, u16)>; 7],
    /// `YYYY-MM-DD` dates closed all day.
    pub holidays: Vec<String>,
}

impl WeeklyHours {
    pub fn is_open(&self, at: &LocalTime) -> bool {
        !self.holidays.contains(&at.date)
            && self.days.get(at.weekday).is_some_and(|spans| spans.iter().any(|(s, e)| (*s..*e).contains(&at.minute)))
    }

    /// Reads intervals written `HH:MM-HH:MM` per weekday, and holiday dates.
    pub fn parse(days: &[(String, Vec<String>)], holidays: &[String]) -> Result<WeeklyHours, Invalid> {
        let mut hours = WeeklyHours::default();
        for (day, spans) in days {
            let index = WEEKDAYS
                .iter()
                .position(|d| d == day)
                .ok_or_else(|| Invalid::new("hours", format!("`{day}` is not a weekday; use mon, tue, ... sun")))?;
            for span in spans {
                hours.days[index].push(span_minutes(span)?);
            }
        }
        for date in holidays {
            if !is_date(date) {
                return Err(Invalid::new("holidays", format!("`{date}` is not a date such as 2026-12-25")));
            }
            hours.holidays.push(date.clone());
        }
        Ok(hours)
    }

    /// The intervals as written, per weekday that has any.
    pub fn written(&self) -> Vec<(String, Vec<String>)> {
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        WEEKDAYS
            .iter()
            .zip(&self.days)
            .filter(|(_, spans)| !spans.is_empty())
            .map(|(day, spans)| {
                (day.to_string(), spans.iter().map(|(s, e)| format!("{}-{}", hhmm(*s), hhmm(*e))).collect())
            })
            .collect()
    }
}

fn span_minutes(span: &str) -> Result<(u16, u16), Invalid> {
    let bad = || Invalid::new("hours", format!("`{span}` is not an interval such as 09:00-18:00"));
    let (start, end) = span.split_once('-').ok_or_else(bad)?;
    let minutes = |t: &str| -> Option<u16> {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
    };
    let (start, end) = (minutes(start).ok_or_else(bad)?, minutes(end).ok_or_else(bad)?);
    if start >= end {
        return Err(Invalid::new("hours", format!("`{span}` ends before it starts")));
    }
    Ok((start, end))
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && y.parse::<u16>().is_ok()
        && m.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && d.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(weekday: usize, hh: u16, mm: u16, date: &str) -> LocalTime {
        LocalTime { weekday, minute: hh * 60 + mm, date: date.into() }
    }

    fn office() -> WeeklyHours {
        let weekdays: Vec<(String, Vec<String>)> = WEEKDAYS[..5]
            .iter()
            .map(|d| (d.to_string(), vec!["09:00-13:00".to_string(), "14:00-18:00".to_string()]))
            .collect();
        WeeklyHours::parse(&weekdays, &["2026-12-25".to_string()]).unwrap()
    }

    #[test]
    fn open_inside_the_intervals_closed_outside_on_weekends_and_holidays() {
        let hours = office();
        assert!(hours.is_open(&at(0, 9, 0, "2026-12-07")));
        assert!(!hours.is_open(&at(0, 8, 59, "2026-12-07")));
        assert!(!hours.is_open(&at(0, 13, 30, "2026-12-07")), "lunch break");
        assert!(!hours.is_open(&at(0, 18, 0, "2026-12-07")), "the end is not included");
        assert!(!hours.is_open(&at(5, 10, 0, "2026-12-12")), "Saturday");
        assert!(!hours.is_open(&at(4, 10, 0, "2026-12-25")), "a holiday");
    }

    #[test]
    fn bad_schedules_are_refused_and_good_ones_written_back_alike() {
        let day = |d: &str, s: &str| vec![(d.to_string(), vec![s.to_string()])];
        assert!(WeeklyHours::parse(&day("monday", "09:00-18:00"), &[]).is_err());
        assert!(WeeklyHours::parse(&day("mon", "18:00-09:00"), &[]).is_err());
        assert!(WeeklyHours::parse(&day("mon", "9-18"), &[]).is_err());
        assert!(WeeklyHours::parse(&day("mon", "09:00-24:01"), &[]).is_err());
        assert!(WeeklyHours::parse(&[], &["25.12.2026".to_string()]).is_err());
        let written = office().written();
        assert_eq!(WeeklyHours::parse(&written, &["2026-12-25".into()]).unwrap(), office());
    }
}
