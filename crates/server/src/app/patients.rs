//! Finding a clinic's patients.

use crate::{
    auth::extract::{ClinicCaller, RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use serde_json::json;
use store::{audit, patients};

/// Patients whose name, phone or MRN matches `q` (staff; at least 2 characters).
pub async fn search_patients(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &ClinicCaller,
    q: &str,
) -> AppResult<Vec<patients::Patient>> {
    if !caller.is_staff() {
        return Err(AppError::NotFound);
    }
    let q = q.trim();
    if q.chars().count() < 2 || q.len() > 100 {
        return Err(AppError::field(
            "q",
            "Type 2 to 100 characters of a name, phone or MRN.",
        ));
    }
    let now = state.now();
    let tx = state.store().write().await?;
    let list = patients::search(&tx, caller.clinic.id, q, 20).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(caller.me.id())),
        audit::Event::new("patient.search", "clinic", caller.clinic.id)
            .in_clinic(caller.clinic.id)
            .detail(json!({"count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}
