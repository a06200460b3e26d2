//! One-time sign-in codes: only a hash of each is kept, with its tries, its expiry and its
//! use.

use crate::{StoreResult, exec, get, ms, one_as, ts};
use domain::UserId;
use jiff::Timestamp;

/// A live code: not used, not expired.
#[derive(Debug, Clone)]
pub struct Code {
    pub id: uuid::Uuid,
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: Timestamp,
}

/// Keeps a new code's hash for `user`, good until `expires`; the codes sent before it
/// stop working.
pub async fn insert<C: sea_orm::ConnectionTrait>(
    c: &C,
    id: uuid::Uuid,
    user: UserId,
    channel: &str,
    code_hash: &str,
    now: Timestamp,
    expires: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE otp_codes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        vec![ms(now).into(), user.as_uuid().into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO otp_codes (id, user_id, channel, code_hash, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6)",
        vec![
            id.into(),
            user.as_uuid().into(),
            channel.into(),
            code_hash.into(),
            ms(now).into(),
            ms(expires).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The newest live code of `user` at `now`.
pub async fn live<C: sea_orm::ConnectionTrait>(
    c: &C,
    user: UserId,
    now: Timestamp,
) -> StoreResult<Option<Code>> {
    one_as(
        c,
        "SELECT id, code_hash, attempts, expires_at FROM otp_codes \
         WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
        vec![user.as_uuid().into(), ms(now).into()],
        |r| {
            Ok(Code {
                id: get(r, "id")?,
                code_hash: get(r, "code_hash")?,
                attempts: get(r, "attempts")?,
                expires_at: ts(get(r, "expires_at")?)?,
            })
        },
    )
    .await
}

/// Counts a wrong try.
pub async fn wrong_try<C: sea_orm::ConnectionTrait>(c: &C, id: uuid::Uuid) -> StoreResult<()> {
    exec(
        c,
        "UPDATE otp_codes SET attempts = attempts + 1 WHERE id = $1",
        vec![id.into()],
    )
    .await?;
    Ok(())
}

/// Uses a code once: false when it was used meanwhile.
pub async fn use_code<C: sea_orm::ConnectionTrait>(
    c: &C,
    id: uuid::Uuid,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE otp_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        vec![ms(now).into(), id.into()],
    )
    .await?;
    Ok(n == 1)
}
