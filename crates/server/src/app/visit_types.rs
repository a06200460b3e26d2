//! The kinds of visit a clinic offers: created and retired by admins (or a doctor for
//! themselves), listed for booking.

use super::schedule::{only_own, own_doctor};
use super::{Fields, checked, doctors::managed};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicId, DoctorId, Money, VisitMode, VisitTypeId, values::bounded_text};
use serde_json::json;
use store::{
    audit,
    schedules::{self, VisitType},
};

/// A visit type as typed in.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitTypeInput {
    #[schema(min_length = 1, max_length = 80)]
    pub name: String,
    /// 5–480 minutes.
    #[schema(minimum = 5, maximum = 480)]
    pub duration_min: i32,
    /// 0–120 minutes kept free before the visit.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 120)]
    pub buffer_before_min: i32,
    /// 0–120 minutes kept free after the visit.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 120)]
    pub buffer_after_min: i32,
    /// In the clinic currency's minor unit per ISO 4217 (paise for INR, yen for JPY, fils
    /// for KWD): 50000 is INR 500.00. At most 100,000,000 major units (the maximum here is
    /// that bound in a currency with four decimals).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub price_minor: i64,
    /// Asked for when the visit is booked, towards its price (minor units, like the
    /// price); 0 or omitted: no deposit. At most the price.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000000000_i64)]
    pub deposit_minor: i64,
    /// `in_person` (default) or `video`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Offered by this doctor only; omitted means by every doctor.
    #[serde(default)]
    pub doctor_id: Option<uuid::Uuid>,
}

/// Adds a visit type. Admins add clinic-wide or per-doctor types; a doctor adds their own.
pub async fn create_visit_type(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    input: &VisitTypeInput,
) -> AppResult<VisitType> {
    let now = state.now();
    let tx = state.store().write().await?;
    let out = create_visit_type_in(&tx, ctx, scope, input, now).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// [`create_visit_type`] in `c`'s transaction, at `now`.
pub(crate) async fn create_visit_type_in<C: store::Conn>(
    c: &C,
    ctx: &RequestCtx,
    scope: &Caller,
    input: &VisitTypeInput,
    now: jiff::Timestamp,
) -> AppResult<VisitType> {
    scope.require(Capability::ManagePractice)?;
    let mut f = Fields::default();
    let name = f.take(bounded_text("name", &input.name, 80, true));
    if !(5..=480).contains(&input.duration_min) {
        f.push("duration_min", "The length must be 5 to 480 minutes.");
    }
    if !(0..=120).contains(&input.buffer_before_min) {
        f.push("buffer_before_min", "A buffer must be 0 to 120 minutes.");
    }
    if !(0..=120).contains(&input.buffer_after_min) {
        f.push("buffer_after_min", "A buffer must be 0 to 120 minutes.");
    }
    let currency = scope.clinic().currency.clone();
    if let Err(e) = Money::checked(&currency, input.price_minor) {
        f.push("price_minor", e.message);
    }
    if input.deposit_minor < 0 || input.deposit_minor > input.price_minor.max(0) {
        f.push(
            "deposit_minor",
            "A deposit must be zero or more, and no more than the price.",
        );
    }
    let mode = match input.mode.as_deref().unwrap_or("in_person") {
        "in_person" => Some(VisitMode::InPerson),
        "video" => Some(VisitMode::Video),
        _ => {
            f.push("mode", "Choose in_person or video.");
            None
        }
    };
    f.finish()?;
    let doctor = match input.doctor_id {
        Some(d) => Some(
            managed(c, scope, DoctorId::from_uuid(d))
                .await
                .map_err(|_| AppError::field("doctor_id", "Choose a doctor of this clinic."))?
                .id,
        ),
        None if scope.can(Capability::ManageAnyPractice) => None,
        None => Some(own_doctor(c, scope).await?),
    };
    let vt = VisitType {
        id: VisitTypeId::new(),
        clinic_id: scope.clinic_id(),
        doctor_id: doctor,
        name: checked(name)?,
        duration_min: input.duration_min,
        buffer_before_min: input.buffer_before_min,
        buffer_after_min: input.buffer_after_min,
        price_minor: input.price_minor,
        deposit_minor: input.deposit_minor,
        mode: checked(mode)?,
        is_active: true,
    };
    schedules::insert_visit_type(c, &vt, now).await?;
    audit::append(
        c,
        &scope.actor(ctx),
        audit::Event::new("visit_type.create", "visit_type", vt.id)
            .in_clinic(scope.clinic_id())
            .detail(
                json!({"name": vt.name, "duration_min": vt.duration_min, "doctor": vt.doctor_id,
                    "price": vt.price_minor, "deposit": vt.deposit_minor}),
            ),
        now,
    )
    .await?;
    Ok(vt)
}

/// Retires a visit type: no longer offered for new bookings; booked appointments keep it.
/// Admins retire any; a doctor only their own.
pub async fn archive_visit_type(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    id: VisitTypeId,
) -> AppResult<()> {
    scope.require(Capability::ManagePractice)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let only = only_own(&tx, scope).await?;
    if !schedules::set_visit_type_active(&tx, scope.clinic_id(), id, only, false).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("visit_type.archive", "visit_type", id).in_clinic(scope.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// The clinic's visit types, or those one doctor offers (public).
pub async fn list_visit_types(
    state: &AppState,
    clinic: ClinicId,
    doctor: Option<DoctorId>,
) -> AppResult<Vec<VisitType>> {
    Ok(schedules::visit_types(state.store().conn(), clinic, doctor).await?)
}
