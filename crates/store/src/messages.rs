//! Messages to patients on channels other than e-mail (SMS, WhatsApp): one row per message, made
//! when its job first runs, moved on as the provider takes it and reports it delivered or
//! failed.

use crate::{StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{ClinicId, UserId};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult, Value};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Queued,
    Sent,
    Delivered,
    Failed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Queued,
        Status::Sent,
        Status::Delivered,
        Status::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sent => "sent",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One message.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: uuid::Uuid,
    pub clinic_id: Option<ClinicId>,
    pub channel: String,
    /// What it is about: `appointment.booked`, `reminder.24h`, …
    pub kind: String,
    pub recipient: String,
    pub body: String,
    pub provider: Option<String>,
    pub provider_ref: Option<String>,
    pub status: Status,
    pub error: Option<String>,
    pub attempts: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// A send began then and has no outcome recorded (the worker may have died).
    pub sending_at: Option<Timestamp>,
    /// On WhatsApp: the template it is sent as (JSON: name and parameters).
    pub template: Option<String>,
    /// The account whose preferences it follows, when the patient has one.
    pub user_id: Option<UserId>,
}

fn row(r: &QueryResult) -> StoreResult<Message> {
    let status: String = get(r, "status")?;
    Ok(Message {
        id: get(r, "id")?,
        clinic_id: get::<Option<uuid::Uuid>>(r, "clinic_id")?.map(ClinicId::from_uuid),
        channel: get(r, "channel")?,
        kind: get(r, "kind")?,
        recipient: get(r, "recipient")?,
        body: get(r, "body")?,
        provider: get(r, "provider")?,
        provider_ref: get(r, "provider_ref")?,
        status: Status::parse(&status)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("message status {status}")))?,
        error: get(r, "error")?,
        attempts: get(r, "attempts")?,
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
        sending_at: get::<Option<i64>>(r, "sending_at")?.map(ts).transpose()?,
        template: get(r, "template")?,
        user_id: get::<Option<uuid::Uuid>>(r, "user_id")?.map(UserId::from_uuid),
    })
}

/// What a new message is.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub id: uuid::Uuid,
    pub clinic_id: Option<ClinicId>,
    /// `sms` or `whatsapp`.
    pub channel: &'a str,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub body: &'a str,
    /// On WhatsApp: the template (JSON).
    pub template: Option<&'a str>,
    pub user: Option<UserId>,
}

/// Records a message as queued, once: a message already recorded keeps its row.
pub async fn queue<C: ConnectionTrait>(
    c: &C,
    m: &NewMessage<'_>,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO messages (id, clinic_id, channel, kind, recipient, body, template, user_id, \
         status, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9, $9) ON CONFLICT (id) DO NOTHING",
        vec![
            m.id.into(),
            m.clinic_id.map(|c| c.as_uuid()).into(),
            m.channel.into(),
            m.kind.into(),
            m.recipient.into(),
            m.body.into(),
            m.template.map(str::to_owned).into(),
            m.user.map(|u| u.as_uuid()).into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// One message by id.
pub async fn find<C: ConnectionTrait>(c: &C, id: uuid::Uuid) -> StoreResult<Option<Message>> {
    one_as(
        c,
        "SELECT * FROM messages WHERE id = $1",
        vec![id.into()],
        row,
    )
    .await
}

/// A send attempt's outcome: `status` (sent, or queued again for a retry, or failed for
/// good), the provider's reference when it took the message, and the error otherwise.
pub async fn attempted<C: ConnectionTrait>(
    c: &C,
    id: uuid::Uuid,
    status: Status,
    provider: Option<(&str, &str)>,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE messages SET status = $1, provider = COALESCE($2, provider), \
         provider_ref = COALESCE($3, provider_ref), error = $4, attempts = attempts + 1, \
         updated_at = $5, sending_at = NULL WHERE id = $6",
        vec![
            status.as_str().into(),
            provider.map(|(p, _)| p.to_owned()).into(),
            provider.map(|(_, r)| r.to_owned()).into(),
            error
                .map(|e| e.chars().take(300).collect::<String>())
                .into(),
            ms(now).into(),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records that a send of the message begins now (committed before the provider is
/// called, so a later run knows the outcome may be unknown).
pub async fn sending<C: ConnectionTrait>(c: &C, id: uuid::Uuid, now: Timestamp) -> StoreResult<()> {
    exec(
        c,
        "UPDATE messages SET sending_at = $1 WHERE id = $2",
        vec![ms(now).into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Applies a provider's status report to its message; false when no message has that
/// reference. A delivered message never goes back to sent.
pub async fn reported<C: ConnectionTrait>(
    c: &C,
    provider: &str,
    provider_ref: &str,
    status: Status,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE messages SET status = $1, error = COALESCE($2, error), updated_at = $3 \
         WHERE provider = $4 AND provider_ref = $5 \
         AND NOT (status = 'delivered' AND $1 = 'sent')",
        vec![
            status.as_str().into(),
            error.map(str::to_owned).into(),
            ms(now).into(),
            provider.into(),
            provider_ref.into(),
        ],
    )
    .await?;
    if n == 0 {
        // Known but already delivered (a late "sent"): nothing to change.
        return Ok(one_as(
            c,
            "SELECT id FROM messages WHERE provider = $1 AND provider_ref = $2",
            vec![provider.into(), provider_ref.into()],
            |_| Ok(()),
        )
        .await?
        .is_some());
    }
    Ok(true)
}

/// Gives the message `id`, whose send was cut off before the provider's reference was
/// recorded, that reference and the status a report brings; false unless it had none.
pub async fn claim<C: ConnectionTrait>(
    c: &C,
    id: uuid::Uuid,
    provider: &str,
    provider_ref: &str,
    status: Status,
    error: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE messages SET provider = $1, provider_ref = $2, status = $3, error = $4, \
         sending_at = NULL, updated_at = $5 WHERE id = $6 AND provider_ref IS NULL",
        vec![
            provider.into(),
            provider_ref.into(),
            status.as_str().into(),
            error.map(str::to_owned).into(),
            ms(now).into(),
            id.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Puts a failed message back in the queue for another try; false unless it had failed.
pub async fn requeue<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: uuid::Uuid,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE messages SET status = 'queued', updated_at = $1 \
         WHERE id = $2 AND clinic_id = $3 AND status = 'failed'",
        vec![ms(now).into(), id.into(), clinic.as_uuid().into()],
    )
    .await?;
    Ok(n == 1)
}

/// The clinic's messages, newest first; only those at `status` when given.
pub async fn list<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    status: Option<Status>,
    limit: u32,
) -> StoreResult<Vec<Message>> {
    let mut values: Vec<Value> = vec![clinic.as_uuid().into()];
    let mut sql = "SELECT * FROM messages WHERE clinic_id = $1".to_owned();
    if let Some(s) = status {
        values.push(s.as_str().into());
        sql.push_str(" AND status = $2");
    }
    sql.push_str(&format!(" ORDER BY created_at DESC LIMIT {limit}"));
    all_as(c, &sql, values, row).await
}
