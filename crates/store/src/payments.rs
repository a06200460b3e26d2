//! Payments towards bills: the parts of one payment taken together on one receipt, moving
//! the bill only if nobody paid it meanwhile and never beyond what is due.

use crate::{StoreError, StoreResult, all_as, bills::Bill, exec, get, ms, one_as, ts};
use domain::{
    BillId, ClinicId, PaymentId, UserId,
    billing::{BillStatus, PaymentMethod},
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult};

/// A payment towards a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: PaymentId,
    pub bill_id: BillId,
    /// The receipt it was taken on: the parts of one split payment share it.
    pub receipt_id: PaymentId,
    pub method: PaymentMethod,
    /// What it paid towards the bill.
    pub amount: i64,
    /// What was handed over (cash: amount plus change).
    pub tendered: i64,
    pub reference: String,
    pub refunded: i64,
    pub received_by: Option<UserId>,
    pub received_by_name: Option<String>,
    pub created_at: Timestamp,
}

/// A method from its stored word.
pub fn method(raw: &str) -> StoreResult<PaymentMethod> {
    [
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::Upi,
        PaymentMethod::Online,
    ]
    .into_iter()
    .find(|m| m.as_str() == raw)
    .ok_or_else(|| StoreError::Corrupt(format!("payment method {raw}")))
}

fn payment_row(r: &QueryResult) -> StoreResult<PaymentRow> {
    Ok(PaymentRow {
        id: PaymentId::from_uuid(get(r, "id")?),
        bill_id: BillId::from_uuid(get(r, "bill_id")?),
        receipt_id: PaymentId::from_uuid(get(r, "receipt_id")?),
        method: method(&get::<String>(r, "method")?)?,
        amount: get(r, "amount")?,
        tendered: get(r, "tendered")?,
        reference: get(r, "reference")?,
        refunded: get(r, "refunded")?,
        received_by: get::<Option<uuid::Uuid>>(r, "received_by")?.map(UserId::from_uuid),
        received_by_name: get(r, "received_by_name")?,
        created_at: ts(get(r, "created_at")?)?,
    })
}

/// The payments of a bill, oldest first.
pub async fn payments_of<C: ConnectionTrait>(c: &C, bill: BillId) -> StoreResult<Vec<PaymentRow>> {
    all_as(
        c,
        "SELECT x.*, u.name AS received_by_name FROM payments x \
         LEFT JOIN users u ON u.id = x.received_by WHERE x.bill_id = $1 ORDER BY x.created_at, x.id",
        vec![bill.as_uuid().into()],
        payment_row,
    )
    .await
}

/// One part of a payment to record.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: PaymentId,
    pub method: PaymentMethod,
    pub amount: i64,
    pub tendered: i64,
    pub reference: String,
}

/// Records the parts of one payment on `bill`, which had `paid_before` paid: the bill's
/// paid amount and status move only if nobody paid in between, and never beyond what is
/// due. Otherwise `Conflict("bills_paid_changed")` (or the database's
/// `Conflict("bills_not_overpaid")`); a UTR recorded before is
/// `Conflict("payments_reference_key")`.
#[allow(clippy::too_many_arguments)]
pub async fn add_payments<C: ConnectionTrait>(
    c: &C,
    bill: &Bill,
    receipt: PaymentId,
    parts: &[NewPayment],
    status: BillStatus,
    cash_session: Option<domain::CashSessionId>,
    by: Option<UserId>,
    now: Timestamp,
) -> StoreResult<()> {
    let total: i64 = parts.iter().map(|p| p.amount).sum();
    let n = exec(
        c,
        "UPDATE bills SET paid = paid + $1, status = $2, updated_at = $3, version = version + 1 \
         WHERE clinic_id = $4 AND id = $5 AND paid = $6",
        vec![
            total.into(),
            status.as_str().into(),
            ms(now).into(),
            bill.clinic_id.as_uuid().into(),
            bill.id.as_uuid().into(),
            bill.paid.into(),
        ],
    )
    .await?;
    if n != 1 {
        return Err(StoreError::Conflict("bills_paid_changed".into()));
    }
    for p in parts {
        exec(
            c,
            "INSERT INTO payments (id, clinic_id, bill_id, receipt_id, method, amount, tendered, \
             reference, refunded, cash_session_id, received_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11)",
            vec![
                p.id.as_uuid().into(),
                bill.clinic_id.as_uuid().into(),
                bill.id.as_uuid().into(),
                receipt.as_uuid().into(),
                p.method.as_str().into(),
                p.amount.into(),
                p.tendered.into(),
                p.reference.clone().into(),
                cash_session.map(|s| s.as_uuid()).into(),
                by.map(|u| u.as_uuid()).into(),
                ms(now).into(),
            ],
        )
        .await?;
    }
    Ok(())
}

/// The bill a receipt (the first part of a payment) was taken on.
pub async fn bill_of_receipt<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    receipt: PaymentId,
) -> StoreResult<Option<BillId>> {
    one_as(
        c,
        "SELECT bill_id FROM payments WHERE clinic_id = $1 AND id = $2",
        vec![clinic.as_uuid().into(), receipt.as_uuid().into()],
        |r| Ok(BillId::from_uuid(get(r, "bill_id")?)),
    )
    .await
}
