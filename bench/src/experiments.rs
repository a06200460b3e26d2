//! Extra measurements that say where the time goes (`--experiments`).

use crate::seed::Seeded;
use domain::{ClinicId, DoctorId};
use jiff::{Timestamp, civil::Date, tz::TimeZone};
use std::time::{Duration, Instant};
use store::Store;
use uuid::Uuid;

fn day_start(d: Date) -> Result<Timestamp, String> {
    d.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

/// Timings of the database reads of a slot search.
pub struct SearchReads {
    /// All of them: the clinic, then the doctor's rules and busy time in one query.
    pub all: Vec<Duration>,
    /// The busy-time read alone (the doctor's active appointments in the window).
    pub busy: Vec<Duration>,
    /// Appointments the busy-time read returns.
    pub busy_rows: usize,
}

/// The reads one slot search makes (the clinic; then the doctor's rules and their busy time
/// in one query), through the same store functions and a pool
/// like the server's, `count` times in a row: the database's share of a search. The
/// busy-time read is then timed alone.
pub async fn search_reads(
    store: &Store,
    seeded: &Seeded,
    doctor: Uuid,
    (from, to): (Date, Date),
    count: usize,
) -> Result<SearchReads, String> {
    let c = store.conn();
    let clinic = ClinicId::from_uuid(seeded.clinic_id);
    let doctor = DoctorId::from_uuid(doctor);
    let lo = day_start(from.yesterday().map_err(|e| e.to_string())?)?;
    let hi = day_start(
        to.checked_add(jiff::Span::new().days(2))
            .map_err(|e| e.to_string())?,
    )?;
    let e = |e: store::StoreError| e.to_string();
    let mut out = SearchReads {
        all: Vec::with_capacity(count),
        busy: Vec::with_capacity(count),
        busy_rows: 0,
    };
    for i in 0..count + 50 {
        let t0 = Instant::now();
        store::clinics::find(c, clinic).await.map_err(e)?;
        store::rules::doctor_rules_and_busy(c, clinic, doctor, (from, to), (lo, hi))
            .await
            .map_err(e)?;
        let all = t0.elapsed();
        let t1 = Instant::now();
        out.busy_rows = store::appointments::busy(c, doctor, lo, hi)
            .await
            .map_err(e)?
            .len();
        if i >= 50 {
            out.busy.push(t1.elapsed());
            out.all.push(all);
        }
    }
    Ok(out)
}
