//! Second factors: each account's TOTP secret (live once confirmed; the last step used,
//! so no code works twice), its recovery codes (hashes, single use), and the challenges
//! a password sign-in leaves while the code is awaited (hashes of their tokens).

use crate::{StoreResult, exec, get, ms, one_as, ts};
use domain::UserId;
use jiff::Timestamp;
use sea_orm::ConnectionTrait;

/// An account's TOTP secret.
#[derive(Clone)]
pub struct Factor {
    /// Base32.
    pub secret: String,
    pub confirmed_at: Option<Timestamp>,
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for Factor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factor")
            .field("confirmed_at", &self.confirmed_at)
            .finish_non_exhaustive()
    }
}

/// `user`'s factor, confirmed or not.
pub async fn find<C: ConnectionTrait>(c: &C, user: UserId) -> StoreResult<Option<Factor>> {
    one_as(
        c,
        "SELECT secret, confirmed_at, last_step FROM totp_factors WHERE user_id = $1",
        vec![user.as_uuid().into()],
        |r| {
            Ok(Factor {
                secret: get(r, "secret")?,
                confirmed_at: get::<Option<i64>>(r, "confirmed_at")?.map(ts).transpose()?,
                last_step: get(r, "last_step")?,
            })
        },
    )
    .await
}

/// Starts enrolment with `secret`, replacing an unconfirmed one; false when `user` has a
/// confirmed factor already.
pub async fn enroll<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    secret: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO totp_factors (user_id, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
         created_at = excluded.created_at, last_step = NULL \
         WHERE totp_factors.confirmed_at IS NULL",
        vec![user.as_uuid().into(), secret.into(), ms(now).into()],
    )
    .await?;
    Ok(n == 1)
}

/// Records that a code of `step` was used (confirming the factor on first use); false
/// when a code of that step or a later one was used meanwhile.
pub async fn used_step<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    step: i64,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE totp_factors SET last_step = $1, confirmed_at = COALESCE(confirmed_at, $2) \
         WHERE user_id = $3 AND (last_step IS NULL OR last_step < $1)",
        vec![step.into(), ms(now).into(), user.as_uuid().into()],
    )
    .await?;
    Ok(n == 1)
}

/// Removes `user`'s factor and recovery codes.
pub async fn remove<C: ConnectionTrait>(c: &C, user: UserId) -> StoreResult<()> {
    for sql in [
        "DELETE FROM totp_factors WHERE user_id = $1",
        "DELETE FROM recovery_codes WHERE user_id = $1",
    ] {
        exec(c, sql, vec![user.as_uuid().into()]).await?;
    }
    Ok(())
}

/// Replaces `user`'s recovery codes with these hashes.
pub async fn set_recovery_codes<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    hashes: &[String],
    now: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM recovery_codes WHERE user_id = $1",
        vec![user.as_uuid().into()],
    )
    .await?;
    for h in hashes {
        exec(
            c,
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            vec![user.as_uuid().into(), h.clone().into(), ms(now).into()],
        )
        .await?;
    }
    Ok(())
}

/// Uses the recovery code with this hash once; false when it is not `user`'s or was used.
pub async fn use_recovery_code<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    hash: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 \
         AND used_at IS NULL",
        vec![ms(now).into(), user.as_uuid().into(), hash.into()],
    )
    .await?;
    Ok(n == 1)
}

/// How many of `user`'s recovery codes are left.
pub async fn recovery_codes_left<C: ConnectionTrait>(c: &C, user: UserId) -> StoreResult<i64> {
    Ok(one_as(
        c,
        "SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        vec![user.as_uuid().into()],
        |r| get::<i64>(r, "n"),
    )
    .await?
    .unwrap_or(0))
}

/// A live challenge: whose, for which sign-in, how many wrong tries.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub user: UserId,
    /// The audit action of the session it opens (`session.login`).
    pub action: String,
    pub attempts: i32,
}

/// Keeps a challenge under the hash of its token, good until `expires`.
pub async fn challenge<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    user: UserId,
    action: &str,
    now: Timestamp,
    expires: Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO mfa_challenges (token_hash, user_id, action, attempts, created_at, \
         expires_at) VALUES ($1, $2, $3, 0, $4, $5)",
        vec![
            token_hash.into(),
            user.as_uuid().into(),
            action.into(),
            ms(now).into(),
            ms(expires).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The live challenge with this token hash at `now`.
pub async fn live_challenge<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<Challenge>> {
    one_as(
        c,
        "SELECT user_id, action, attempts FROM mfa_challenges WHERE token_hash = $1 \
         AND used_at IS NULL AND expires_at > $2",
        vec![token_hash.into(), ms(now).into()],
        |r| {
            Ok(Challenge {
                user: UserId::from_uuid(get(r, "user_id")?),
                action: get(r, "action")?,
                attempts: get(r, "attempts")?,
            })
        },
    )
    .await
}

/// Counts a wrong code against a challenge.
pub async fn wrong_try<C: ConnectionTrait>(c: &C, token_hash: &str) -> StoreResult<()> {
    exec(
        c,
        "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE token_hash = $1",
        vec![token_hash.into()],
    )
    .await?;
    Ok(())
}

/// Ends a challenge (answered); false when it was answered meanwhile.
pub async fn close_challenge<C: ConnectionTrait>(
    c: &C,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE mfa_challenges SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        vec![ms(now).into(), token_hash.into()],
    )
    .await?;
    Ok(n == 1)
}
