//! What a staff member's start page says about their clinic today: counts only, so reading
//! them reveals no patient and is not audited.

use super::{clinics::get_clinic, local_time::date_of};
use crate::{error::AppResult, state::AppState};
use domain::{ClinicId, DoctorStatus, Role, UserId, queue::TokenStatus};
use store::{appointments, doctors, queue, schedules};

/// Today at one clinic, as one role sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Today {
    /// Tokens waiting or called (the doctor's own, for a doctor).
    pub waiting: usize,
    /// Active appointments today (the doctor's own, for a doctor).
    pub appointments: i64,
    /// Doctor profiles waiting for review (admins).
    pub pending_doctors: usize,
    /// Approved doctors without weekly hours: nobody can book them (admins; for a doctor,
    /// whether it is them).
    pub without_hours: Vec<String>,
}

/// Today at `clinic` for `user` in `role`.
pub async fn today(
    state: &AppState,
    clinic: ClinicId,
    user: UserId,
    role: Role,
) -> AppResult<Today> {
    let clinic = get_clinic(state, clinic).await?;
    let c = state.store().conn();
    let date = date_of(&clinic, state.now());
    let me = match role {
        Role::Doctor => doctors::of_user(c, clinic.id, user).await?,
        _ => None,
    };
    let doctor = me.as_ref().map(|d| d.id);
    let zone = super::local_time::zone_of(&clinic);
    let start = |d: jiff::civil::Date| d.to_zoned(zone.clone()).map(|z| z.timestamp()).ok();
    let (from, to) = (start(date), date.tomorrow().ok().and_then(start));
    let appointments = match from.zip(to) {
        Some((from, to)) => appointments::count_active(c, clinic.id, from, to, doctor).await?,
        None => 0,
    };
    let waiting = queue::day(c, clinic.id, &date.to_string(), doctor)
        .await?
        .iter()
        .filter(|t| matches!(t.status, TokenStatus::Waiting | TokenStatus::Called))
        .count();
    let (pending_doctors, without_hours) = match role {
        Role::Admin => {
            let with_hours = schedules::doctors_with_hours(c, clinic.id).await?;
            let pending = doctors::list(c, clinic.id, DoctorStatus::Pending, None, 200, 0).await?;
            let approved =
                doctors::list(c, clinic.id, DoctorStatus::Approved, None, 500, 0).await?;
            let idle = approved
                .into_iter()
                .filter(|d| !with_hours.contains(&d.id))
                .map(|d| d.name)
                .collect();
            (pending.len(), idle)
        }
        Role::Doctor => match me.filter(|d| d.status == DoctorStatus::Approved) {
            Some(d) if schedules::hours(c, clinic.id, d.id).await?.is_empty() => (0, vec![d.name]),
            _ => (0, Vec::new()),
        },
        Role::Receptionist => (0, Vec::new()),
    };
    Ok(Today {
        waiting,
        appointments,
        pending_doctors,
        without_hours,
    })
}
