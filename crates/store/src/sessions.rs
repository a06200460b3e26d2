//! Login sessions. A session is one refresh-token family: every refresh rotates both tokens,
//! and presenting an already-rotated refresh token revokes the whole session.

use crate::clinics::{self, Clinic};
use crate::users::{self, User};
use crate::{StoreResult, all_as, exec, get, ms, one, one_as, ts};
use domain::{ClinicId, Role, SessionId, UserId};
use sea_orm::{ConnectionTrait, QueryResult};

/// A session as listed to its owner.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub active_clinic_id: Option<ClinicId>,
    pub user_agent: String,
    pub ip: String,
    pub created_at: jiff::Timestamp,
    pub last_seen_at: jiff::Timestamp,
    pub expires_at: jiff::Timestamp,
}

/// Hashes and lifetimes of a freshly issued token pair.
pub struct TokenPair<'a> {
    pub access_hash: &'a str,
    pub access_expires_at: jiff::Timestamp,
    pub refresh_hash: &'a str,
}

const COLS: &str =
    "id, user_id, active_clinic_id, user_agent, ip, created_at, last_seen_at, expires_at";

fn row(r: &QueryResult) -> StoreResult<Session> {
    row_named(r, "id", "created_at")
}

/// Maps a session row whose `id` and `created_at` may be aliased (in joins with `users`).
fn row_named(r: &QueryResult, id: &str, created_at: &str) -> StoreResult<Session> {
    Ok(Session {
        id: SessionId::from_uuid(get(r, id)?),
        user_id: UserId::from_uuid(get(r, "user_id")?),
        active_clinic_id: get::<Option<uuid::Uuid>>(r, "active_clinic_id")?
            .map(ClinicId::from_uuid),
        user_agent: get(r, "user_agent")?,
        ip: get(r, "ip")?,
        created_at: ts(get(r, created_at)?)?,
        last_seen_at: ts(get(r, "last_seen_at")?)?,
        expires_at: ts(get(r, "expires_at")?)?,
    })
}

/// Opens a session with its first token pair.
#[allow(clippy::too_many_arguments)]
pub async fn create<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    tokens: &TokenPair<'_>,
    expires_at: jiff::Timestamp,
    user_agent: &str,
    ip: &str,
    now: jiff::Timestamp,
) -> StoreResult<SessionId> {
    let id = SessionId::new();
    let ua: String = user_agent.chars().take(200).collect();
    exec(
        c,
        "INSERT INTO sessions (id, user_id, access_hash, access_expires_at, active_clinic_id, user_agent, ip, \
         created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $7, $8)",
        vec![
            id.as_uuid().into(),
            user.as_uuid().into(),
            tokens.access_hash.into(),
            ms(tokens.access_expires_at).into(),
            ua.into(),
            ip.into(),
            ms(now).into(),
            ms(expires_at).into(),
        ],
    )
    .await?;
    insert_refresh(c, id, tokens.refresh_hash, now).await?;
    Ok(id)
}

async fn insert_refresh<C: ConnectionTrait>(
    c: &C,
    s: SessionId,
    hash: &str,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, used_at) VALUES ($1, $2, $3, NULL)",
        vec![hash.into(), s.as_uuid().into(), ms(now).into()],
    )
    .await?;
    Ok(())
}

/// The clinic `clinic` and the roles the caller holds there (`None`: no such clinic), read
/// with the session.
pub type ClinicAt = Option<(Clinic, Vec<Role>)>;

/// The live session an access token belongs to, with its active user, in one round trip
/// (this runs on every authenticated request); with `clinic`, also that clinic and the
/// caller's roles in it ([`clinics::find_with_roles`]): what a signed-in request in a clinic
/// starts from. Revoked or expired sessions and deactivated users read as `None`.
pub async fn identify_at<C: ConnectionTrait>(
    c: &C,
    access_hash: &str,
    now: jiff::Timestamp,
    clinic: Option<ClinicId>,
) -> StoreResult<Option<(Session, User, Option<ClinicAt>)>> {
    let mut values: Vec<sea_orm::Value> = vec![access_hash.into(), ms(now).into(), true.into()];
    let (cols, join) = match clinic {
        Some(id) => {
            values.push(id.as_uuid().into());
            let cols = clinics::cols_with_roles(c, "c", "u.id", "$3");
            (format!(", {cols}"), " LEFT JOIN clinics c ON c.id = $4")
        }
        None => (String::new(), ""),
    };
    let r = one(
        c,
        &format!(
            "SELECT s.id AS session_id, s.created_at AS session_created_at, s.user_id, \
             s.active_clinic_id, s.user_agent, s.ip, s.last_seen_at, s.expires_at, {}{cols} \
             FROM sessions s JOIN users u ON u.id = s.user_id{join} \
             WHERE s.access_hash = $1 AND s.revoked_at IS NULL AND s.access_expires_at > $2 \
             AND s.expires_at > $2 AND u.is_active = $3",
            users::COLS_U
        ),
        values,
    )
    .await?;
    let Some(r) = r else { return Ok(None) };
    let at = match clinic {
        None => None,
        Some(_) => Some(match get::<Option<uuid::Uuid>>(&r, "c_id")? {
            Some(_) => Some(clinics::with_roles(&r, "c_")?),
            None => None,
        }),
    };
    Ok(Some((
        row_named(&r, "session_id", "session_created_at")?,
        users::row(&r)?,
        at,
    )))
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// The token was current; the session now has the new pair.
    Rotated(Session),
    /// The token had already been used: the session has been revoked.
    Reused(SessionId),
    /// Unknown, expired or revoked.
    Invalid,
}

