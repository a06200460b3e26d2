//! Queue tokens: a patient's place in one doctor's queue on one local day.

use crate::{
    StoreResult, all_as, appointments::parse, exec, get, ms, one, one_as, patients::next_counter,
    ts,
};
use domain::{
    AppointmentId, ClinicId, DoctorId, PatientId, TokenId, UserId,
    queue::{Priority, TokenStatus},
};
use jiff::{SignedDuration, Timestamp};
use sea_orm::{ConnectionTrait, QueryResult};

/// A token, with the names the desk and the doctor see.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Token {
    pub id: TokenId,
    pub clinic_id: ClinicId,
    pub doctor_id: DoctorId,
    pub doctor_name: String,
    /// The clinic's local date, `YYYY-MM-DD`.
    pub local_date: String,
    /// 1, 2, 3, … per doctor per day.
    pub number: i32,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub patient_mrn: String,
    pub appointment_id: Option<AppointmentId>,
    /// The booked slot's start, for a patient who checked in for an appointment.
    pub slot_start: Option<Timestamp>,
    pub priority: Priority,
    pub status: TokenStatus,
    pub arrived_at: Timestamp,
    pub requeued_at: Option<Timestamp>,
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    /// The token that replaced this one in another doctor's queue.
    pub transferred_to: Option<TokenId>,
    pub version: i32,
}

impl Token {
    /// What `domain::queue::call_order` needs.
    pub fn waiting(&self) -> domain::queue::Waiting {
        domain::queue::Waiting {
            number: self.number.max(0) as u32,
            arrived_at: self.arrived_at,
            slot_start: self.slot_start,
            priority: self.priority,
            requeued_at: self.requeued_at,
        }
    }
}

/// A token to issue; the number is drawn when it is inserted.
pub struct NewToken<'a> {
    pub clinic_id: ClinicId,
    pub doctor_id: DoctorId,
    pub local_date: &'a str,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    pub slot_start: Option<Timestamp>,
    pub priority: Priority,
    pub arrival: Arrival,
    pub created_by: UserId,
}

/// When a new token's holder arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// Just now, as read by the caller. The stamp is taken in the transaction that draws
    /// the number, no earlier than any arrival of the doctor's day, so that clocks read
    /// out of order (concurrent requests, a clock stepped back) never put a later number
    /// ahead of an earlier one.
    Now(Timestamp),
    /// A transferred token keeps its holder's original arrival (and place by time).
    Kept(Timestamp),
}

const SELECT: &str = "SELECT t.id, t.clinic_id, t.doctor_id, t.local_date, t.number, t.patient_id, \
    t.appointment_id, t.slot_start, t.priority, t.status, t.arrived_at, t.requeued_at, \
    t.called_at, t.started_at, t.ended_at, t.transferred_to, t.version, \
    d.name AS doctor_name, p.name AS patient_name, p.mrn AS patient_mrn \
    FROM queue_tokens t JOIN doctors d ON d.id = t.doctor_id JOIN patients p ON p.id = t.patient_id";

fn opt_ts(r: &QueryResult, col: &str) -> StoreResult<Option<Timestamp>> {
    get::<Option<i64>>(r, col)?.map(ts).transpose()
}

fn row(r: &QueryResult) -> StoreResult<Token> {
    Ok(Token {
        id: TokenId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        doctor_id: DoctorId::from_uuid(get(r, "doctor_id")?),
        doctor_name: get(r, "doctor_name")?,
        local_date: get(r, "local_date")?,
        number: get(r, "number")?,
        patient_id: PatientId::from_uuid(get(r, "patient_id")?),
        patient_name: get(r, "patient_name")?,
        patient_mrn: get(r, "patient_mrn")?,
        appointment_id: get::<Option<uuid::Uuid>>(r, "appointment_id")?
            .map(AppointmentId::from_uuid),
        slot_start: opt_ts(r, "slot_start")?,
        priority: parse(r, "priority")?,
        status: parse(r, "status")?,
        arrived_at: ts(get(r, "arrived_at")?)?,
        requeued_at: opt_ts(r, "requeued_at")?,
        called_at: opt_ts(r, "called_at")?,
        started_at: opt_ts(r, "started_at")?,
        ended_at: opt_ts(r, "ended_at")?,
        transferred_to: get::<Option<uuid::Uuid>>(r, "transferred_to")?.map(TokenId::from_uuid),
        version: get(r, "version")?,
    })
}

