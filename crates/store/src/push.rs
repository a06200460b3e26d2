//! Web push subscriptions: one row per device an account subscribed, keyed by the push
//! service's endpoint (a device that subscribes again replaces its row).

use crate::{StoreResult, all_as, exec, get, ms, ts};
use domain::UserId;
use jiff::Timestamp;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// One device's subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: Uuid,
    pub user: UserId,
    pub endpoint: String,
    /// The device's P-256 key, base64url.
    pub p256dh: String,
    /// Its auth secret, base64url.
    pub auth: String,
    pub user_agent: String,
    pub created_at: Timestamp,
}

/// Keeps `s`; the endpoint's earlier row (the same device) is replaced. Answers the id.
pub async fn upsert<C: ConnectionTrait>(c: &C, s: &Subscription) -> StoreResult<Uuid> {
    exec(
        c,
        "DELETE FROM push_subscriptions WHERE endpoint = $1",
        vec![s.endpoint.clone().into()],
    )
    .await?;
    exec(
        c,
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, user_agent, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            s.id.into(),
            s.user.as_uuid().into(),
            s.endpoint.clone().into(),
            s.p256dh.clone().into(),
            s.auth.clone().into(),
            s.user_agent.clone().into(),
            ms(s.created_at).into(),
        ],
    )
    .await?;
    Ok(s.id)
}

const COLS: &str = "id, user_id, endpoint, p256dh, auth, user_agent, created_at";

fn row(r: &sea_orm::QueryResult) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: get(r, "id")?,
        user: UserId::from_uuid(get(r, "user_id")?),
        endpoint: get(r, "endpoint")?,
        p256dh: get(r, "p256dh")?,
        auth: get(r, "auth")?,
        user_agent: get(r, "user_agent")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// One subscription by id.
pub async fn find<C: ConnectionTrait>(c: &C, id: Uuid) -> StoreResult<Option<Subscription>> {
    crate::one_as(
        c,
        &format!("SELECT {COLS} FROM push_subscriptions WHERE id = $1"),
        vec![id.into()],
        row,
    )
    .await
}

/// `user`'s subscriptions, oldest first.
pub async fn of_user<C: ConnectionTrait>(c: &C, user: UserId) -> StoreResult<Vec<Subscription>> {
    all_as(
        c,
        &format!(
            "SELECT {COLS} FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id"
        ),
        vec![user.as_uuid().into()],
        row,
    )
    .await
}

/// Removes `user`'s subscription `id`; false when they have none such.
pub async fn delete<C: ConnectionTrait>(c: &C, user: UserId, id: Uuid) -> StoreResult<bool> {
    let n = exec(
        c,
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND id = $2",
        vec![user.as_uuid().into(), id.into()],
    )
    .await?;
    Ok(n == 1)
}

/// Removes a subscription the push service says is gone.
pub async fn forget<C: ConnectionTrait>(c: &C, id: Uuid) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM push_subscriptions WHERE id = $1",
        vec![id.into()],
    )
    .await?;
    Ok(())
}
