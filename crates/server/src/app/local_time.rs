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
    local_text(zone, t).into()
}

/// An instant as RFC 3339 UTC, as `Timestamp`'s `Display` writes it: `2026-11-23T03:30:00Z`.
pub fn utc_rfc3339(t: jiff::Timestamp) -> String {
    utc_text(t).into()
}

/// [`local_rfc3339`] without allocating for the common shapes.
pub fn local_text(zone: &TimeZone, t: jiff::Timestamp) -> InstantText {
    match Rfc3339::write(t, zone.to_offset(t), false) {
        Some(s) => InstantText::Short(s),
        None => InstantText::Long(
            t.to_zoned(zone.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        ),
    }
}

/// [`utc_rfc3339`] without allocating for the common shapes.
pub fn utc_text(t: jiff::Timestamp) -> InstantText {
    let short = (t.subsec_nanosecond() == 0)
        .then(|| Rfc3339::write(t, jiff::tz::Offset::UTC, true))
        .flatten();
    match short {
        Some(s) => InstantText::Short(s),
        None => InstantText::Long(t.to_string()),
    }
}

/// RFC 3339 text of an instant: on the stack when written by hand, else jiff's own.
pub enum InstantText {
    Short(Rfc3339),
    Long(String),
}

impl InstantText {
    pub fn as_str(&self) -> &str {
        match self {
            InstantText::Short(s) => s.as_str(),
            InstantText::Long(s) => s,
        }
    }
}

impl From<InstantText> for String {
    fn from(t: InstantText) -> String {
        match t {
            InstantText::Short(s) => s.as_str().to_owned(),
            InstantText::Long(s) => s,
        }
    }
}

/// At most `YYYY-MM-DDTHH:MM:SS+HH:MM`, written by hand: a slot search writes four of these
/// per slot, and this is many times cheaper than `strftime` or `Display`.
pub struct Rfc3339 {
    buf: [u8; 25],
    len: u8,
}

impl Rfc3339 {
    /// `t` in `offset` (`Z` for `zulu`), whole seconds only. `None` for shapes left to jiff:
    /// offsets with seconds, years outside 0..=9999.
    fn write(t: jiff::Timestamp, offset: jiff::tz::Offset, zulu: bool) -> Option<Rfc3339> {
        let secs = offset.seconds();
        let dt = offset.to_datetime(t);
        if secs % 60 != 0 || !(0..=9999).contains(&dt.year()) {
            return None;
        }
        let mut out = Rfc3339 {
            buf: [0; 25],
            len: 0,
        };
        out.two(None, i32::from(dt.year()) / 100);
        out.two(None, i32::from(dt.year()) % 100);
        out.two(Some(b'-'), dt.month().into());
        out.two(Some(b'-'), dt.day().into());
        out.two(Some(b'T'), dt.hour().into());
        out.two(Some(b':'), dt.minute().into());
        out.two(Some(b':'), dt.second().into());
        if zulu {
            out.push(b'Z');
        } else {
            let (sign, abs) = if secs < 0 {
                (b'-', -secs)
            } else {
                (b'+', secs)
            };
            out.two(Some(sign), abs / 3600);
            out.two(Some(b':'), abs / 60 % 60);
        }
        Some(out)
    }

    fn push(&mut self, b: u8) {
        self.buf[usize::from(self.len)] = b;
        self.len += 1;
    }

    /// Two digits of `n` (0..=99), after `sep`.
    fn two(&mut self, sep: Option<u8>, n: i32) {
        if let Some(c) = sep {
            self.push(c);
        }
        self.push(b'0' + (n / 10 % 10) as u8);
        self.push(b'0' + (n % 10) as u8);
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and separators are ever written.
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
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
