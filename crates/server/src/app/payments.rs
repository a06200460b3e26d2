//! Taking money at the desk: cash, card, UPI, or several at once, on one receipt. Cash gives
//! change; a card or UPI part needs its reference. A payment moves the bill only if nobody
//! paid it meanwhile, and the database refuses any bill paid beyond what is due, so
//! concurrent payments never overpay. `Idempotency-Key` makes a retry return the first
//! receipt.

use super::{
    bills::{BillDetail, detail},
    booking::Idempotency,
    events,
    policy::Capability,
    scope::Caller,
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    BillId, Event, PaymentId,
    billing::{self, PaymentMethod},
};
use serde_json::json;
use store::{
    StoreError, audit, idempotency,
    payments::{self as parts, NewPayment},
};

/// Most parts one payment may be split into.
pub const MAX_PARTS: usize = 4;

/// One part of a payment as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartInput {
    /// `cash`, `card` or `upi`.
    pub method: String,
    /// For cash, what was handed over; otherwise what this part pays. In minor units.
    pub amount_minor: i64,
    /// The card terminal's reference or the UPI transaction's UTR; required for both.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub reference: String,
}

/// What a payment did: its receipt and the change to hand back.
#[derive(Debug, Clone)]
pub struct Taken {
    pub detail: BillDetail,
    pub receipt: PaymentId,
    pub change: i64,
    /// True when this answers a retry with the same `Idempotency-Key`.
    pub replay: bool,
}

fn method_of(raw: &str) -> AppResult<PaymentMethod> {
    match raw.trim() {
        "cash" => Ok(PaymentMethod::Cash),
        "card" => Ok(PaymentMethod::Card),
        "upi" => Ok(PaymentMethod::Upi),
        _ => Err(AppError::field(
            "payments",
            "The desk takes cash, card or upi.",
        )),
    }
}

fn reference_of(raw: &str) -> AppResult<String> {
    let r = raw.trim();
    if r.len() > 64 || !r.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::field(
            "payments",
            "A reference is up to 64 letters, digits and marks, without spaces.",
        ));
    }
    Ok(r.to_owned())
}

async fn replay(
    state: &AppState,
    caller: &Caller,
    rec: idempotency::Recorded,
    request_hash: &str,
) -> AppResult<Taken> {
    if rec.request_hash != request_hash {
        return Err(AppError::field(
            "Idempotency-Key",
            "This key was already used for a different request.",
        ));
    }
    let c = state.store().conn();
    let receipt = PaymentId::from_uuid(rec.result_id);
    let bill = parts::bill_of_receipt(c, caller.clinic_id(), receipt)
        .await?
        .ok_or_else(|| {
            AppError::field("Idempotency-Key", "This key was used at another clinic.")
        })?;
    let detail = detail(c, caller, bill).await?;
    let change = detail
        .payments
        .iter()
        .filter(|p| p.receipt_id == receipt)
        .map(|p| p.tendered - p.amount)
        .sum();
    Ok(Taken {
        detail,
        receipt,
        change,
        replay: true,
    })
}

/// Takes a payment on an issued bill, split into up to [`MAX_PARTS`] parts.
pub async fn record_payment(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    parts: &[PartInput],
    idem: Option<&Idempotency>,
) -> AppResult<Taken> {
    caller.require(Capability::Billing)?;
    let me = caller.person()?.id();
    if parts.len() > MAX_PARTS {
        return Err(AppError::field(
            "payments",
            format!("Split a payment into at most {MAX_PARTS} parts."),
        ));
    }
    let mut typed = Vec::with_capacity(parts.len());
    for p in parts {
        typed.push(billing::Payment {
            method: method_of(&p.method)?,
            amount: p.amount_minor,
            reference: reference_of(&p.reference)?,
        });
    }
    let c = state.store().conn();
    if let Some(i) = idem
        && let Some(rec) = idempotency::find(c, me, &i.key).await?
    {
        return replay(state, caller, rec, &i.request_hash).await;
    }
    let now = state.now();
    let receipt = PaymentId::new();
    let tx = state.store().write().await?;
    // The key first: a concurrent retry waits here for the first attempt and then answers
    // with its receipt, instead of finding the bill already paid.
    if let Some(i) = idem {
        match idempotency::insert(&tx, me, &i.key, &i.request_hash, receipt.as_uuid(), now).await {
            Err(StoreError::Conflict(_)) => {
                tx.rollback().await?;
                let rec = idempotency::find(c, me, &i.key)
                    .await?
                    .ok_or_else(|| AppError::Internal("idempotency record vanished".into()))?;
                return replay(state, caller, rec, &i.request_hash).await;
            }
            other => other?,
        }
    }
    let bill = detail(&tx, caller, id).await?.bill;
    if matches!(
        bill.status,
        billing::BillStatus::Draft | billing::BillStatus::Void
    ) {
        return Err(AppError::Conflict(format!(
            "This bill is {}; only an issued bill is paid.",
            bill.status.label().to_lowercase()
        )));
    }
    let settled =
        billing::settle(bill.due(), &typed).map_err(|e| AppError::field(e.field, e.message))?;
    if settled.applied.contains(&0) {
        return Err(AppError::field(
            "payments",
            "One part pays nothing: the others already cover what is due.",
        ));
    }
    let rows: Vec<NewPayment> = typed
        .iter()
        .zip(&settled.applied)
        .enumerate()
        .map(|(i, (p, applied))| NewPayment {
            id: if i == 0 { receipt } else { PaymentId::new() },
            method: p.method,
            amount: *applied,
            tendered: p.amount.max(*applied),
            reference: p.reference.clone(),
        })
        .collect();
    let paid: i64 = settled.applied.iter().sum();
    let status = bill
        .status
        .after_payments(bill.paid + bill.credited + paid, bill.content.total)
        .map_err(|e| AppError::Conflict(e.message))?;
    let session = store::cash::open_session_of(&tx, caller.clinic_id(), me).await?;
    match parts::add_payments(&tx, &bill, receipt, &rows, status, session, Some(me), now).await {
        Err(StoreError::Conflict(c)) if c == "payments_reference_key" => {
            return Err(AppError::field(
                "payments",
                "This reference was already recorded for another payment.",
            ));
        }
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(
                "Another payment was taken on this bill meanwhile; check what is still due.".into(),
            ));
        }
        other => other?,
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("payment.record", "bill", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({
                "receipt": receipt,
                "parts": rows.iter().map(|r| json!({"method": r.method.as_str(), "amount": r.amount,
                    "reference": r.reference})).collect::<Vec<_>>(),
                "change": settled.change,
            })),
        now,
    )
    .await?;
    events::record(
        &tx,
        caller.clinic_id(),
        Some(me),
        Event::PaymentRecorded {
            bill: id,
            patient: bill.patient_id,
            payment: receipt,
            amount: paid,
        },
        now,
    )
    .await?;
    let detail = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(Taken {
        detail,
        receipt,
        change: settled.change,
        replay: false,
    })
}
