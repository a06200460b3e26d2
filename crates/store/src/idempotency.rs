//! `Idempotency-Key` records: a retried create returns what the first attempt made.

use crate::{StoreResult, exec, get, ms, one};
use domain::UserId;
use sea_orm::ConnectionTrait;

/// What an earlier request with the same key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub request_hash: String,
    pub result_id: uuid::Uuid,
}

/// The record of `user`'s `key`, if any.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    key: &str,
) -> StoreResult<Option<Recorded>> {
    let r = one(
        c,
        "SELECT request_hash, result_id FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2",
        vec![user.as_uuid().into(), key.into()],
    )
    .await?;
    r.as_ref()
        .map(|r| {
            Ok(Recorded {
                request_hash: get(r, "request_hash")?,
                result_id: get(r, "result_id")?,
            })
        })
        .transpose()
}

/// Records a key in the transaction that made `result_id`. A concurrent request with the
/// same key makes this `Conflict("idempotency_keys_pkey")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    user: UserId,
    key: &str,
    request_hash: &str,
    result_id: uuid::Uuid,
    now: jiff::Timestamp,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, result_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        vec![
            user.as_uuid().into(),
            key.into(),
            request_hash.into(),
            result_id.into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}
