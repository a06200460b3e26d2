//! What an appointment e-mail says about the visit: where and when in words, and the
//! calendar entry (RFC 5545) attached to confirmations and cancellations.

use super::notices::local_time;
use jiff::Timestamp;
use store::{appointments::Appointment, clinics::Clinic};

/// Where to go: the clinic's name, and its address when it has given one.
fn place(clinic: &Clinic) -> String {
    match clinic.details.address() {
        "" => clinic.name.clone(),
        address => format!("{}, {address}", clinic.name),
    }
}

/// The visit in words: when, with whom, where, the clinic's phone and the reference.
pub(super) fn details(clinic: &Clinic, a: &Appointment) -> String {
    let phone = clinic
        .details
        .phone()
        .map(|p| format!("Phone:     {}\n", p.as_str()))
        .unwrap_or_default();
    format!(
        "When:      {}\nDoctor:    {}\nVisit:     {}\nWhere:     {}\n{phone}Reference: {}\n",
        local_time(&clinic.time_zone, a.start),
        a.doctor_name,
        a.visit_type_name,
        place(clinic),
        a.ref_code
    )
}

fn ics_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds content lines at 75 octets, as RFC 5545 asks.
fn ics_fold(line: &str) -> String {
    let mut out = String::new();
    let mut used = 0;
    for ch in line.chars() {
        if used + ch.len_utf8() > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(ch);
        used += ch.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A calendar entry for `a`; `cancelled` withdraws it.
pub fn ics(clinic: &Clinic, a: &Appointment, now: Timestamp, cancelled: bool) -> String {
    let utc = |t: Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let (method, status, seq) = if cancelled {
        ("CANCEL", "CANCELLED", 1)
    } else {
        ("PUBLISH", "CONFIRMED", 0)
    };
    let geo = clinic
        .details
        .location()
        .map(|p| format!("GEO:{};{}", p.latitude_text(), p.longitude_text()));
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".into(),
        "PRODID:-//DocSpot//Appointments//EN".into(),
        format!("METHOD:{method}"),
        "BEGIN:VEVENT".into(),
        format!("UID:{}@docspot", a.id),
        format!("SEQUENCE:{seq}"),
        format!("DTSTAMP:{}", utc(now)),
        format!("DTSTART:{}", utc(a.start)),
        format!("DTEND:{}", utc(a.end)),
        format!(
            "SUMMARY:{}",
            ics_escape(&format!("{} with {}", a.visit_type_name, a.doctor_name))
        ),
        format!("LOCATION:{}", ics_escape(&place(clinic))),
    ]
    .into_iter()
    .chain(geo)
    .chain([
        format!(
            "DESCRIPTION:{}",
            ics_escape(&format!("Reference {}", a.ref_code))
        ),
        format!("STATUS:{status}"),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ]);
    lines.map(|l| ics_fold(&l)).collect()
}

#[cfg(test)]
mod tests {
    use super::ics_fold;

    #[test]
    fn long_calendar_lines_fold_at_75_octets() {
        let folded = ics_fold(&format!("SUMMARY:{}", "é".repeat(60)));
        for line in folded.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert_eq!(
            folded.replace("\r\n ", ""),
            format!("SUMMARY:{}\r\n", "é".repeat(60))
        );
    }
}
