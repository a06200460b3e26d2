//! Seeds one bench clinic straight into the database with multi-row INSERTs in a few big
//! transactions: doctors with weekly hours, patients, and a large appointment history.
//!
//! Layout: every doctor works 08:00–20:00 UTC every day; the clinic-wide visit type lasts
//! 15 min plus a 5 min buffer, so each day has [`SLOTS_PER_DAY`] grid slots of 20 min.
//! Seeded appointments take the even grid slots, past days first and then future ones;
//! the odd slots stay free for the booking run.

use crate::bulk::{MAX_PARAMS, insert_many};
use jiff::{Timestamp, civil::Date, tz::TimeZone};
use sea_orm::{ConnectionTrait, DbBackend, Value};
use std::time::{Duration, Instant};
use store::Store;
use uuid::Uuid;

/// First grid slot of the day, minutes after midnight (UTC).
const DAY_START_MIN: i64 = 8 * 60;
/// End of the doctors' day.
const DAY_END_MIN: i64 = 20 * 60;
const DURATION_MIN: i64 = 15;
const BUFFER_AFTER_MIN: i64 = 5;
const STEP_MIN: i64 = DURATION_MIN + BUFFER_AFTER_MIN;
/// Grid slots per doctor and day.
pub const SLOTS_PER_DAY: i64 = (DAY_END_MIN - DAY_START_MIN) / STEP_MIN;
/// Seeded appointments per doctor and day (the even slots).
const SEEDED_PER_DAY: i64 = SLOTS_PER_DAY / 2;
const DAY_MS: i64 = 86_400_000;
const MIN_MS: i64 = 60_000;
/// Rows per transaction while seeding appointments.
const ROWS_PER_TX: u64 = 100_000;

/// What was seeded, and where the free slots are.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub clinic_id: Uuid,
    pub visit_type_id: Uuid,
    pub doctors: Vec<Uuid>,
    /// Midnight UTC of the day the seed ran.
    pub today: Date,
    pub appointments: u64,
    pub patients: u64,
    pub past_days: i64,
    pub future_days: i64,
    pub elapsed: Duration,
}

impl Seeded {
    /// The start of grid slot `slot` on the day `day` days after `today`, in epoch ms.
    pub fn slot_start_ms(&self, day: i64, slot: i64) -> i64 {
        midnight_ms(self.today) + day * DAY_MS + (DAY_START_MIN + slot * STEP_MIN) * MIN_MS
    }
}

fn midnight_ms(d: Date) -> i64 {
    d.to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0)
}

/// The current instant; the bench runs against the real clock like the server does.
#[allow(clippy::disallowed_methods)]
pub fn wall_now() -> Timestamp {
    Timestamp::now()
}

/// A well-mixed hash of `n` (SplitMix64), for statuses and patients that do not follow the
/// grid's strides.
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A unique 7-character reference code: `n` in base 25 over the code alphabet. Server codes
/// carry a dash (`ABC-DEF`), so these never collide with them.
fn ref_code(mut n: u64) -> String {
    const ALPHABET: &[u8] = b"34679ACDEFGHJKMNPQRTUVWXY";
    let mut out = [b'3'; 7];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 25) as usize];
        n /= 25;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Seeds a fresh bench clinic with `doctors` doctors and `appointments` appointments, and
