//! Paying a bill online. The patient (or the desk for them) starts a checkout at a provider
//! for what is due; the bill is marked paid only when the provider's signed webhook says
//! so, never from the browser coming back. Each provider event is recorded in the
//! transaction of its effect, so a repeated, retried or late event changes nothing more.

use super::{
    bills::{BillDetail, detail},
    events,
    policy::Capability,
    scope::{Caller, SystemActor},
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    gateway::{CheckoutRequest, Effect, GatewayError},
    routes,
    state::AppState,
};
use domain::{BillId, Event, PaymentId, billing::PaymentMethod};
use serde_json::json;
use store::{
    StoreError, audit,
    online::{self, Attempt},
    payments::{self as paid_parts, NewPayment},
};

/// A started checkout: where to send the patient.
#[derive(Debug, Clone)]
pub struct Started {
    pub attempt: Attempt,
    /// True when the same checkout was started before (a retry).
    pub again: bool,
}

fn unavailable(e: GatewayError) -> AppError {
    match e {
        GatewayError::Refused(m) => {
            tracing::error!(error = %m, "payment provider refused a checkout");
            AppError::Conflict("The payment provider refused this payment; pay at the desk.".into())
        }
        other => {
            tracing::warn!(error = %other, "payment provider unavailable");
            AppError::Unavailable
        }
    }
}

/// Starts paying what is due on an issued bill through `provider`: the bill's patient, or
/// the billing desk. Started again for the same bill state, it is the same checkout.
pub async fn start_online_payment(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    provider: &str,
) -> AppResult<Started> {
    let c = state.store().conn();
    let d = detail(c, caller, id).await?;
    let b = &d.bill;
    let own = caller.is_user(b.patient_user_id) && b.status != domain::billing::BillStatus::Draft;
    if !own {
        caller.require(Capability::Billing)?;
    }
    let gateway = state
        .gateway(provider)
        .ok_or_else(|| {
            AppError::field(
                "provider",
                "Online payment through this provider is not set up.",
            )
        })?
        .clone();
    let due = b.due();
    if due <= 0 {
        return Err(AppError::Conflict("Nothing is due on this bill.".into()));
    }
    let number = b.number.clone().unwrap_or_default();
    let base = &state.settings().public_url;
    let back = if own {
        routes::my_bills()
    } else {
        routes::bill(caller.clinic_id(), id)
    };
    // A checkout of this bill for this amount is still open: the patient goes back to it.
    if let Some(open) = online::open_for(c, id, gateway.name(), due).await? {
        return Ok(Started {
            attempt: open,
            again: true,
        });
    }
    // Razorpay sends the patient back with a signed query, which DocSpot checks first.
    let success_url = match gateway.name() {
        "razorpay" => format!("{base}{}?next={back}", routes::razorpay_return()),
        _ => format!("{base}{back}?online=returned"),
    };
    let req = CheckoutRequest {
        bill: id.to_string(),
        amount: due,
        currency: b.currency.clone(),
        description: format!("{} · bill {number}", caller.clinic().name),
        success_url,
        cancel_url: format!("{base}{back}?online=cancelled"),
        // The same bill, paid the same amount so far: the same checkout.
        idempotency_key: format!("docspot-bill-{id}-paid-{}-due-{due}", b.paid),
        email: caller.me().map(|m| m.user().email.clone()).filter(|_| own),
    };
    let checkout = gateway.start(&req).await.map_err(unavailable)?;
    let now = state.now();
    let attempt = Attempt {
        id: uuid::Uuid::now_v7(),
        clinic_id: caller.clinic_id(),
        bill_id: id,
        provider: gateway.name().to_owned(),
        provider_ref: checkout.provider_ref.clone(),
        amount: due,
        currency: b.currency.clone(),
        status: "started".into(),
        redirect_url: checkout.redirect_url,
        payment_ref: None,
        created_at: now,
    };
    let tx = state.store().write().await?;
    match online::insert(&tx, &attempt, caller.user_id()).await {
        Err(StoreError::Conflict(_)) => {
            tx.rollback().await?;
            let earlier = online::by_ref(c, gateway.name(), &checkout.provider_ref)
                .await?
                .ok_or_else(|| AppError::Internal("online payment vanished".into()))?;
            return Ok(Started {
                attempt: earlier,
                again: true,
            });
        }
        other => other?,
    }
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("payment.online.start", "bill", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"provider": gateway.name(), "checkout": checkout.provider_ref, "amount": due})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(Started {
        attempt,
        again: false,
    })
}

/// What a webhook did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Its effect is recorded now.
    Applied,
    /// It was handled before, or changes nothing.
    Nothing,
}

/// Handles a provider's webhook: verifies it over the raw body, then applies its effect and
/// records its id in one transaction.
pub async fn webhook(
    state: &AppState,
    provider: &'static str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> AppResult<Handled> {
    let gateway = state.gateway(provider).ok_or(AppError::NotFound)?.clone();
    let now = state.now();
    let event = gateway.verify(headers, body, now).map_err(|e| {
        tracing::warn!(provider, error = %e, "webhook refused");
        match e {
            GatewayError::Signature(_) => {
                AppError::BadRequest("The signature does not verify.".into())
            }
            _ => AppError::BadRequest("The event cannot be read.".into()),
        }
    })?;
    apply(state, provider, &event.id, &event.kind, event.effect).await
}

