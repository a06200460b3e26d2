//! Credit notes: an issued bill corrected by an amount (what it owes goes down), with or
//! without money returned from one of its payments. The database keeps a payment from being
//! refunded beyond itself and a bill's payments and credits within its total.

use crate::{StoreError, StoreResult, all_as, exec, get, ms, ts};
use domain::{BillId, ClinicId, PaymentId, UserId, billing::BillStatus};
use jiff::Timestamp;
use sea_orm::ConnectionTrait;

/// A credit note as listed on its bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditNote {
    pub id: uuid::Uuid,
    pub number: String,
    pub amount: i64,
    pub reason: String,
    pub refund_of: Option<PaymentId>,
    pub refund_ref: Option<String>,
    pub created_at: Timestamp,
}

/// A new credit note.
#[derive(Debug, Clone)]
pub struct NewCreditNote {
    pub id: uuid::Uuid,
    pub clinic_id: ClinicId,
    pub bill_id: BillId,
    pub number: String,
    pub amount: i64,
    pub reason: String,
    pub refund_of: Option<PaymentId>,
    pub refund_ref: Option<String>,
    pub created_by: Option<UserId>,
}

/// Records `n` on its bill, which had `paid_before` paid and `credited_before` credited: the
/// credit goes up by its amount, and with a refund the payment's refunded amount goes up and
/// the bill's paid amount down by as much. `Conflict("bills_paid_changed")` if the bill
/// moved meanwhile; the database's checks refuse a payment refunded beyond itself
/// (`payments_not_overrefunded`) and a bill credited beyond what is left
/// (`bills_not_overpaid`).
pub async fn record<C: ConnectionTrait>(
    c: &C,
    n: &NewCreditNote,
    paid_before: i64,
    credited_before: i64,
    status: BillStatus,
    now: Timestamp,
) -> StoreResult<()> {
    let refunded = if n.refund_of.is_some() { n.amount } else { 0 };
    let moved = exec(
        c,
        "UPDATE bills SET credited = credited + $1, paid = paid - $2, status = $3, \
         updated_at = $4, version = version + 1 \
         WHERE clinic_id = $5 AND id = $6 AND paid = $7 AND credited = $8",
        vec![
            n.amount.into(),
            refunded.into(),
            status.as_str().into(),
            ms(now).into(),
            n.clinic_id.as_uuid().into(),
            n.bill_id.as_uuid().into(),
            paid_before.into(),
            credited_before.into(),
        ],
    )
    .await?;
    if moved != 1 {
        return Err(StoreError::Conflict("bills_paid_changed".into()));
    }
    if let Some(p) = n.refund_of {
        let r = exec(
            c,
            "UPDATE payments SET refunded = refunded + $1 WHERE clinic_id = $2 AND id = $3 \
             AND bill_id = $4",
            vec![
                n.amount.into(),
                n.clinic_id.as_uuid().into(),
                p.as_uuid().into(),
                n.bill_id.as_uuid().into(),
            ],
        )
        .await?;
        if r != 1 {
            return Err(StoreError::Conflict("payments_not_overrefunded".into()));
        }
    }
    exec(
        c,
        "INSERT INTO credit_notes (id, clinic_id, bill_id, number, amount, reason, refund_of, \
         refund_ref, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            n.id.into(),
            n.clinic_id.as_uuid().into(),
            n.bill_id.as_uuid().into(),
            n.number.clone().into(),
            n.amount.into(),
            n.reason.clone().into(),
            n.refund_of.map(|p| p.as_uuid()).into(),
            n.refund_ref.clone().into(),
            n.created_by.map(|u| u.as_uuid()).into(),
            ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The credit notes of a bill, oldest first.
pub async fn of_bill<C: ConnectionTrait>(c: &C, bill: BillId) -> StoreResult<Vec<CreditNote>> {
    all_as(
        c,
        "SELECT * FROM credit_notes WHERE bill_id = $1 ORDER BY created_at, number",
        vec![bill.as_uuid().into()],
        |r| {
            Ok(CreditNote {
                id: get(r, "id")?,
                number: get(r, "number")?,
                amount: get(r, "amount")?,
                reason: get(r, "reason")?,
                refund_of: get::<Option<uuid::Uuid>>(r, "refund_of")?.map(PaymentId::from_uuid),
                refund_ref: get(r, "refund_ref")?,
                created_at: ts(get(r, "created_at")?)?,
            })
        },
    )
    .await
}
