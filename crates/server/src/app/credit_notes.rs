//! Correcting an issued bill: a credit note lowers what it owes, numbered in the clinic's
//! credit-note series (`CN/26-27/0001`); a refund returns money from one of its payments
//! with a credit note of the same amount (online payments through their provider, with an
//! idempotency key, before anything is written). An admin's move; audited.

use super::{
    billing_settings::settings_in,
    bills::{BillDetail, detail},
    local_time::date_of,
    policy::Capability,
    scope::Caller,
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    gateway::GatewayError,
    state::AppState,
};
use domain::{
    BillId, PaymentId,
    billing::{self, BillStatus, FinancialYear, PaymentMethod},
    values::bounded_text,
};
use serde_json::json;
use store::{
    StoreError, audit,
    credit_notes::{self, NewCreditNote},
    invoices::{self, Series},
};

/// Issues a credit note of `amount` on bill `id`, refunding it from payment `refund_of`
/// when given. Without a refund it may lower only what is still due.
pub async fn create_credit_note(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    amount: i64,
    reason: &str,
    refund_of: Option<PaymentId>,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    if !caller.can(Capability::CorrectBills) {
        return Err(AppError::Forbidden(
            "Only a clinic admin can issue credit notes and refunds.".into(),
        ));
    }
    credit(state, ctx, caller, id, amount, reason, refund_of).await
}

/// [`create_credit_note`], the caller's right to correct the bill already decided (an
/// admin, or the billing subscriber refunding a deposit).
pub(super) async fn credit(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    amount: i64,
    reason: &str,
    refund_of: Option<PaymentId>,
) -> AppResult<BillDetail> {
    let reason = bounded_text("reason", reason, 200, true)?;
    if amount <= 0 {
        return Err(AppError::field(
            "amount_minor",
            "Enter an amount above zero.",
        ));
    }
    let c = state.store().conn();
    let d = detail(c, caller, id).await?;
    let b = &d.bill;
    if matches!(b.status, BillStatus::Draft | BillStatus::Void) {
        return Err(AppError::Conflict(format!(
            "A {} bill is not credited; {}.",
            b.status.label().to_lowercase(),
            if b.status == BillStatus::Draft {
                "edit the draft instead"
            } else {
                "it owes nothing"
            }
        )));
    }
    let mut refund_ref = None;
    match refund_of {
        Some(p) => {
            let payment = d
                .payments
                .iter()
                .find(|x| x.id == p)
                .ok_or(AppError::NotFound)?;
            if amount > payment.amount - payment.refunded {
                return Err(AppError::field(
                    "amount_minor",
                    "That is more than is left of this payment to refund.",
                ));
            }
            if payment.method == PaymentMethod::Online {
                let attempt = store::online::of_payment(c, p)
                    .await?
                    .ok_or_else(|| AppError::Internal("online payment without attempt".into()))?;
                let gateway = state.gateway(&attempt.provider).ok_or_else(|| {
                    AppError::Conflict("The payment provider is not set up any more.".into())
                })?;
                let key = format!("docspot-refund-{p}-{}-{amount}", payment.refunded);
                let r = gateway
                    .refund(&payment.reference, amount, &key)
                    .await
                    .map_err(|e| match e {
                        GatewayError::Refused(m) => AppError::Conflict(format!(
                            "The payment provider refused the refund: {m}"
                        )),
                        _ => AppError::Unavailable,
                    })?;
                refund_ref = Some(r);
            }
        }
        None if amount > b.due() => {
            return Err(AppError::field(
                "amount_minor",
                "A credit note without a refund lowers only what is still due; refund a payment instead.",
            ));
        }
        None if b.paid == 0 && amount == b.content.total - b.credited => {
            return Err(AppError::field(
                "amount_minor",
                "Nothing was paid on this bill: void it instead of crediting all of it.",
            ));
        }
        None => {}
    }
    let refunded = if refund_of.is_some() { amount } else { 0 };
    let status = b
        .status
        .after_payments(b.paid - refunded + b.credited + amount, b.content.total)
        .map_err(|e| AppError::Conflict(e.message))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let s = settings_in(&tx, caller).await?;
    let year = FinancialYear::containing(date_of(caller.clinic(), now), s.year_start_month)?;
    let seq =
        invoices::next_number(&tx, caller.clinic_id(), Series::CreditNote, year.start()).await?;
    let number =
        billing::invoice_number("CN", &year, seq).map_err(|e| AppError::Conflict(e.message))?;
    let note = NewCreditNote {
        id: uuid::Uuid::now_v7(),
        clinic_id: caller.clinic_id(),
        bill_id: id,
        number: number.clone(),
        amount,
        reason: reason.clone(),
        refund_of,
        refund_ref: refund_ref.clone(),
        created_by: caller.user_id(),
    };
    match credit_notes::record(&tx, &note, b.paid, b.credited, status, now).await {
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(
                "The bill or the payment changed meanwhile; reload it and try again.".into(),
            ));
        }
        other => other?,
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("credit_note.create", "bill", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"number": number, "amount": amount, "reason": reason,
                "refund_of": refund_of, "refund_ref": refund_ref})),
        now,
    )
    .await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}