/// creates the scratch tables `bench_commits` and `bench_hot`.
pub async fn seed(store: &Store, doctors: usize, appointments: u64) -> Result<Seeded, String> {
    let started = Instant::now();
    let now = wall_now();
    let now_ms = now.as_millisecond();
    let today = now.to_zoned(TimeZone::UTC).date();
    let tag = now_ms.to_string();
    let clinic_id = Uuid::now_v7();
    let visit_type_id = Uuid::now_v7();

    // The clinic, its policy (no notice, a year ahead) and one clinic-wide visit type.
    let tx = store.write().await.map_err(|e| e.to_string())?;
    insert_many(
        &tx,
        "INSERT INTO clinics (id, slug, name, time_zone, currency, created_at)",
        6,
        vec![
            clinic_id.into(),
            format!("bench-{tag}").into(),
            "Bench Clinic".into(),
            "UTC".into(),
            "USD".into(),
            now_ms.into(),
        ],
    )
    .await?;
    insert_many(
        &tx,
        "INSERT INTO booking_policies (clinic_id, min_notice_min, horizon_days, cancel_cutoff_min, \
         daily_cap, require_approval, updated_at)",
        7,
        vec![
            clinic_id.into(),
            0i32.into(),
            365i32.into(),
            0i32.into(),
            Option::<i32>::None.into(),
            false.into(),
            now_ms.into(),
        ],
    )
    .await?;
    insert_many(
        &tx,
        "INSERT INTO visit_types (id, clinic_id, doctor_id, name, duration_min, buffer_before_min, \
         buffer_after_min, price_minor, mode, is_active, created_at)",
        11,
        vec![
            visit_type_id.into(),
            clinic_id.into(),
            Option::<Uuid>::None.into(),
            "Consultation".into(),
            (DURATION_MIN as i32).into(),
            0i32.into(),
            (BUFFER_AFTER_MIN as i32).into(),
            5000i64.into(),
            "in_person".into(),
            true.into(),
            now_ms.into(),
        ],
    )
    .await?;

    // Doctors: a user, a membership, the doctor row and seven weekly-hours rows each.
    let doctor_ids: Vec<Uuid> = (0..doctors).map(|_| Uuid::now_v7()).collect();
    let (mut users, mut members, mut docs, mut hours) = (vec![], vec![], vec![], vec![]);
    for (i, &id) in doctor_ids.iter().enumerate() {
        let user = Uuid::now_v7();
        let name = format!("Dr Bench {i:04}");
        users.extend([
            user.into(),
            format!("doctor{i}-{tag}@bench.example.com").into(),
            name.clone().into(),
            Option::<String>::None.into(),
            false.into(),
            false.into(),
            true.into(),
            now_ms.into(),
        ]);
        members.extend([
            Uuid::now_v7().into(),
            clinic_id.into(),
            user.into(),
            "doctor".into(),
            true.into(),
            now_ms.into(),
        ]);
        docs.extend([
            id.into(),
            clinic_id.into(),
            user.into(),
            "approved".into(),
            name.into(),
            "MBBS".into(),
            r#"["English"]"#.into(),
            format!("REG-{i:06}").into(),
            5000i64.into(),
            "".into(),
            Option::<String>::None.into(),
            now_ms.into(),
            now_ms.into(),
        ]);
        for weekday in 1..=7i32 {
            hours.extend([
                Uuid::now_v7().into(),
                clinic_id.into(),
                id.into(),
                weekday.into(),
                (DAY_START_MIN as i32).into(),
                (DAY_END_MIN as i32).into(),
                "[]".into(),
                Option::<String>::None.into(),
                Option::<String>::None.into(),
            ]);
        }
    }
    insert_many(
        &tx,
        "INSERT INTO users (id, email, name, password_hash, is_platform_admin, is_patient, is_active, created_at)",
        8,
        users,
    )
    .await?;
    insert_many(
        &tx,
        "INSERT INTO memberships (id, clinic_id, user_id, role, is_active, created_at)",
        6,
        members,
    )
    .await?;
    insert_many(
        &tx,
        "INSERT INTO doctors (id, clinic_id, user_id, status, name, qualifications, languages, \
         registration_number, fee_minor, bio, decision_reason, created_at, updated_at)",
        13,
        docs,
    )
    .await?;
    insert_many(
        &tx,
        "INSERT INTO weekly_hours (id, clinic_id, doctor_id, weekday, start_min, end_min, visit_types, \
         valid_from, valid_to)",
        9,
        hours,
    )
    .await?;

    // Patients without accounts, one per 20 appointments (at least 1000, and one per doctor).
    let patients = (appointments / 20).max(1000).max(doctors as u64);
    let patient_ids: Vec<Uuid> = (0..patients).map(|_| Uuid::now_v7()).collect();
    let mut rows = Vec::with_capacity(patient_ids.len() * 10);
    for (i, &id) in patient_ids.iter().enumerate() {
        let name = format!("Patient {i:07}");
        rows.extend([
            id.into(),
            clinic_id.into(),
            Option::<Uuid>::None.into(),
            format!("B{i:07}").into(),
            name.to_lowercase().into(),
            name.into(),
            format!("+1555{i:07}").into(),
            Option::<String>::None.into(),
            now_ms.into(),
            now_ms.into(),
        ]);
    }
    insert_many(
        &tx,
        "INSERT INTO patients (id, clinic_id, user_id, mrn, name_key, name, phone, email, created_at, updated_at)",
        10,
        rows,
    )
    .await?;
    tx.execute_unprepared(
        "CREATE TABLE bench_commits (id BIGINT PRIMARY KEY, at BIGINT NOT NULL); \
         CREATE TABLE bench_hot (id BIGINT PRIMARY KEY, n BIGINT NOT NULL, at BIGINT NOT NULL); \
         INSERT INTO bench_hot (id, n, at) VALUES (1, 0, 0)",
    )
    .await
    .map_err(|e| format!("bench tables: {e}"))?;
    store::commit(tx).await.map_err(|e| e.to_string())?;

    // Appointments on the even grid slots, day by day (time-major, like real history).
    let per_doctor = appointments.div_ceil(doctors as u64);
    let days = per_doctor.div_ceil(SEEDED_PER_DAY as u64).max(1) as i64;
    // Enough future days to cover a 30-day search where possible; two thirds past at scale.
    let future_days = days.min((days / 3).max(31));
    let past_days = days - future_days;
    let day_list: Vec<i64> = (-past_days..0).chain(1..=future_days).collect();
    let seeded = Seeded {
        clinic_id,
        visit_type_id,
        doctors: doctor_ids,
        today,
        appointments,
        patients,
        past_days,
        future_days,
        elapsed: Duration::ZERO,
    };
    let local_dates: Vec<String> = day_list
        .iter()
        .map(|&d| {
            today
                .checked_add(jiff::Span::new().days(d))
                .map(|x| x.to_string())
                .unwrap_or_default()
        })
        .collect();
    const COLS: usize = 21;
    let head = "INSERT INTO appointments (id, clinic_id, doctor_id, patient_id, visit_type_id, start_at, \
                end_at, block_start, block_end, local_date, status, source, reason, ref_code, \
                rescheduled_from, rescheduled_to, cancel_reason, created_by, created_at, updated_at, version)";
    let rows_per_stmt = MAX_PARAMS / COLS;
    let mut n: u64 = 0;
    let mut tx = store.write().await.map_err(|e| e.to_string())?;
    let mut batch: Vec<Value> = Vec::with_capacity(rows_per_stmt * COLS);
    'fill: for (pos, (&day, date)) in day_list
        .iter()
        .zip(&local_dates)
        .flat_map(|d| std::iter::repeat_n(d, SEEDED_PER_DAY as usize))
        .enumerate()
    {
        let slot = 2 * (pos as i64 % SEEDED_PER_DAY);
        let start = seeded.slot_start_ms(day, slot);
        // Each doctor's patient at this time is another one (the database refuses a patient
        // two visits at once), from a well-mixed offset.
        let first_patient = splitmix64(pos as u64);
        for (d, &doctor) in seeded.doctors.iter().enumerate() {
            if n >= appointments {
                break 'fill;
            }
            let mix = splitmix64(n);
            let h = mix % 100;
            let (status, reason) = match (day < 0, h) {
                (_, 0..5) => ("cancelled", Some("Patient asked")),
                (true, 5..10) => ("noshow", None),
                (true, _) => ("fulfilled", None),
                (false, _) => ("booked", None),
            };
            let patient = patient_ids[(first_patient.wrapping_add(d as u64) % patients) as usize];
            batch.extend([
                Uuid::now_v7().into(),
                clinic_id.into(),
                doctor.into(),
                patient.into(),
                visit_type_id.into(),
                start.into(),
                (start + DURATION_MIN * MIN_MS).into(),
                start.into(),
                (start + STEP_MIN * MIN_MS).into(),
                date.as_str().into(),
                status.into(),
                if (mix >> 16).is_multiple_of(3) {
                    "desk"
                } else {
                    "online"
                }
                .into(),
                "".into(),
                ref_code(n).into(),
                Option::<Uuid>::None.into(),
                Option::<Uuid>::None.into(),
                reason.map(str::to_owned).into(),
                Option::<Uuid>::None.into(),
                (start - 14 * DAY_MS).min(now_ms).into(),
                (start - 14 * DAY_MS).min(now_ms).into(),
                1i32.into(),
            ]);
            n += 1;
            if batch.len() >= rows_per_stmt * COLS {
                insert_many(&tx, head, COLS, std::mem::take(&mut batch)).await?;
                if n % ROWS_PER_TX < rows_per_stmt as u64 {
                    store::commit(tx).await.map_err(|e| e.to_string())?;
                    eprintln!(
                        "  seeded {n} appointments ({:.0} s)",
                        started.elapsed().as_secs_f64()
                    );
                    tx = store.write().await.map_err(|e| e.to_string())?;
                }
            }
        }
    }
    insert_many(&tx, head, COLS, batch).await?;
    store::commit(tx).await.map_err(|e| e.to_string())?;
    if store.backend() == DbBackend::Postgres {
        // Autovacuum would have analysed a table this size in production; do it now.
        store
            .execute_unprepared("VACUUM (ANALYZE) appointments")
            .await
            .map_err(|e| format!("VACUUM: {e}"))?;
        store
            .execute_unprepared("ANALYZE")
            .await
            .map_err(|e| format!("ANALYZE: {e}"))?;
    }
    Ok(Seeded {
        appointments: n,
        elapsed: started.elapsed(),
        ..seeded
    })
}
