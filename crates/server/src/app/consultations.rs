//! The consultation: opened from the queue, saved as a draft as often as the doctor likes,
//! signed once (then locked; later notes are addenda), with the prescription written in it.
//! Only the clinic's doctors read clinical notes; every read is audited.

use super::{
    local_time::date_of,
    prescriptions::{RxRow, parse_rx},
    queue::{apply, commit_change, doctor_free_for, end_visit},
};
use crate::app::{policy::Capability, scope::Caller};

pub use super::consultation_form::ConsultationForm;
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    ConsultationId, TokenId,
    queue::{TokenMove, TokenStatus},
    values::bounded_text,
};
use store::{
    Conn, audit,
    consultations::{self, Addendum, Consultation, NewConsultation, Notes, Prescription},
    doctors, queue,
};

/// The caller's doctor profile in the clinic: the only way to clinical notes. Everyone
/// else, receptionists and admins who are not doctors included, gets 404.
pub(super) async fn clinician<C: Conn>(c: &C, caller: &Caller) -> AppResult<doctors::Doctor> {
    if !caller.can(Capability::WriteConsultation) {
        return Err(AppError::NotFound);
    }
    doctors::of_user(c, caller.clinic_id(), caller.person()?.id())
        .await?
        .ok_or(AppError::NotFound)
}

pub(super) async fn log(
    c: &impl Conn,
    ctx: &RequestCtx,
    caller: &Caller,
    action: &str,
    kind: &str,
    id: impl ToString,
    now: jiff::Timestamp,
) -> AppResult<()> {
    audit::append(
        c,
        &caller.actor(ctx),
        audit::Event::new(action, kind, id).in_clinic(caller.clinic_id()),
        now,
    )
    .await?;
    Ok(())
}

/// Opens the consultation for a token of the caller's queue, moving the token to "with the
/// doctor". Opening it again returns the same consultation.
pub async fn start_consultation(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    token: TokenId,
) -> AppResult<Consultation> {
    let now = state.now();
    let tx = state.store().write().await?;
    let doctor = clinician(&tx, caller).await?;
    let t = queue::find(&tx, caller.clinic_id(), token)
        .await?
        .ok_or(AppError::NotFound)?;
    if t.doctor_id != doctor.id {
        return Err(AppError::Forbidden(
            "This patient is in another doctor's queue.".into(),
        ));
    }
    if let Some(e) = consultations::of_token(&tx, caller.clinic_id(), token).await? {
        return Ok(e);
    }
    if t.status != TokenStatus::InConsultation {
        doctor_free_for(&tx, &t).await?;
        apply(&tx, &t, TokenMove::Start, now).await?;
    }
    let new = NewConsultation {
        clinic_id: caller.clinic_id(),
        patient_id: t.patient_id,
        doctor_id: doctor.id,
        token_id: Some(t.id),
        appointment_id: t.appointment_id,
    };
    let id = consultations::insert(&tx, &new, now).await?;
    log(&tx, ctx, caller, "encounter.start", "encounter", id, now).await?;
    let e = consultations::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or_else(|| AppError::Internal("new consultation vanished".into()))?;
    commit_change(state, tx, caller.clinic_id()).await?;
    Ok(e)
}

/// A consultation with its addenda and prescription.
#[derive(Debug, Clone)]
pub struct ConsultationRecord {
    pub consultation: Consultation,
    pub addenda: Vec<Addendum>,
    pub prescription: Option<Prescription>,
}

/// One consultation (the clinic's doctors; audited).
pub async fn get_consultation(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
) -> AppResult<ConsultationRecord> {
    let now = state.now();
    let tx = state.store().write().await?;
    clinician(&tx, caller).await?;
    let consultation = load(&tx, caller, id).await?;
    log(&tx, ctx, caller, "encounter.read", "encounter", id, now).await?;
    store::commit(tx).await?;
    Ok(consultation)
}

/// The consultation with its addenda and prescription, read in `c`'s transaction.
async fn load<C: Conn>(
    c: &C,
    caller: &Caller,
    id: ConsultationId,
) -> AppResult<ConsultationRecord> {
    let consultation = consultations::find(c, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ConsultationRecord {
        consultation,
        addenda: consultations::addenda(c, id).await?,
        prescription: consultations::prescription_of(c, id).await?,
    })
}

