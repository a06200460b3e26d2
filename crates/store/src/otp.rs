//! One-time sign-in codes: only a hash of each is kept, with its tries, its expiry and its
//! use.

use crate::{StoreResult, exec, get, ms, one_as, ts};
use domain::UserId;
use jiff::Timestamp;

/// What a code proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Its holder may sign in.
    SignIn,
    /// Its holder has this new mobile number (E.164).
    Phone(String),
}

impl Purpose {
    fn parts(&self) -> (&'static str, Option<String>) {
        match self {
            Purpose::SignIn => ("sign_in", None),
            Purpose::Phone(p) => ("phone", Some(p.clone())),
        }
    }
}

/// A new code, as kept.
#[derive(Debug, Clone, Copy)]
pub struct NewCode<'a> {
    pub id: uuid::Uuid,
    pub user: UserId,
    /// `sms` or `email`.
    pub channel: &'a str,
    pub purpose: &'a Purpose,
    pub code_hash: &'a str,
    pub expires: Timestamp,
}

/// A live code: not used, not expired.
#[derive(Debug, Clone)]
pub struct Code {
    pub id: uuid::Uuid,
    pub code_hash: String,
    pub attempts: i32,
    pub expires_at: Timestamp,
    /// For a phone change, the new number.
    pub target: Option<String>,
}

/// Keeps a new code's hash for `user`, good until `expires`; the codes sent before it
/// stop working.
pub async fn insert<C: sea_orm::ConnectionTrait>(
    c: &C,
    code: &NewCode<'_>,
    now: Timestamp,
) -> StoreResult<()> {
    let NewCode {
        id,
        user,
        channel,
        purpose,
        code_hash,
        expires,
    } = *code;
    let (purpose, target) = purpose.parts();
    exec(
        c,
        "UPDATE otp_codes SET used_at = $1 WHERE user_id = $2 AND purpose = $3 \
         AND used_at IS NULL",
        vec![ms(now).into(), user.as_uuid().into(), purpose.into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO otp_codes (id, user_id, channel, code_hash, attempts, created_at, \
         expires_at, purpose, target) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8)",
        vec![
            id.into(),
            user.as_uuid().into(),
            channel.into(),
            code_hash.into(),
            ms(now).into(),
            ms(expires).into(),
            purpose.into(),
            target.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The newest live code of `user` for `purpose` (`sign_in` or `phone`) at `now`.
pub async fn live<C: sea_orm::ConnectionTrait>(
    c: &C,
    user: UserId,
    purpose: &str,
    now: Timestamp,
) -> StoreResult<Option<Code>> {
    one_as(
        c,
        "SELECT id, code_hash, attempts, expires_at, target FROM otp_codes \
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
         ORDER BY created_at DESC, id DESC LIMIT 1",
        vec![user.as_uuid().into(), purpose.into(), ms(now).into()],
        |r| {
            Ok(Code {
                id: get(r, "id")?,
                code_hash: get(r, "code_hash")?,
                attempts: get(r, "attempts")?,
                expires_at: ts(get(r, "expires_at")?)?,
                target: get(r, "target")?,
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
