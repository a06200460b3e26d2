//! The bill screen's moves besides editing the draft: taking a payment (a double submit
//! takes one), voiding, and an admin's credit notes and refunds.

use super::{
    bills::{FIELDS, render, view_of},
    error::{Page, PageError, PagePath},
    forms::{PageForm, failure, see_other},
};
use crate::routes;
use crate::{
    app::{
        bills,
        booking::Idempotency,
        payments::{self, PartInput},
    },
    auth::{
        RequestCtx,
        extract::{BillingDesk, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use axum::{extract::State, response::Response};
use domain::{BillId, ClinicId, Currency, Money, PaymentId};
use serde::Deserialize;

/// The payment and void forms.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActForm {
    pub cash: String,
    pub card: String,
    pub card_ref: String,
    pub upi: String,
    pub upi_ref: String,
    /// The form's own key: submitting it twice takes one payment.
    pub key: String,
    pub reason: String,
    /// A credit note's or refund's amount, as typed.
    pub amount: String,
    /// The payment a refund returns money from.
    pub payment: String,
}

impl ActForm {
    fn parts(&self, currency: &Currency) -> Result<Vec<PartInput>, AppError> {
        let mut parts = Vec::new();
        for (method, amount, reference) in [
            ("upi", &self.upi, &self.upi_ref),
            ("card", &self.card, &self.card_ref),
            ("cash", &self.cash, &String::new()),
        ] {
            if amount.trim().is_empty() {
                continue;
            }
            let m = Money::parse(currency, amount).map_err(|e| {
                AppError::field(
                    "payments",
                    format!("{}: {}", method.to_uppercase(), e.message),
                )
            })?;
            if m.minor() == 0 {
                continue;
            }
            parts.push(PartInput {
                method: method.into(),
                amount_minor: m.minor(),
                reference: reference.clone(),
            });
        }
        Ok(parts)
    }
}

/// POST /clinics/{clinic_id}/bills/{bill_id}/{action}: `pay` or `void`.
pub async fn act(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    PagePath((_, id, action)): PagePath<(ClinicId, BillId, String)>,
    PageForm(form): PageForm<ActForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let here = routes::bill(caller.clinic_id(), id);
    let result = match action.as_str() {
        "pay" => {
            let key = (!form.key.is_empty() && form.key.len() <= 200).then(|| Idempotency {
                key: format!("page:{}", form.key),
                request_hash: store::token_hash(&format!(
                    "{id}\n{}\n{}\n{}\n{}\n{}",
                    form.cash, form.card, form.card_ref, form.upi, form.upi_ref
                )),
            });
            match form.parts(&caller.clinic().currency) {
                Ok(parts) => {
                    payments::record_payment(&state, &ctx, &caller, id, &parts, key.as_ref())
                        .await
                        .map(|t| format!("{here}?receipt={}", t.receipt))
                }
                Err(e) => Err(e),
            }
        }
        "void" => bills::void_bill(&state, &ctx, &caller, id, &form.reason)
            .await
            .map(|_| format!("{here}?done=voided")),
        "email" => bills::email_receipt(&state, &ctx, &caller, id)
            .await
            .map(|_| format!("{here}?done=emailed")),
        "credit" | "refund" => {
            let refund_of = match action.as_str() {
                "refund" => Some(
                    form.payment
                        .parse::<PaymentId>()
                        .map_err(|_| AppError::NotFound)?,
                ),
                _ => None,
            };
            match Money::parse(&caller.clinic().currency, &form.amount) {
                Ok(m) => crate::app::credit_notes::create_credit_note(
                    &state,
                    &ctx,
                    &caller,
                    id,
                    m.minor(),
                    &form.reason,
                    refund_of,
                )
                .await
                .map(|_| format!("{here}?done=credited")),
                Err(e) => Err(AppError::field("amount_minor", e.message)),
            }
        }
        _ => return Err(AppError::NotFound.into()),
    };
    match result {
        Ok(to) => Ok(see_other(&to)),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let d = bills::get_bill(&state, &ctx, &caller, id).await?;
            let view = view_of(&state, &caller, d).await?;
            render(&state, &caller, view, errors, outcome).await
        }
    }
}
