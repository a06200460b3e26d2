//! Online payment attempts and the provider events already handled.

use crate::{StoreResult, exec, get, ms, one_as, ts};
use domain::{BillId, ClinicId, PaymentId, UserId};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

/// One attempt to pay a bill online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub id: uuid::Uuid,
    pub clinic_id: ClinicId,
    pub bill_id: BillId,
    pub provider: String,
    /// The provider's id of the checkout (a Checkout Session, an Order).
    pub provider_ref: String,
    pub amount: i64,
    pub currency: String,
    /// `started`, `paid`, `expired`, or `excess` (paid when the bill no longer owed it).
    pub status: String,
    pub redirect_url: String,
    /// The provider's id of the payment, once paid.
    pub payment_ref: Option<String>,
    pub created_at: Timestamp,
}

fn row(r: &QueryResult) -> StoreResult<Attempt> {
    Ok(Attempt {
        id: get(r, "id")?,
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        bill_id: BillId::from_uuid(get(r, "bill_id")?),
        provider: get(r, "provider")?,
        provider_ref: get(r, "provider_ref")?,
        amount: get(r, "amount")?,
        currency: get(r, "currency")?,
        status: get(r, "status")?,
        redirect_url: get(r, "redirect_url")?,
        payment_ref: get(r, "payment_ref")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// Records a started attempt; the same checkout again is
/// `Conflict("online_payments_provider_ref_key")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    a: &Attempt,
    started_by: Option<UserId>,
) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO online_payments (id, clinic_id, bill_id, provider, provider_ref, amount, \
         currency, status, redirect_url, started_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        vec![
            a.id.into(),
            a.clinic_id.as_uuid().into(),
            a.bill_id.as_uuid().into(),
            a.provider.clone().into(),
            a.provider_ref.clone().into(),
            a.amount.into(),
            a.currency.clone().into(),
            a.status.clone().into(),
            a.redirect_url.clone().into(),
            started_by.map(|u| u.as_uuid()).into(),
            ms(a.created_at).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The attempt a provider's checkout belongs to.
pub async fn by_ref<C: ConnectionTrait>(
    c: &C,
    provider: &str,
    provider_ref: &str,
) -> StoreResult<Option<Attempt>> {
    one_as(
        c,
        "SELECT * FROM online_payments WHERE provider = $1 AND provider_ref = $2",
        vec![provider.into(), provider_ref.into()],
        row,
    )
    .await
}

/// Moves a started attempt to `status` (with the provider's payment and ours when paid); a
/// payment also settles one an out-of-order event marked expired. False when it was
/// settled already (a repeated or late event).
pub async fn settle<C: ConnectionTrait>(
    c: &C,
    id: uuid::Uuid,
    status: &str,
    payment_ref: Option<&str>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE online_payments SET status = $1, payment_ref = $2, updated_at = $3 \
         WHERE id = $4 AND (status = 'started' OR (status = 'expired' AND $5))",
        vec![
            status.into(),
            payment_ref.map(str::to_owned).into(),
            ms(now).into(),
            id.into(),
            (status == "paid" || status == "excess").into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Links a paid attempt to the payment recorded for it.
pub async fn link<C: ConnectionTrait>(
    c: &C,
    id: uuid::Uuid,
    payment: PaymentId,
) -> StoreResult<()> {
    exec(
        c,
        "UPDATE online_payments SET payment_id = $1 WHERE id = $2",
        vec![payment.as_uuid().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Records that the provider's event `event_id` is being handled, in the transaction of its
/// effect: false when it was handled before (its effect is already there).
pub async fn first_time<C: ConnectionTrait>(
    c: &C,
    provider: &str,
    event_id: &str,
    kind: &str,
    clinic: Option<ClinicId>,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "INSERT INTO provider_events (provider, event_id, kind, clinic_id, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, event_id) DO NOTHING",
        vec![
            provider.into(),
            event_id.into(),
            kind.into(),
            clinic.map(|c| c.as_uuid()).into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// The attempt a recorded payment came from, if it came online.
pub async fn of_payment<C: ConnectionTrait>(
    c: &C,
    payment: PaymentId,
) -> StoreResult<Option<Attempt>> {
    one_as(
        c,
        "SELECT * FROM online_payments WHERE payment_id = $1",
        vec![payment.as_uuid().into()],
        row,
    )
    .await
}

/// A started, unpaid attempt of `provider` for `amount` of `bill`, if one is open.
pub async fn open_for<C: ConnectionTrait>(
    c: &C,
    bill: BillId,
    provider: &str,
    amount: i64,
) -> StoreResult<Option<Attempt>> {
    one_as(
        c,
        "SELECT * FROM online_payments WHERE bill_id = $1 AND provider = $2 AND amount = $3 \
         AND status = 'started' ORDER BY created_at DESC LIMIT 1",
        vec![bill.as_uuid().into(), provider.into(), amount.into()],
        row,
    )
    .await
}
