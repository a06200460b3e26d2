//! Install-wide secrets that every instance must share (such as the key that signs patients'
//! queue-status links), made on first use.

use crate::{StoreResult, exec, get, new_token, one};
use sea_orm::ConnectionTrait;

/// The secret called `name`: created at random the first time, the same ever after and for
/// every instance (a concurrent first use keeps whichever insert came first).
pub async fn get_or_create<C: ConnectionTrait>(c: &C, name: &str) -> StoreResult<String> {
    exec(
        c,
        "INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        vec![name.into(), new_token().into()],
    )
    .await?;
    let r = one(
        c,
        "SELECT value FROM app_secrets WHERE name = $1",
        vec![name.into()],
    )
    .await?
    .ok_or_else(|| crate::StoreError::Corrupt(format!("secret {name} vanished")))?;
    get(&r, "value")
}
