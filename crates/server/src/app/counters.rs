//! Business counters on `/metrics`: what the clinics did, by kind. Counted after the
//! change is committed, so a refused or failed write counts nothing.

use domain::{AppointmentStatus, Source};

/// An appointment booked (online, at the desk, by phone).
pub fn booked(source: Source) {
    metrics::counter!("docspot_appointments_booked_total", "source" => source.as_str())
        .increment(1);
}

/// An appointment moved to another time.
pub fn rescheduled() {
    metrics::counter!("docspot_appointments_rescheduled_total").increment(1);
}

/// An appointment cancelled, by the patient or by staff (also after the cutoff).
pub fn cancelled(by_staff: bool) {
    let by = if by_staff { "staff" } else { "patient" };
    metrics::counter!("docspot_appointments_cancelled_total", "by" => by).increment(1);
}

/// A staff status move (approved → booked, arrived, no-show, fulfilled).
pub fn moved(to: AppointmentStatus) {
    metrics::counter!("docspot_appointment_moves_total", "to" => to.as_str()).increment(1);
}

/// A queue token issued: to a walk-in, or to a booked patient checking in.
pub fn token_issued(booked: bool) {
    let kind = if booked { "check_in" } else { "walk_in" };
    metrics::counter!("docspot_tokens_issued_total", "kind" => kind).increment(1);
}
