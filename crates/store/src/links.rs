//! Single-use, expiring links: staff invites, password resets, e-mail confirmations, and
//! link tokens that act on one record (cancel an appointment from an e-mail). Only hashes
//! are stored.

use crate::{Batch, StoreResult, all_as, exec, get, ms, one, one_as, ts};
use domain::{ClinicId, Role, UserId};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

/// A pending or used invitation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Invite {
    pub id: Uuid,
    pub clinic_id: ClinicId,
    pub clinic_name: String,
    pub email: String,
    pub role: Role,
    pub created_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
    pub used_at: Option<jiff::Timestamp>,
}

const INVITE_SELECT: &str = "SELECT i.id, i.clinic_id, c.name AS clinic_name, i.email, i.role, i.created_at, \
    i.expires_at, i.used_at FROM invites i JOIN clinics c ON c.id = i.clinic_id";

fn invite_row(r: &QueryResult) -> StoreResult<Invite> {
    let role: String = get(r, "role")?;
    Ok(Invite {
        id: get(r, "id")?,
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        clinic_name: get(r, "clinic_name")?,
        email: get(r, "email")?,
        role: role
            .parse()
            .map_err(|_| crate::StoreError::Corrupt(format!("role {role}")))?,
        created_at: ts(get(r, "created_at")?)?,
        expires_at: ts(get(r, "expires_at")?)?,
        used_at: get::<Option<i64>>(r, "used_at")?.map(ts).transpose()?,
    })
}

/// Records an invitation.
#[allow(clippy::too_many_arguments)]
pub async fn insert_invite<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    email: &str,
    role: Role,
    token_hash: &str,
    invited_by: UserId,
    now: jiff::Timestamp,
    expires_at: jiff::Timestamp,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    exec(
        c,
        "INSERT INTO invites (id, clinic_id, email, role, token_hash, invited_by, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)",
        vec![
            id.into(),
            clinic.as_uuid().into(),
            email.into(),
            role.as_str().into(),
            token_hash.into(),
            invited_by.as_uuid().into(),
            ms(now).into(),
            ms(expires_at).into(),
        ],
    )
    .await?;
    Ok(id)
}

/// An unused, unexpired invite by token hash.
pub async fn find_open_invite<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<Option<Invite>> {
    one_as(
        c,
        &format!(
            "{INVITE_SELECT} WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2"
        ),
        vec![token_hash.into(), ms(now).into()],
        invite_row,
    )
    .await
}

/// Marks an invite used; false if someone used it first.
pub async fn use_invite<C: ConnectionTrait>(
    c: &C,
    id: Uuid,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    Ok(exec(
        c,
        "UPDATE invites SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        vec![ms(now).into(), id.into()],
    )
    .await?
        == 1)
}

/// The latest invitations of a clinic.
pub async fn invites_of_clinic<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
) -> StoreResult<Vec<Invite>> {
    all_as(
        c,
        &format!("{INVITE_SELECT} WHERE i.clinic_id = $1 ORDER BY i.created_at DESC LIMIT 50"),
        vec![clinic.as_uuid().into()],
        invite_row,
    )
    .await
}

/// Records a password-reset link.
pub async fn insert_reset<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    token_hash: &str,
    now: jiff::Timestamp,
    expires_at: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
        vec![token_hash.into(), user.as_uuid().into(), ms(now).into(), ms(expires_at).into()],
    )
    .await?;
    Ok(())
}

/// Uses a reset link: returns its user if it was unused and unexpired, and marks it used.
pub async fn take_reset<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<Option<UserId>> {
    take(c, "password_resets", "user_id", token_hash, now)
        .await?
        .as_ref()
        .map(|r| get(r, "user_id").map(UserId::from_uuid))
        .transpose()
}

/// Marks the single-use link `token_hash` in `table` used, if it is unused and unexpired,
/// and returns the columns `cols` of its row: one statement, so two requests with the same
/// link cannot both take it.
async fn take<C: ConnectionTrait>(
    c: &C,
    table: &str,
    cols: &str,
    token_hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<Option<sea_orm::QueryResult>> {
    one(
        c,
        &format!(
            "UPDATE {table} SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING {cols}"
        ),
        vec![ms(now).into(), token_hash.into()],
    )
    .await
}

/// Whether a reset link is currently usable (for showing the form).
pub async fn reset_is_open<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    Ok(one(
        c,
        "SELECT user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        vec![token_hash.into(), ms(now).into()],
    )
    .await?
    .is_some())
}

/// Adds to `b` a link token (stored as its hash) that lets its holder act on `target` for
/// `purpose` until `expires`, without signing in.
pub fn insert_link_into(
    b: &mut Batch,
    clinic: ClinicId,
    purpose: &str,
    target: uuid::Uuid,
    token_hash: &str,
    now: jiff::Timestamp,
    expires: jiff::Timestamp,
) {
    b.exec(
        "INSERT INTO link_tokens (token_hash, clinic_id, purpose, target_id, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, NULL)",
        vec![
            token_hash.into(),
            clinic.as_uuid().into(),
            purpose.into(),
            target.into(),
            ms(now).into(),
            ms(expires).into(),
        ],
    );
}

/// The clinic and target of an unused, unexpired link token for `purpose`.
pub async fn find_link<C: ConnectionTrait>(
    c: &C,
    purpose: &str,
    token_hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<Option<(ClinicId, uuid::Uuid)>> {
    let r = one(
        c,
        "SELECT clinic_id, target_id FROM link_tokens WHERE token_hash = $1 AND purpose = $2 \
         AND used_at IS NULL AND expires_at > $3",
        vec![token_hash.into(), purpose.into(), ms(now).into()],
    )
    .await?;
    r.as_ref()
        .map(|r| {
            Ok((
                ClinicId::from_uuid(get(r, "clinic_id")?),
                get(r, "target_id")?,
            ))
        })
        .transpose()
}

/// Adds to `b` the spending of every open link token of `target`.
pub fn use_links_into(b: &mut Batch, target: uuid::Uuid, now: jiff::Timestamp) {
    b.exec(
        "UPDATE link_tokens SET used_at = $1 WHERE target_id = $2 AND used_at IS NULL",
        vec![ms(now).into(), target.into()],
    );
}

/// Records an e-mail confirmation link for `user`, bound to the address it is sent to.
pub async fn insert_confirmation<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    email: &str,
    token_hash: &str,
    now: jiff::Timestamp,
    expires_at: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO email_confirmations (token_hash, user_id, email, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
        vec![
            token_hash.into(),
            user.as_uuid().into(),
            email.into(),
            ms(now).into(),
            ms(expires_at).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Uses a confirmation link: returns its user and address if it was unused and unexpired,
/// and marks it used.
pub async fn take_confirmation<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<Option<(UserId, String)>> {
    take(c, "email_confirmations", "user_id, email", token_hash, now)
        .await?
        .as_ref()
        .map(|r| Ok((UserId::from_uuid(get(r, "user_id")?), get(r, "email")?)))
        .transpose()
}

/// When the newest confirmation link of `user` was sent, if any.
pub async fn last_confirmation_sent<C: ConnectionTrait>(
    c: &C,
    user: UserId,
) -> StoreResult<Option<jiff::Timestamp>> {
    one(
        c,
        "SELECT created_at FROM email_confirmations WHERE user_id = $1 \
         ORDER BY created_at DESC LIMIT 1",
        vec![user.as_uuid().into()],
    )
    .await?
    .map(|r| ts(get(&r, "created_at")?))
    .transpose()
}
