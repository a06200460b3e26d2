//! Local dates and times as the clinic reads and types them: its zone, RFC 3339 text,
//! `YYYY-MM-DD` dates and `HH:MM` times of day.

use domain::schedule::LocalWindow;
use jiff::{
    civil::{Date, Time},
    tz::TimeZone,
};
use store::clinics::Clinic;

/// A clinic's zone; a stored zone the build does not know falls back to UTC, loudly.
pub fn zone_of(clinic: &Clinic) -> TimeZone {
    zone_named(&clinic.time_zone)
}

/// The clinic's local date at `t` (today, with `now`).
pub fn date_of(clinic: &Clinic, t: jiff::Timestamp) -> Date {
    t.to_zoned(zone_of(clinic)).date()
}

/// A zone by IANA name; a stored name this build does not know falls back to UTC, loudly.
pub fn zone_named(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or_else(|e| {
        tracing::error!(zone = %name, error = %e, "unknown time zone");
        TimeZone::UTC
    })
}

/// An instant as RFC 3339 local time with offset, e.g. `2026-11-23T09:00:00+05:30`.
pub fn local_rfc3339(zone: &TimeZone, t: jiff::Timestamp) -> String {
    rfc3339(t, zone.to_offset(t), false).unwrap_or_else(|| {
        t.to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    })
}

/// An instant as RFC 3339 UTC, as `Timestamp`'s `Display` writes it: `2026-11-23T03:30:00Z`.
pub fn utc_rfc3339(t: jiff::Timestamp) -> String {
    if t.subsec_nanosecond() != 0 {
        return t.to_string();
    }
    rfc3339(t, jiff::tz::Offset::UTC, true).unwrap_or_else(|| t.to_string())
}

/// Writes `t` in `offset` by hand (`Z` for `zulu`), whole seconds only: a slot search
/// formats four of these per slot, and this is many times cheaper than `strftime` or
/// `Display`. `None` for shapes left to jiff: offsets with seconds, years outside 0..=9999.
fn rfc3339(t: jiff::Timestamp, offset: jiff::tz::Offset, zulu: bool) -> Option<String> {
    let secs = offset.seconds();
    let dt = offset.to_datetime(t);
    if secs % 60 != 0 || !(0..=9999).contains(&dt.year()) {
        return None;
    }
    let mut out = String::with_capacity(25);
    let mut two = |sep: Option<char>, n: i32| {
        if let Some(c) = sep {
            out.push(c);
        }
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    two(None, i32::from(dt.year()) / 100);
    two(None, i32::from(dt.year()) % 100);
    two(Some('-'), dt.month().into());
    two(Some('-'), dt.day().into());
    two(Some('T'), dt.hour().into());
    two(Some(':'), dt.minute().into());
    two(Some(':'), dt.second().into());
    if zulu {
        out.push('Z');
    } else {
        let (sign, abs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
        two(Some(sign), abs / 3600);
        two(Some(':'), abs / 60 % 60);
    }
    Some(out)
}

/// A `YYYY-MM-DD` date typed into `field`.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Date, domain::DomainError> {
    raw.trim()
        .parse::<Date>()
        .map_err(|_| domain::DomainError::field(field, "must be a date like 2026-12-31"))
}

/// `HH:MM` as minutes after midnight; `24:00` is allowed as an end.
pub(super) fn parse_minutes(field: &'static str, raw: &str) -> Result<i32, domain::DomainError> {
    let bad = || domain::DomainError::field(field, "must be a time like 09:30");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=24).contains(&h)
        || !(0..60).contains(&m)
        || (h == 24 && m != 0)
        || h.to_string().len() > 2
    {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn hhmm(min: i32) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// A stored window (minutes after midnight; 1440 is midnight) as local times.
pub(super) fn window(start_min: i32, end_min: i32) -> LocalWindow {
    let t = |m: i32| Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).unwrap_or(Time::midnight());
    LocalWindow {
        start: t(start_min),
        end: (end_min < 1440).then(|| t(end_min)),
    }
}

#[cfg(test)]
mod tests {
    use super::{local_rfc3339, utc_rfc3339};
    use jiff::{Timestamp, tz::TimeZone};

    #[test]
    fn local_times_read_as_strftime_writes_them() {
        let zones = [
            "UTC",
            "Asia/Kolkata",
            "America/St_Johns",
            "America/New_York",
            "Europe/London",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
            "Africa/Monrovia",
        ];
        let instants = [
            "1972-01-01T00:00:00Z",
            "2026-03-08T06:59:59Z",
            "2026-03-08T07:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-10-25T00:59:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-23T09:00:00Z",
            "2099-12-31T23:59:59Z",
            "2026-11-23T09:00:00.5Z",
            "-000001-06-01T00:00:00Z",
        ];
        for name in zones {
            let zone = TimeZone::get(name).unwrap();
            for t in instants {
                let t: Timestamp = t.parse().unwrap();
                let expected = t
                    .to_zoned(zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string();
                assert_eq!(local_rfc3339(&zone, t), expected, "{name} at {t}");
                assert_eq!(utc_rfc3339(t), t.to_string(), "{t}");
            }
        }
    }
}