/// Issues the doctor's next number for the day. The counter row serialises concurrent
/// issuers and rolls back with a failed transaction, so numbers have no gaps.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    new: &NewToken<'_>,
    now: Timestamp,
) -> StoreResult<TokenId> {
    let counter = format!("token:{}:{}", new.doctor_id, new.local_date);
    let number = next_counter(c, new.clinic_id, &counter).await?;
    let arrived_at = match new.arrival {
        Arrival::Kept(at) => at,
        // The counter row is locked until commit, so this reads every earlier number.
        Arrival::Now(at) => one(
            c,
            "SELECT MAX(arrived_at) AS latest FROM queue_tokens \
             WHERE clinic_id = $1 AND doctor_id = $2 AND local_date = $3",
            vec![
                new.clinic_id.as_uuid().into(),
                new.doctor_id.as_uuid().into(),
                new.local_date.into(),
            ],
        )
        .await?
        .map(|r| get::<Option<i64>>(&r, "latest"))
        .transpose()?
        .flatten()
        .map_or(Ok(at), ts)?
        .max(at),
    };
    let id = TokenId::new();
    exec(
        c,
        "INSERT INTO queue_tokens (id, clinic_id, doctor_id, local_date, number, patient_id, \
         appointment_id, slot_start, priority, status, arrived_at, created_by, created_at, \
         updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10, $11, $12, $12, 1)",
        vec![
            id.as_uuid().into(),
            new.clinic_id.as_uuid().into(),
            new.doctor_id.as_uuid().into(),
            new.local_date.into(),
            (number as i32).into(),
            new.patient_id.as_uuid().into(),
            new.appointment_id.map(|a| a.as_uuid()).into(),
            new.slot_start.map(ms).into(),
            new.priority.as_str().into(),
            ms(arrived_at).into(),
            new.created_by.as_uuid().into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(id)
}

/// One token of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: TokenId,
) -> StoreResult<Option<Token>> {
    one_as(
        c,
        &format!("{SELECT} WHERE t.clinic_id = $1 AND t.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        row,
    )
    .await
}

/// A token by id alone, for the patient's status link (which proves itself).
pub async fn find_any<C: ConnectionTrait>(c: &C, id: TokenId) -> StoreResult<Option<Token>> {
    one_as(
        c,
        &format!("{SELECT} WHERE t.id = $1"),
        vec![id.as_uuid().into()],
        row,
    )
    .await
}

/// The clinic's tokens on a local day, optionally for one doctor, by doctor and number.
pub async fn day<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    local_date: &str,
    doctor: Option<DoctorId>,
) -> StoreResult<Vec<Token>> {
    let mut values = vec![clinic.as_uuid().into(), local_date.into()];
    let mut sql = format!("{SELECT} WHERE t.clinic_id = $1 AND t.local_date = $2");
    if let Some(d) = doctor {
        sql.push_str(" AND t.doctor_id = $3");
        values.push(d.as_uuid().into());
    }
    sql.push_str(" ORDER BY d.name, t.doctor_id, t.number");
    all_as(c, &sql, values, row).await
}

/// The patient's tokens of a local day.
pub async fn of_patient<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    patient: PatientId,
    local_date: &str,
) -> StoreResult<Vec<Token>> {
    all_as(
        c,
        &format!(
            "{SELECT} WHERE t.clinic_id = $1 AND t.patient_id = $2 AND t.local_date = $3 \
             ORDER BY t.number"
        ),
        vec![
            clinic.as_uuid().into(),
            patient.as_uuid().into(),
            local_date.into(),
        ],
        row,
    )
    .await
}

/// The live token of an appointment (not one moved to another queue), if any.
pub async fn of_appointment<C: ConnectionTrait>(
    c: &C,
    appointment: AppointmentId,
) -> StoreResult<Option<Token>> {
    one_as(
        c,
        &format!("{SELECT} WHERE t.appointment_id = $1 AND t.status <> 'transferred'"),
        vec![appointment.as_uuid().into()],
        row,
    )
    .await
}