/// The caller's own draft, at the version they read.
pub(super) async fn own_draft<C: Conn>(
    c: &C,
    caller: &Caller,
    id: ConsultationId,
) -> AppResult<Consultation> {
    clinician(c, caller).await?;
    let e = consultations::find(c, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if e.doctor_user_id != caller.person()?.id() {
        return Err(AppError::Forbidden(
            "Only the doctor who saw the patient edits this consultation; add an addendum once it is signed."
                .into(),
        ));
    }
    if e.signed {
        return Err(AppError::Conflict(
            "This consultation is signed and locked; add an addendum instead.".into(),
        ));
    }
    Ok(e)
}

fn stale() -> AppError {
    AppError::Conflict(
        "This consultation was saved elsewhere meanwhile; reload it and make your change again."
            .into(),
    )
}

/// The form's notes, checked, and the version it was read at.
fn notes_of(state: &AppState, caller: &Caller, form: &ConsultationForm) -> AppResult<(Notes, i32)> {
    let version = form
        .version
        .ok_or_else(|| AppError::field("version", "Send the version you read."))?;
    let today = date_of(caller.clinic(), state.now());
    Ok((form.parse(today)?, version))
}

/// Saves the caller's draft notes at `version` in `c`'s transaction (audited).
async fn write_notes<C: Conn>(
    c: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
    version: i32,
    notes: &Notes,
    now: jiff::Timestamp,
) -> AppResult<Consultation> {
    let e = own_draft(c, caller, id).await?;
    if e.version != version || !consultations::save(c, id, version, notes, now).await? {
        return Err(stale());
    }
    log(c, ctx, caller, "encounter.save", "encounter", id, now).await?;
    Ok(e)
}

/// Saves the draft (the doctor who opened it; nothing is lost between saves).
pub async fn save_consultation(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
    form: &ConsultationForm,
) -> AppResult<ConsultationRecord> {
    let (notes, version) = notes_of(state, caller, form)?;
    let now = state.now();
    let tx = state.store().write().await?;
    write_notes(&tx, ctx, caller, id, version, &notes, now).await?;
    // What was just written, for the answer: not a read of its own to audit.
    let saved = load(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(saved)
}

/// Signs the draft at `version`: it is locked from then on. A visit still with the doctor
/// in the queue ends with it.
pub async fn sign_consultation(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
    version: i32,
) -> AppResult<ConsultationRecord> {
    let now = state.now();
    let tx = state.store().write().await?;
    let e = own_draft(&tx, caller, id).await?;
    if e.version != version {
        return Err(stale());
    }
    sign_in(&tx, ctx, caller, &e, version, now).await?;
    let signed = load(&tx, caller, id).await?;
    commit_change(state, tx, caller.clinic_id()).await?;
    Ok(signed)
}

/// Signs `e` at `version` in `c`'s transaction and ends its visit if still with the doctor.
async fn sign_in<C: Conn>(
    c: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    e: &Consultation,
    version: i32,
    now: jiff::Timestamp,
) -> AppResult<()> {
    if !consultations::sign(c, e.id, version, caller.person()?.id(), now).await? {
        return Err(stale());
    }
    if let Some(t) = e.token_id
        && let Some(t) = queue::find(c, caller.clinic_id(), t).await?
        && t.status == TokenStatus::InConsultation
    {
        end_visit(c, &t, now).await?;
        log(c, ctx, caller, "queue.end", "queue_token", t.id, now).await?;
    }
    log(c, ctx, caller, "encounter.sign", "encounter", e.id, now).await?;
    let signed = domain::Event::ConsultationSigned {
        consultation: e.id,
        doctor: e.doctor_id,
        patient: e.patient_id,
    };
    super::events::record(c, caller.clinic_id(), caller.user_id(), signed, now).await?;
    Ok(())
}

/// Adds a note to a signed consultation (any doctor of the clinic), with author and time.
pub async fn add_addendum(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
    body: &str,
) -> AppResult<Addendum> {
    let body = bounded_text("body", body, 4000, true)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let doctor = clinician(&tx, caller).await?;
    let e = consultations::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !e.signed {
        return Err(AppError::Conflict(
            "The consultation is still a draft; edit it instead.".into(),
        ));
    }
    consultations::add_addendum(&tx, &e, caller.person()?.id(), &doctor.name, &body, now).await?;
    log(&tx, ctx, caller, "encounter.addendum", "encounter", id, now).await?;
    store::commit(tx).await?;
    Ok(Addendum {
        author_name: doctor.name,
        body,
        created_at: now,
    })
}

/// Everything the consultation page sends.
#[derive(Debug, Clone, Default)]
pub struct VisitForm {
    pub notes: ConsultationForm,
    pub rows: Vec<RxRow>,
    pub rx_notes: String,
}

/// What the consultation page saves in one go: the notes, the prescription and, when
/// `sign`, the signature. All of it is checked first and written in one transaction.
pub async fn save_visit(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: ConsultationId,
    visit: &VisitForm,
    sign: bool,
) -> AppResult<Consultation> {
    let (form, rows, rx_notes) = (&visit.notes, &visit.rows, &visit.rx_notes);
    let ((notes, version), rx) = match (notes_of(state, caller, form), parse_rx(rows, rx_notes)) {
        (Ok(n), Ok(r)) => (n, r),
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(b))) => {
            a.extend(b);
            return Err(AppError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let now = state.now();
    let tx = state.store().write().await?;
    let e = write_notes(&tx, ctx, caller, id, version, &notes, now).await?;
    let had_rx = consultations::prescription_of(&tx, id).await?.is_some();
    if had_rx || !rx.0.is_empty() {
        let p = consultations::put_prescription(&tx, &e, &rx.0, &rx.1, now).await?;
        log(
            &tx,
            ctx,
            caller,
            "prescription.save",
            "prescription",
            p,
            now,
        )
        .await?;
    }
    if sign {
        sign_in(&tx, ctx, caller, &e, version + 1, now).await?;
    }
    let e = consultations::find(&tx, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    commit_change(state, tx, caller.clinic_id()).await?;
    Ok(e)
}
