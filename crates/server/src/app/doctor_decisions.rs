//! Approving doctors: the pending list, and an admin's approve, reject or suspend (with the doctor told by e-mail).

use super::mail;
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{DoctorId, DoctorStatus, Role, values::bounded_text};
use serde_json::json;
use store::{
    audit,
    doctors::{self, Doctor},
};

/// Profiles waiting for review (clinic admins).
pub async fn list_pending(state: &AppState, scope: &Caller) -> AppResult<Vec<Doctor>> {
    scope.require(Capability::DecideDoctors)?;
    Ok(doctors::list(
        state.store().conn(),
        scope.clinic_id(),
        DoctorStatus::Pending,
        None,
        200,
        0,
    )
    .await?)
}

/// An admin decision about a doctor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Suspend,
}

/// Approves, rejects (with a reason) or suspends a doctor; audited and e-mailed to them.
/// Approval grants the doctor role in the clinic if they do not hold it yet.
pub async fn decide(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    id: DoctorId,
    decision: Decision,
    reason: &str,
) -> AppResult<Doctor> {
    let now = state.now();
    let tx = state.store().write().await?;
    let out = decide_in(&tx, state, ctx, scope, id, decision, reason, now).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// [`decide`] in `c`'s transaction, at `now`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn decide_in<C: store::Conn>(
    c: &C,
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    id: DoctorId,
    decision: Decision,
    reason: &str,
    now: jiff::Timestamp,
) -> AppResult<Doctor> {
    scope.require(Capability::DecideDoctors)?;
    let reason = bounded_text("reason", reason, 500, decision == Decision::Reject)?;
    let to = match decision {
        Decision::Approve => DoctorStatus::Approved,
        Decision::Reject => DoctorStatus::Rejected,
        Decision::Suspend => DoctorStatus::Suspended,
    };
    let clinic = scope.clinic();
    let doctor = doctors::find(c, scope.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    doctor
        .status
        .decide(to)
        .map_err(|e| AppError::Conflict(e.message))?;
    let reason = (!reason.is_empty()).then_some(reason);
    if !doctors::set_status(
        c,
        scope.clinic_id(),
        id,
        doctor.status,
        to,
        reason.as_deref(),
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "Someone else changed this profile; reload and try again.".into(),
        ));
    }
    if to == DoctorStatus::Approved {
        store::memberships::grant(c, scope.clinic_id(), doctor.user_id, Role::Doctor, now).await?;
    }
    audit::append(
        c,
        &scope.actor(ctx),
        audit::Event::new(&format!("doctor.{}", to.as_str()), "doctor", id)
            .in_clinic(scope.clinic_id())
            .detail(json!({"from": doctor.status.as_str(), "reason": reason})),
        now,
    )
    .await?;
    if let Some(user) = store::users::find(c, doctor.user_id).await? {
        let body = match to {
            DoctorStatus::Approved => format!(
                "Hello {},\n\n{} has approved your doctor profile. Patients can now find you and book \
                 your slots once your weekly hours are set:\n\n{}/\n",
                doctor.name,
                clinic.name,
                state.settings().public_url
            ),
            DoctorStatus::Rejected => format!(
                "Hello {},\n\n{} has not approved your doctor profile.\n\nReason: {}\n",
                doctor.name,
                clinic.name,
                reason.as_deref().unwrap_or("-")
            ),
            _ => format!(
                "Hello {},\n\n{} has suspended your doctor profile: patients cannot book you until \
                 it is approved again.{}\n",
                doctor.name,
                clinic.name,
                reason
                    .as_deref()
                    .map(|r| format!("\n\nReason: {r}"))
                    .unwrap_or_default()
            ),
        };
        mail::enqueue(
            c,
            Some(scope.clinic_id()),
            &mail::Email::text(
                &user.email,
                format!("Your doctor profile at {}: {}", clinic.name, to.as_str()),
                body,
            ),
            now,
        )
        .await?;
    }
    let doctor = doctors::find(c, scope.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(doctor)
}
