//! Acting on a consultation from its page: opening it from the queue, adding a note to a
//! signed one.

use super::consultation::{View, page};
use super::{
    error::{Page, PageError, PagePath},
    forms::{PageForm, failure, see_other},
};
use crate::{
    app::consultations::{self},
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    state::AppState,
};
use axum::{extract::State, response::Response};
use domain::{ClinicId, ConsultationId, TokenId};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddendumForm {
    body: String,
}

/// POST /clinics/{clinic_id}/consultations/{id}/addenda.
pub async fn add_addendum(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, ConsultationId)>,
    PageForm(form): PageForm<AddendumForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    match consultations::add_addendum(&state, &ctx, &caller, id, &form.body).await {
        Ok(_) => Ok(see_other(&format!(
            "/clinics/{}/consultations/{id}?done=added",
            caller.clinic_id()
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, &[("body", "Addendum")])?;
            let c = consultations::get_consultation(&state, &ctx, &caller, id).await?;
            let view = View::refused(errors);
            let p = page(&state, &ctx, &caller, c, view).await?;
            Ok(outcome.render(&p))
        }
    }
}

/// POST /clinics/{clinic_id}/queue/tokens/{token_id}/consult: open (or reopen) the
/// consultation for a token of the doctor's queue.
pub async fn consult(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, token)): PagePath<(ClinicId, TokenId)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let e = consultations::start_consultation(&state, &ctx, &caller, token).await?;
    Ok(see_other(&format!(
        "/clinics/{}/consultations/{}",
        caller.clinic_id(),
        e.id
    )))
}
