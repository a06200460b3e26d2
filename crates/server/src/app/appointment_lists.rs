//! Reading appointments: a clinic's between two dates, a patient's still to come, and the
//! caller's own. Re-exported by `appointments`.

use super::local_time::zone_of;
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::{CurrentUser, RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use jiff::{Timestamp, civil::Date};
use serde_json::json;
use store::{
    appointments::{self, Appointment},
    audit,
};

/// The clinic's appointments between two local dates (staff). Reading them is audited.
pub async fn list(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    from: Option<Date>,
    to: Option<Date>,
    filter: &appointments::Filter,
    limit: u64,
) -> AppResult<Vec<Appointment>> {
    if !caller.can(Capability::ReadAppointments) {
        return Err(AppError::NotFound);
    }
    let zone = zone_of(caller.clinic());
    let now = state.now();
    let today = now.to_zoned(zone.clone()).date();
    let from = from.unwrap_or(today);
    let to = to.unwrap_or(from);
    if to < from || from.until(to).map_or(true, |s| s.get_days() > 62) {
        return Err(AppError::field(
            "to",
            "Choose an end date 0 to 62 days after the start.",
        ));
    }
    let start = |d: Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|e| AppError::internal("the local day's bounds", &e))
    };
    let lo = start(from)?;
    let hi = start(to.tomorrow().unwrap_or(to))?;
    let tx = state.store().write().await?;
    let list = appointments::list(&tx, caller.clinic_id(), lo, hi, filter, limit).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("appointment.list", "clinic", caller.clinic_id())
            .in_clinic(caller.clinic_id())
            .detail(json!({"from": from.to_string(), "to": to.to_string(), "count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}

/// A patient's pending and booked appointments from now on, soonest first (staff of the
/// clinic; the record page that shows them has audited the read).
pub async fn upcoming_of_patient(
    state: &AppState,
    caller: &Caller,
    patient: domain::PatientId,
    limit: u64,
) -> AppResult<Vec<Appointment>> {
    if !caller.can(Capability::ReadAppointments) {
        return Err(AppError::NotFound);
    }
    let filter = appointments::Filter {
        patient: Some(patient),
        ..appointments::Filter::default()
    };
    let list = appointments::list(
        state.store().conn(),
        caller.clinic_id(),
        state.now(),
        Timestamp::MAX,
        &filter,
        200,
    )
    .await?;
    Ok(list
        .into_iter()
        .filter(|a| a.status.is_open())
        .take(limit as usize)
        .collect())
}

/// The caller's own appointments in every clinic: upcoming first, then past.
pub async fn list_mine(
    state: &AppState,
    me: &CurrentUser,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<Appointment>> {
    Ok(appointments::of_user(state.store().conn(), me.id(), state.now(), limit, offset).await?)
}