/// Handles the signed query a provider sends the patient back with (Razorpay): it counts
/// like the provider's event, once.
pub async fn returned(
    state: &AppState,
    provider: &'static str,
    params: &[(String, String)],
) -> AppResult<Handled> {
    let gateway = state.gateway(provider).ok_or(AppError::NotFound)?.clone();
    let effect = gateway.verify_return(params).map_err(|e| {
        tracing::warn!(provider, error = %e, "payment return refused");
        AppError::BadRequest("The payment provider's signature does not verify.".into())
    })?;
    let id = match &effect {
        Effect::Paid { payment_ref, .. } => format!("return:{payment_ref}"),
        _ => return Ok(Handled::Nothing),
    };
    apply(state, provider, &id, "return", effect).await
}

/// Applies a verified event's effect and records its id, in one transaction.
async fn apply(
    state: &AppState,
    provider: &'static str,
    event_id: &str,
    kind: &str,
    effect: Effect,
) -> AppResult<Handled> {
    let now = state.now();
    let c = state.store().conn();
    let provider_ref = match &effect {
        Effect::Paid { provider_ref, .. } | Effect::Expired { provider_ref } => Some(provider_ref),
        Effect::None => None,
    };
    let attempt = match provider_ref {
        Some(r) => online::by_ref(c, provider, r).await?,
        None => None,
    };
    let tx = state.store().write().await?;
    let clinic_id = attempt.as_ref().map(|a| a.clinic_id);
    if !online::first_time(&tx, provider, event_id, kind, clinic_id, now).await? {
        return Ok(Handled::Nothing);
    }
    let Some(attempt) = attempt else {
        // Not one of ours, or nothing to do: remember it was seen.
        store::commit(tx).await?;
        return Ok(Handled::Nothing);
    };
    let clinic = super::clinics::get_clinic(state, attempt.clinic_id).await?;
    let caller = Caller::system(clinic, SystemActor::Webhook(provider));
    let ctx = SystemActor::Webhook(provider).ctx(event_id);
    let applied = match effect {
        Effect::Paid {
            payment_ref,
            amount,
            currency,
            ..
        } => {
            // A return names no amount: it is the checkout's.
            let (amount, currency) = if amount < 0 {
                (attempt.amount, attempt.currency.clone())
            } else {
                (amount, currency)
            };
            paid(
                &tx,
                &ctx,
                &caller,
                &attempt,
                &payment_ref,
                amount,
                &currency,
                now,
            )
            .await?
        }
        Effect::Expired { .. } => online::settle(&tx, attempt.id, "expired", None, now).await?,
        Effect::None => false,
    };
    store::commit(tx).await?;
    Ok(if applied {
        Handled::Applied
    } else {
        Handled::Nothing
    })
}

/// Records a provider's payment of `attempt` on its bill: once, and never beyond what is
/// due (a bill the desk was paid meanwhile keeps the money as an excess to refund).
#[allow(clippy::too_many_arguments)]
async fn paid<C: store::Conn>(
    tx: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    attempt: &Attempt,
    payment_ref: &str,
    amount: i64,
    currency: &str,
    now: jiff::Timestamp,
) -> AppResult<bool> {
    let d: BillDetail = detail(tx, caller, attempt.bill_id).await?;
    let b = &d.bill;
    let receipt = PaymentId::new();
    let fits = currency == b.currency && amount > 0 && amount <= b.due();
    // The attempt moves first: a concurrent handler of another event for the same checkout
    // waits on it here and then finds it paid.
    let to = if fits { "paid" } else { "excess" };
    if !online::settle(tx, attempt.id, to, Some(payment_ref), now).await? {
        return Ok(false);
    }
    if !fits {
        audit::append(
            tx,
            &caller.actor(ctx),
            audit::Event::new("payment.online.excess", "bill", b.id)
                .in_clinic(caller.clinic_id())
                .detail(
                    json!({"checkout": attempt.provider_ref, "payment": payment_ref,
                    "amount": amount, "currency": currency, "due": b.due()}),
                ),
            now,
        )
        .await?;
        tracing::warn!(bill = %b.id, amount, due = b.due(), "online payment beyond what is due: refund it");
        return Ok(true);
    }
    let status = b
        .status
        .after_payments(b.paid + b.credited + amount, b.content.total)
        .map_err(|e| AppError::Conflict(e.message))?;
    let part = NewPayment {
        id: receipt,
        method: PaymentMethod::Online,
        amount,
        tendered: amount,
        reference: payment_ref.chars().take(64).collect(),
    };
    paid_parts::add_payments(tx, b, receipt, &[part], status, None, None, now).await?;
    online::link(tx, attempt.id, receipt).await?;
    audit::append(
        tx,
        &caller.actor(ctx),
        audit::Event::new("payment.record", "bill", b.id)
            .in_clinic(caller.clinic_id())
            .detail(
                json!({"receipt": receipt, "parts": [{"method": "online", "amount": amount,
                "reference": payment_ref}], "checkout": attempt.provider_ref}),
            ),
        now,
    )
    .await?;
    events::record(
        tx,
        caller.clinic_id(),
        None,
        Event::PaymentRecorded {
            bill: b.id,
            patient: b.patient_id,
            payment: receipt,
            amount,
        },
        now,
    )
    .await?;
    Ok(true)
}
