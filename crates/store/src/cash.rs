//! Cash drawer sessions: a receptionist opens the drawer with a float, every payment they
//! take while it is open counts towards it, and they close it with what they counted.

use crate::{StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{CashSessionId, ClinicId, UserId, billing::PaymentMethod};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

/// One drawer session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashSession {
    pub id: CashSessionId,
    pub clinic_id: ClinicId,
    pub user_id: UserId,
    pub user_name: String,
    pub opened_at: Timestamp,
    pub opening_float: i64,
    pub closed_at: Option<Timestamp>,
    pub counted_cash: Option<i64>,
    pub counted_card: Option<i64>,
    pub counted_upi: Option<i64>,
    pub note: String,
}

const SELECT: &str = "SELECT s.*, u.name AS user_name FROM cash_sessions s \
    JOIN users u ON u.id = s.user_id";

fn row(r: &QueryResult) -> StoreResult<CashSession> {
    Ok(CashSession {
        id: CashSessionId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        user_id: UserId::from_uuid(get(r, "user_id")?),
        user_name: get(r, "user_name")?,
        opened_at: ts(get(r, "opened_at")?)?,
        opening_float: get(r, "opening_float")?,
        closed_at: get::<Option<i64>>(r, "closed_at")?.map(ts).transpose()?,
        counted_cash: get(r, "counted_cash")?,
        counted_card: get(r, "counted_card")?,
        counted_upi: get(r, "counted_upi")?,
        note: get(r, "note")?,
    })
}

/// Opens `user`'s drawer; one already open is `Conflict("cash_sessions_open_key")`.
pub async fn open<C: ConnectionTrait>(
    c: &C,
    id: CashSessionId,
    clinic: ClinicId,
    user: UserId,
    opening_float: i64,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO cash_sessions (id, clinic_id, user_id, opened_at, opening_float, note) \
         VALUES ($1, $2, $3, $4, $5, '')",
        vec![
            id.as_uuid().into(),
            clinic.as_uuid().into(),
            user.as_uuid().into(),
            ms(now).into(),
            opening_float.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The id of `user`'s open drawer in `clinic`, if any.
pub async fn open_session_of<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    user: UserId,
) -> StoreResult<Option<CashSessionId>> {
    one_as(
        c,
        "SELECT id FROM cash_sessions WHERE clinic_id = $1 AND user_id = $2 AND closed_at IS NULL",
        vec![clinic.as_uuid().into(), user.as_uuid().into()],
        |r| Ok(CashSessionId::from_uuid(get(r, "id")?)),
    )
    .await
}

/// One session of `clinic`.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: CashSessionId,
) -> StoreResult<Option<CashSession>> {
    one_as(
        c,
        &format!("{SELECT} WHERE s.clinic_id = $1 AND s.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        row,
    )
    .await
}

/// The clinic's sessions opened in `[from, to)`, newest first.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<CashSession>> {
    all_as(
        c,
        &format!(
            "{SELECT} WHERE s.clinic_id = $1 AND s.opened_at >= $2 AND s.opened_at < $3 \
             ORDER BY s.opened_at DESC LIMIT 200"
        ),
        vec![clinic.as_uuid().into(), ms(from).into(), ms(to).into()],
        row,
    )
    .await
}

/// What each method took in a session, net of refunds.
pub async fn takings<C: ConnectionTrait>(
    c: &C,
    id: CashSessionId,
) -> StoreResult<Vec<(PaymentMethod, i64)>> {
    all_as(
        c,
        "SELECT method, CAST(SUM(amount - refunded) AS BIGINT) AS taken FROM payments \
         WHERE cash_session_id = $1 GROUP BY method ORDER BY method",
        vec![id.as_uuid().into()],
        |r| {
            Ok((
                crate::payments::method(&get::<String>(r, "method")?)?,
                get::<i64>(r, "taken")?,
            ))
        },
    )
    .await
}

/// What was counted at a close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub cash: i64,
    pub card: i64,
    pub upi: i64,
}

/// Closes an open session; false when it was closed already.
pub async fn close<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: CashSessionId,
    counted: Counted,
    note: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE cash_sessions SET closed_at = $1, counted_cash = $2, counted_card = $3, \
         counted_upi = $4, note = $5 WHERE clinic_id = $6 AND id = $7 AND closed_at IS NULL",
        vec![
            ms(now).into(),
            counted.cash.into(),
            counted.card.into(),
            counted.upi.into(),
            note.into(),
            clinic.as_uuid().into(),
            id.as_uuid().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// One cell of a collection report: what one method took for one doctor's bills (`None`:
/// bills without a doctor), net of refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collected {
    pub method: PaymentMethod,
    pub doctor_id: Option<domain::DoctorId>,
    pub doctor_name: Option<String>,
    pub amount: i64,
    pub payments: i64,
}

/// What the clinic took in `[from, to)`, by method and doctor.
pub async fn collected<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<Collected>> {
    all_as(
        c,
        "SELECT x.method, b.doctor_id, d.name AS doctor_name, \
         CAST(SUM(x.amount - x.refunded) AS BIGINT) AS amount, COUNT(*) AS payments \
         FROM payments x JOIN bills b ON b.id = x.bill_id LEFT JOIN doctors d ON d.id = b.doctor_id \
         WHERE x.clinic_id = $1 AND x.created_at >= $2 AND x.created_at < $3 \
         GROUP BY x.method, b.doctor_id, d.name ORDER BY d.name, x.method",
        vec![clinic.as_uuid().into(), ms(from).into(), ms(to).into()],
        |r| {
            Ok(Collected {
                method: crate::payments::method(&get::<String>(r, "method")?)?,
                doctor_id: get::<Option<uuid::Uuid>>(r, "doctor_id")?
                    .map(domain::DoctorId::from_uuid),
                doctor_name: get(r, "doctor_name")?,
                amount: get(r, "amount")?,
                payments: get(r, "payments")?,
            })
        },
    )
    .await
}

/// Every payment taken in `[from, to)`, net of refunds, as (when, amount), oldest first:
/// the report groups them by the clinic's local day.
pub async fn takings_between<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<(Timestamp, i64)>> {
    all_as(
        c,
        "SELECT created_at, amount - refunded AS net FROM payments \
         WHERE clinic_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at",
        vec![clinic.as_uuid().into(), ms(from).into(), ms(to).into()],
        |r| Ok((ts(get(r, "created_at")?)?, get::<i64>(r, "net")?)),
    )
    .await
}
