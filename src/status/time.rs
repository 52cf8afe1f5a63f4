//! The times in a peering's stream status (RFC 3339, as Go writes `time.Time`) and how old they
//! are, read without a date-time crate: only UTC instants and whole seconds are needed.

/// Seconds since the Unix epoch of an RFC 3339 time such as `2026-12-03T21:50:12.5Z` or
/// `2026-12-03T22:50:12+01:00`; the fraction of a second is dropped. `None` when `text` is not
/// such a time.
pub fn unix_seconds(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(['T', 't'])?;
    let mut date = date.splitn(3, '-');
    let year: i64 = number(date.next()?, 4)?;
    let month: i64 = number(date.next()?, 2)?;
    let day: i64 = number(date.next()?, 2)?;
    let offset_at = rest.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = rest.split_at(offset_at);
    let clock = clock.split_once('.').map_or(clock, |(whole, fraction)| {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            ""
        } else {
            whole
        }
    });
    let mut clock = clock.splitn(3, ':');
    let hour: i64 = number(clock.next()?, 2)?;
    let minute: i64 = number(clock.next()?, 2)?;
    let second: i64 = number(clock.next()?, 2)?;
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':')?;
            sign * (number(h, 2)? * 3600 + number(m, 2)? * 60)
        }
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second <= 60;
    valid.then(|| {
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    })
}

/// `text` as a number of exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A duration as people read it at a glance: `4s`, `2m10s`, `3h05m`, `2d03h`.
pub fn short(seconds: u64) -> String {
    let (minutes, s) = (seconds / 60, seconds % 60);
    let (hours, m) = (minutes / 60, minutes % 60);
    let (days, h) = (hours / 24, hours % 24);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m{s:02}s"),
        (0, _, _) => format!("{h}h{m:02}m"),
        _ => format!("{days}d{h:02}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_with_and_without_fractions() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            unix_seconds("2026-12-03T21:50:12.123456789Z"),
            unix_seconds("2026-12-03T21:50:12Z")
        );
        assert_eq!(unix_seconds("2026-12-03T21:50:12Z"), Some(1_796_334_612));
    }

    #[test]
    fn offsets_are_taken_away() {
        assert_eq!(
            unix_seconds("2026-12-03T22:50:12+01:00"),
            unix_seconds("2026-12-03T21:50:12Z")
        );
        assert_eq!(
            unix_seconds("2026-12-03T16:20:12.5-05:30"),
            unix_seconds("2026-12-03T21:50:12Z")
        );
    }

    #[test]
    fn what_is_not_a_time_is_none() {
        for text in [
            "",
            "yesterday",
            "2026-12-03",
            "2026-13-03T00:00:00Z",
            "2026-12-03T00:00:00",
            "2026-12-03T00:00:00.Z",
            "2026-12-03T0:00:00Z",
        ] {
            assert_eq!(unix_seconds(text), None, "{text}");
        }
    }

    #[test]
    fn short_durations() {
        assert_eq!(short(0), "0s");
        assert_eq!(short(59), "59s");
        assert_eq!(short(130), "2m10s");
        assert_eq!(short(3 * 3600 + 5 * 60 + 9), "3h05m");
        assert_eq!(short(2 * 86_400 + 3 * 3600), "2d03h");
    }
}
