//! A patient's say in how DocSpot reaches them: which channels (each with when and how
//! they agreed or declined), the language of their texts, and quiet hours in the clinic's
//! zone when nothing but what cannot wait (their turn, a sign-in code) is sent. And the
//! words a text can be answered with to stop texts, or to start them again.

use crate::DomainError;
use jiff::civil::{DateTime, Time};
use serde::{Deserialize, Serialize};

/// A way to reach a patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Sms,
    Email,
    Whatsapp,
    Push,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Sms,
        Channel::Email,
        Channel::Whatsapp,
        Channel::Push,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Whatsapp => "whatsapp",
            Channel::Push => "push",
        }
    }

    pub fn parse(raw: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == raw)
    }

    /// Whether it is on for someone who never chose: texts, e-mail and push about their own
    /// visits are; WhatsApp needs their yes first.
    pub fn on_by_default(self) -> bool {
        self != Channel::Whatsapp
    }
}

/// The languages texts are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    English,
    #[serde(rename = "hi")]
    Hindi,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::Hindi];

    /// The BCP 47 tag: `en`, `hi`.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Hindi => "hi",
        }
    }

    /// Its own name for itself.
    pub fn name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::Hindi => "हिन्दी (Hindi)",
        }
    }

    pub fn parse(raw: &str) -> Result<Language, DomainError> {
        Language::ALL
            .into_iter()
            .find(|l| l.as_str() == raw.trim())
            .ok_or_else(|| DomainError::field("language", "Choose English (en) or Hindi (hi)."))
    }
}

/// A daily window, in the clinic's zone, when texts wait; it may run over midnight
/// (21:00 to 08:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Minutes after midnight.
    pub start: u16,
    pub end: u16,
}

fn minutes(raw: &str, field: &'static str) -> Result<u16, DomainError> {
    let bad = || DomainError::field(field, "Use a time like 21:00.");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 || raw.trim().len() > 5 {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn hh_mm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

impl QuietHours {
    /// From `HH:MM` times; both blank is none. Refused by field (`quiet_start`,
    /// `quiet_end`): one without the other, a time that does not read, or an empty window.
    pub fn parse(start: &str, end: &str) -> Result<Option<QuietHours>, DomainError> {
        match (start.trim().is_empty(), end.trim().is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => {
                return Err(DomainError::field(
                    "quiet_end",
                    "Give the time quiet hours end.",
                ));
            }
            (true, false) => {
                return Err(DomainError::field(
                    "quiet_start",
                    "Give the time quiet hours start.",
                ));
            }
            _ => {}
        }
        let q = QuietHours {
            start: minutes(start, "quiet_start")?,
            end: minutes(end, "quiet_end")?,
        };
        if q.start == q.end {
            return Err(DomainError::field(
                "quiet_end",
                "Quiet hours must end at another time than they start.",
            ));
        }
        Ok(Some(q))
    }

    /// From stored minutes; `None` where they do not make a window.
    pub fn from_minutes(start: Option<i32>, end: Option<i32>) -> Option<QuietHours> {
        let ok = |m: i32| u16::try_from(m).ok().filter(|m| *m < 24 * 60);
        let (start, end) = (ok(start?)?, ok(end?)?);
        (start != end).then_some(QuietHours { start, end })
    }

    pub fn start_str(&self) -> String {
        hh_mm(self.start)
    }

    pub fn end_str(&self) -> String {
        hh_mm(self.end)
    }

    /// Whether `t` falls inside (the start included, the end not).
    pub fn contains(&self, t: Time) -> bool {
        let m = (t.hour() as u16) * 60 + t.minute() as u16;
        if self.start < self.end {
            self.start <= m && m < self.end
        } else {
            m >= self.start || m < self.end
        }
    }

    /// When a text due at `at` may go: `None` if now, else the end of the quiet hours it
    /// falls in (the next day's when they run over midnight).
    pub fn wait_until(&self, at: DateTime) -> Option<DateTime> {
        if !self.contains(at.time()) {
            return None;
        }
        let end = at
            .date()
            .at((self.end / 60) as i8, (self.end % 60) as i8, 0, 0);
        if end > at {
            Some(end)
        } else {
            end.checked_add(jiff::Span::new().days(1)).ok()
        }
    }
}

/// What a text sent to DocSpot asks, by the words carriers and providers agree on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT: no more texts.
    Stop,
    /// START, UNSTOP, YES: texts again.
    Start,
}

impl Keyword {
    /// The keyword a whole text is, whatever its case and the spaces around it.
    pub fn read(text: &str) -> Option<Keyword> {
        match text.trim().to_uppercase().as_str() {
            "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Some(Keyword::Stop),
            "START" | "UNSTOP" | "YES" => Some(Keyword::Start),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    #[test]
    fn quiet_hours_read_by_field_and_run_over_midnight() {
        assert_eq!(QuietHours::parse("", " ").unwrap(), None);
        let q = QuietHours::parse("21:00", "08:00").unwrap().unwrap();
        assert_eq!(
            (q.start_str(), q.end_str()),
            ("21:00".into(), "08:00".into())
        );
        assert!(q.contains(time(21, 0, 0, 0)) && q.contains(time(3, 0, 0, 0)));
        assert!(!q.contains(time(8, 0, 0, 0)) && !q.contains(time(20, 59, 0, 0)));
        assert_eq!(
            q.wait_until(date(2026, 12, 7).at(22, 30, 0, 0)),
            Some(date(2026, 12, 8).at(8, 0, 0, 0))
        );
        assert_eq!(
            q.wait_until(date(2026, 12, 7).at(6, 0, 0, 0)),
            Some(date(2026, 12, 7).at(8, 0, 0, 0))
        );
        assert_eq!(q.wait_until(date(2026, 12, 7).at(12, 0, 0, 0)), None);
        let day = QuietHours::parse("13:00", "14:30").unwrap().unwrap();
        assert!(day.contains(time(13, 59, 0, 0)) && !day.contains(time(14, 30, 0, 0)));
        for (s, e, field) in [
            ("21:00", "", "quiet_end"),
            ("", "08:00", "quiet_start"),
            ("25:00", "08:00", "quiet_start"),
            ("21:00", "8", "quiet_end"),
            ("09:00", "09:00", "quiet_end"),
            ("21:00", "08:60", "quiet_end"),
        ] {
            assert_eq!(QuietHours::parse(s, e).unwrap_err().field, field, "{s}-{e}");
        }
        assert_eq!(QuietHours::from_minutes(Some(1260), Some(480)), Some(q));
        assert_eq!(QuietHours::from_minutes(Some(1260), None), None);
    }

    #[test]
    fn texts_that_stop_or_start_are_read_whole() {
        assert_eq!(Keyword::read(" stop "), Some(Keyword::Stop));
        assert_eq!(Keyword::read("Unsubscribe"), Some(Keyword::Stop));
        assert_eq!(Keyword::read("START"), Some(Keyword::Start));
        assert_eq!(Keyword::read("please stop"), None);
        assert_eq!(Keyword::read("ok"), None);
    }

    #[test]
    fn channels_and_languages_read_back() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert!(!Channel::Whatsapp.on_by_default() && Channel::Sms.on_by_default());
        assert_eq!(Language::parse("hi").unwrap(), Language::Hindi);
        assert_eq!(Language::parse("fr").unwrap_err().field, "language");
    }
}