/// Swaps the session's tokens if `refresh_hash` is its current refresh token.
pub async fn rotate<C: ConnectionTrait>(
    c: &C,
    refresh_hash: &str,
    next: &TokenPair<'_>,
    now: jiff::Timestamp,
) -> StoreResult<Rotation> {
    let Some(r) = one(
        c,
        "SELECT r.session_id, r.used_at, s.revoked_at, s.expires_at FROM refresh_tokens r \
         JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = $1",
        vec![refresh_hash.into()],
    )
    .await?
    else {
        return Ok(Rotation::Invalid);
    };
    let session = SessionId::from_uuid(get(&r, "session_id")?);
    let revoked: Option<i64> = get(&r, "revoked_at")?;
    let expires: i64 = get(&r, "expires_at")?;
    if revoked.is_some() || expires <= ms(now) {
        return Ok(Rotation::Invalid);
    }
    let claimed = exec(
        c,
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        vec![ms(now).into(), refresh_hash.into()],
    )
    .await?;
    if claimed != 1 {
        revoke(c, session, "refresh token reused", now).await?;
        return Ok(Rotation::Reused(session));
    }
    exec(
        c,
        "UPDATE sessions SET access_hash = $1, access_expires_at = $2, last_seen_at = $3 WHERE id = $4",
        vec![next.access_hash.into(), ms(next.access_expires_at).into(), ms(now).into(), session.as_uuid().into()],
    )
    .await?;
    insert_refresh(c, session, next.refresh_hash, now).await?;
    let s = find(c, session)
        .await?
        .ok_or_else(|| crate::StoreError::Corrupt("session vanished".into()))?;
    Ok(Rotation::Rotated(s))
}

/// One session by id, whatever its state.
pub async fn find<C: ConnectionTrait>(c: &C, id: SessionId) -> StoreResult<Option<Session>> {
    one_as(
        c,
        &format!("SELECT {COLS} FROM sessions WHERE id = $1"),
        vec![id.as_uuid().into()],
        row,
    )
    .await
}

/// Ends a session at once: its access token stops working and its refresh tokens too.
pub async fn revoke<C: ConnectionTrait>(
    c: &C,
    id: SessionId,
    reason: &str,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL",
        vec![ms(now).into(), reason.into(), id.as_uuid().into()],
    )
    .await?;
    Ok(n == 1)
}

/// Revokes a session only if it belongs to `user` (others' sessions read as missing).
pub async fn revoke_own<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    id: SessionId,
    now: jiff::Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE sessions SET revoked_at = $1, revoked_reason = 'revoked by user' \
         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        vec![ms(now).into(), id.as_uuid().into(), user.as_uuid().into()],
    )
    .await?;
    Ok(n == 1)
}

/// Revokes every live session of `user` except `keep`.
pub async fn revoke_all_but<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    keep: Option<SessionId>,
    reason: &str,
    now: jiff::Timestamp,
) -> StoreResult<u64> {
    let keep = keep.map(|k| k.as_uuid()).unwrap_or_default();
    exec(
        c,
        "UPDATE sessions SET revoked_at = $1, revoked_reason = $2 WHERE user_id = $3 AND id <> $4 AND revoked_at IS NULL",
        vec![ms(now).into(), reason.into(), user.as_uuid().into(), keep.into()],
    )
    .await
}

/// One session, if it is neither revoked nor expired.
pub async fn find_live<C: ConnectionTrait>(
    c: &C,
    id: SessionId,
    now: jiff::Timestamp,
) -> StoreResult<Option<Session>> {
    one_as(
        c,
        &format!(
            "SELECT {COLS} FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2"
        ),
        vec![id.as_uuid().into(), ms(now).into()],
        row,
    )
    .await
}

/// A user's live sessions, newest first.
pub async fn list_live<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    now: jiff::Timestamp,
) -> StoreResult<Vec<Session>> {
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY last_seen_at DESC LIMIT 100"
        ),
        vec![user.as_uuid().into(), ms(now).into()], row).await
}

/// Remembers which clinic the session is working in.
pub async fn set_active_clinic<C: ConnectionTrait>(
    c: &C,
    id: SessionId,
    clinic: ClinicId,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE sessions SET active_clinic_id = $1 WHERE id = $2",
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
    )
    .await?;
    Ok(())
}
