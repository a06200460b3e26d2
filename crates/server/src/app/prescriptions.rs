//! Prescriptions: the rows a doctor writes in a draft consultation (locked when it is
//! signed), reading one, and the patient's own list. Reads are audited.

use super::{
    Fields, checked,
    consultations::{clinician, log, own_draft},
};
use crate::app::scope::Caller;
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    ConsultationId,
    consultation::{RxItem, RxItemInput, parse_rx_items},
    values::bounded_text,
};
use serde_json::json;
use store::{
    audit,
    consultations::{self, Prescription},
};

/// One prescription row as typed (also the API's).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RxRow {
    #[schema(max_length = 120)]
    pub drug: String,
    #[schema(max_length = 40)]
    pub strength: String,
    #[schema(max_length = 40)]
    pub form: String,
    #[schema(max_length = 40)]
    pub dose: String,
    #[schema(max_length = 60)]
    pub frequency: String,
    #[schema(max_length = 40)]
    pub duration: String,
    #[schema(max_length = 40)]
    pub route: String,
    #[schema(max_length = 300)]
    pub instructions: String,
}

impl RxRow {
    fn input(&self) -> RxItemInput<'_> {
        RxItemInput {
            drug: &self.drug,
            strength: &self.strength,
            form: &self.form,
            dose: &self.dose,
            frequency: &self.frequency,
            duration: &self.duration,
            route: &self.route,
            instructions: &self.instructions,
        }
    }
}

/// The most rows a form may send (blank ones included).
pub const MAX_ROWS: usize = 60;

/// Checks a prescription's rows (blank ones dropped) and notes, reporting every problem.
pub(super) fn parse_rx(rows: &[RxRow], notes: &str) -> AppResult<(Vec<RxItem>, String)> {
    if rows.len() > MAX_ROWS {
        return Err(AppError::field("items", "Too many rows."));
    }
    let inputs: Vec<RxItemInput<'_>> = rows.iter().map(RxRow::input).collect();
    let mut f = Fields::default();
    let items = match parse_rx_items(&inputs) {
        Ok(items) => Some(items),
        Err(list) => {
            for e in list {
                f.push(e.field, e.message);
            }
            None
        }
    };
    let notes = f.take(bounded_text("rx_notes", notes, 1000, false));
    f.finish()?;
    Ok((checked(items)?, checked(notes)?))
}

/// Writes the prescription of the caller's draft consultation (blank rows are dropped).
pub async fn save_prescription(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
    rows: &[RxRow],
    notes: &str,
) -> AppResult<Prescription> {
    let (items, notes) = parse_rx(rows, notes)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let e = own_draft(&tx, caller, id).await?;
    let rx = consultations::put_prescription(&tx, &e, &items, &notes, now).await?;
    log(
        &tx,
        ctx,
        caller,
        "prescription.save",
        "prescription",
        rx,
        now,
    )
    .await?;
    let p = consultations::prescription_of(&tx, id)
        .await?
        .ok_or_else(|| AppError::Internal("prescription vanished".into()))?;
    store::commit(tx).await?;
    Ok(p)
}

/// One prescription: the clinic's doctors, or the patient once it is signed (audited).
pub async fn get_prescription(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: domain::PrescriptionId,
) -> AppResult<Prescription> {
    let now = state.now();
    let tx = state.store().write().await?;
    let p = consultations::find_prescription(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let own = caller.is_user(p.patient_user_id) && p.signed_at.is_some();
    if !own {
        clinician(&tx, caller).await?;
    }
    log(
        &tx,
        ctx,
        caller,
        "prescription.read",
        "prescription",
        id,
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(p)
}

/// A prescription to print, with its patient's record: whoever may read it (see
/// [`get_prescription`]; audited).
pub async fn printable(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: domain::PrescriptionId,
) -> AppResult<(Prescription, store::patients::Patient)> {
    let p = get_prescription(state, ctx, caller, id).await?;
    let patient = store::patients::find(state.store().conn(), caller.clinic_id(), p.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((p, patient))
}

/// The signed-in patient's prescriptions from every clinic (audited).
pub async fn my_prescriptions(
    state: &AppState,
    ctx: &RequestCtx,
    me: &crate::auth::CurrentUser,
) -> AppResult<Vec<Prescription>> {
    let now = state.now();
    let tx = state.store().write().await?;
    let list = consultations::prescriptions_of_user(&tx, me.id(), 200).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("prescription.list", "user", me.id())
            .detail(json!({"count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}