/// What a move writes besides the status: each given instant replaces the stored one.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stamps {
    pub called_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    pub requeued_at: Option<Timestamp>,
    pub transferred_to: Option<TokenId>,
}

/// Moves a token still at `version` to `status`; false when someone moved it first.
pub async fn set_status<C: ConnectionTrait>(
    c: &C,
    id: TokenId,
    version: i32,
    status: TokenStatus,
    stamps: Stamps,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE queue_tokens SET status = $1, called_at = COALESCE($2, called_at), \
         started_at = COALESCE($3, started_at), ended_at = COALESCE($4, ended_at), \
         requeued_at = COALESCE($5, requeued_at), transferred_to = COALESCE($6, transferred_to), \
         updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9",
        vec![
            status.as_str().into(),
            stamps.called_at.map(ms).into(),
            stamps.started_at.map(ms).into(),
            stamps.ended_at.map(ms).into(),
            stamps.requeued_at.map(ms).into(),
            stamps.transferred_to.map(|t| t.as_uuid()).into(),
            ms(now).into(),
            id.as_uuid().into(),
            version.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The doctor's last `limit` consultation lengths, oldest first.
pub async fn recent_durations<C: ConnectionTrait>(
    c: &C,
    doctor: DoctorId,
    limit: u64,
) -> StoreResult<Vec<SignedDuration>> {
    let mut list = all_as(
        c,
        "SELECT started_at, ended_at FROM queue_tokens WHERE doctor_id = $1 \
         AND ended_at IS NOT NULL AND started_at IS NOT NULL ORDER BY ended_at DESC LIMIT $2",
        vec![doctor.as_uuid().into(), (limit as i64).into()],
        |r| {
            let (s, e): (i64, i64) = (get(r, "started_at")?, get(r, "ended_at")?);
            Ok(SignedDuration::from_millis(e - s))
        },
    )
    .await?;
    list.reverse();
    Ok(list)
}

/// The PostgreSQL channel that carries queue changes between instances.
const CHANNEL: &str = "docspot_queue";

/// On PostgreSQL, tells every instance's listener that `clinic`'s queue changed; the
/// notice goes out when the transaction commits, and not at all if it rolls back. SQLite
/// serves one process, which tells its own boards directly.
pub async fn announce<C: ConnectionTrait>(c: &C, clinic: ClinicId) -> StoreResult<()> {
    if c.get_database_backend() == sea_orm::DbBackend::Postgres {
        crate::one(
            c,
            &format!("SELECT pg_notify('{CHANNEL}', $1) AS sent"),
            vec![clinic.to_string().into()],
        )
        .await?;
    }
    Ok(())
}

/// On PostgreSQL, starts listening for queue changes from every instance (this one
/// included) and returns once the database has registered the listener; a task then calls
/// `on` with each clinic until it is aborted. `None` on SQLite.
pub async fn listen(
    store: &crate::Store,
    on: impl Fn(ClinicId) + Send + 'static,
) -> StoreResult<Option<tokio::task::JoinHandle<()>>> {
    if store.backend() != sea_orm::DbBackend::Postgres {
        return Ok(None);
    }
    use sea_orm::sqlx::postgres::PgListener;
    let failed =
        |e: sea_orm::sqlx::Error| crate::StoreError::Db(sea_orm::DbErr::Custom(e.to_string()));
    let mut l = PgListener::connect_with(store.conn().get_postgres_connection_pool())
        .await
        .map_err(failed)?;
    l.listen(CHANNEL).await.map_err(failed)?;
    Ok(Some(tokio::spawn(async move {
        loop {
            match l.recv().await {
                Ok(n) => match n.payload().parse::<ClinicId>() {
                    Ok(id) => on(id),
                    Err(_) => tracing::warn!(payload = n.payload(), "odd queue notice"),
                },
                // The next recv reconnects; boards also refresh on their own meanwhile.
                Err(e) => {
                    tracing::warn!(error = %e, "queue listener lost its connection");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    })))
}
