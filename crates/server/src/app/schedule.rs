//! Visit types, weekly hours and the booking policy: what staff set and `slots` turns into
//! bookable times (with `exceptions`).

use super::{
    Fields, checked,
    clinics::get_clinic,
    doctors::managed,
    local_time::{hhmm, parse_date, parse_minutes},
};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicId, DoctorId, Money, VisitMode, VisitTypeId, values::bounded_text};
use serde_json::json;
use store::{
    audit, doctors,
    schedules::{self, Hours, Policy, VisitType},
};

// ----- visit types -----

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
    let currency = get_clinic(state, scope.clinic_id()).await?.currency;
    if let Err(e) = Money::checked(&currency, input.price_minor) {
        f.push("price_minor", e.message);
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
    let now = state.now();
    let tx = state.store().write().await?;
    let doctor = match input.doctor_id {
        Some(d) => Some(
            managed(&tx, scope, DoctorId::from_uuid(d))
                .await
                .map_err(|_| AppError::field("doctor_id", "Choose a doctor of this clinic."))?
                .id,
        ),
        None if scope.can(Capability::ManageAnyPractice) => None,
        None => Some(own_doctor(&tx, scope).await?),
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
        mode: checked(mode)?,
        is_active: true,
    };
    schedules::insert_visit_type(&tx, &vt, now).await?;
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("visit_type.create", "visit_type", vt.id)
            .in_clinic(scope.clinic_id())
            .detail(
                json!({"name": vt.name, "duration_min": vt.duration_min, "doctor": vt.doctor_id}),
            ),
        now,
    )
    .await?;
    store::commit(tx).await?;
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

/// The clinic's doctors who have weekly hours (admins, to flag those without).
pub async fn doctors_with_hours(state: &AppState, caller: &Caller) -> AppResult<Vec<DoctorId>> {
    caller.require(Capability::ManageAnyPractice)?;
    Ok(schedules::doctors_with_hours(state.store().conn(), caller.clinic_id()).await?)
}

/// Whose entries a caller may change: every doctor's for admins (`None`), else their own.
pub(super) async fn only_own<C: store::Conn>(c: &C, scope: &Caller) -> AppResult<Option<DoctorId>> {
    if scope.can(Capability::ManageAnyPractice) {
        Ok(None)
    } else {
        own_doctor(c, scope).await.map(Some)
    }
}

/// The doctor profile of a caller who acts as a doctor (not as an admin).
pub(super) async fn own_doctor<C: store::Conn>(c: &C, scope: &Caller) -> AppResult<DoctorId> {
    Ok(doctors::of_user(c, scope.clinic_id(), scope.person()?.id())
        .await?
        .ok_or(AppError::NotFound)?
        .id)
}

/// The clinic's visit types, or those one doctor offers (public).
pub async fn list_visit_types(
    state: &AppState,
    clinic: ClinicId,
    doctor: Option<DoctorId>,
) -> AppResult<Vec<VisitType>> {
    Ok(schedules::visit_types(state.store().conn(), clinic, doctor).await?)
}

// ----- weekly hours -----

/// One interval of weekly hours as typed in.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntervalInput {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    #[schema(minimum = 1, maximum = 7)]
    pub weekday: i32,
    /// Local time `HH:MM`.
    pub start: String,
    /// Local time `HH:MM`; `24:00` is midnight.
    pub end: String,
    /// Visit types offered; empty means all the doctor offers. Only the first 20 are read.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub visit_types: Vec<uuid::Uuid>,
    /// First date the interval applies (`YYYY-MM-DD`), if limited.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// Last date the interval applies, if limited.
    #[serde(default)]
    pub valid_to: Option<String>,
}

impl From<&Hours> for IntervalInput {
    fn from(h: &Hours) -> Self {
        IntervalInput {
            weekday: h.weekday,
            start: hhmm(h.start_min),
            end: hhmm(h.end_min),
            visit_types: h.visit_types.iter().map(|v| v.as_uuid()).collect(),
            valid_from: h.valid_from.map(|d| d.to_string()),
            valid_to: h.valid_to.map(|d| d.to_string()),
        }
    }
}

/// Checks a week of intervals: sane times, known visit types, no overlaps on one weekday.
fn parse_hours(input: &[IntervalInput], offered: &[VisitType]) -> AppResult<Vec<Hours>> {
    if input.len() > 50 {
        return Err(AppError::field("intervals", "At most 50 intervals a week."));
    }
    let mut f = Fields::default();
    let mut out = Vec::new();
    for (i, iv) in input.iter().enumerate() {
        let n = i + 1;
        if !(1..=7).contains(&iv.weekday) {
            f.push(
                "weekday",
                format!("Interval {n}: the weekday must be 1 (Monday) to 7 (Sunday)."),
            );
        }
        let numbered = |field: &'static str, raw: &str| {
            parse_minutes(field, raw).map_err(|e| {
                domain::DomainError::field(
                    field,
                    format!("Interval {n}: the {field} {}.", e.message),
                )
            })
        };
        let start = f.take(numbered("start", &iv.start));
        let end = f.take(numbered("end", &iv.end));
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            f.push(
                "end",
                format!("Interval {n}: the end must be after the start."),
            );
        }
        let from = iv
            .valid_from
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_date("valid_from", s));
        let to = iv
            .valid_to
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_date("valid_to", s));
        let from = from.map(|r| f.take(r)).unwrap_or(None);
        let to = to.map(|r| f.take(r)).unwrap_or(None);
        if let (Some(a), Some(b)) = (from, to)
            && a > b
        {
            f.push(
                "valid_to",
                format!("Interval {n}: valid-to is before valid-from."),
            );
        }
        let mut types = Vec::new();
        for v in iv.visit_types.iter().take(20) {
            let v = VisitTypeId::from_uuid(*v);
            if offered.iter().any(|o| o.id == v) {
                types.push(v);
            } else {
                f.push(
                    "visit_types",
                    format!("Interval {n}: choose visit types the doctor offers."),
                );
                break;
            }
        }
        if let (Some(s), Some(e)) = (start, end) {
            out.push(Hours {
                weekday: iv.weekday,
                start_min: s,
                end_min: e,
                visit_types: types,
                valid_from: from,
                valid_to: to,
            });
        }
    }
    for (i, a) in out.iter().enumerate() {
        for b in &out[i + 1..] {
            let dates_meet = a
                .valid_from
                .max(b.valid_from)
                .zip(a.valid_to.min(b.valid_to))
                .is_none_or(|(s, e)| s <= e)
                || a.valid_to.is_none() && b.valid_to.is_none();
            if a.weekday == b.weekday
                && dates_meet
                && a.start_min < b.end_min
                && b.start_min < a.end_min
            {
                f.push(
                    "intervals",
                    format!(
                        "Two intervals overlap on weekday {} ({}–{} and {}–{}).",
                        a.weekday,
                        hhmm(a.start_min),
                        hhmm(a.end_min),
                        hhmm(b.start_min),
                        hhmm(b.end_min)
                    ),
                );
            }
        }
    }
    f.finish()?;
    out.sort_by_key(|h| (h.weekday, h.start_min));
    Ok(out)
}

/// Replaces a doctor's weekly hours (the doctor, or an admin).
pub async fn set_weekly_hours(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    doctor: DoctorId,
    input: &[IntervalInput],
) -> AppResult<Vec<Hours>> {
    scope.require(Capability::ManagePractice)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let d = managed(&tx, scope, doctor).await?;
    let offered = schedules::visit_types(&tx, scope.clinic_id(), Some(d.id)).await?;
    let hours = parse_hours(input, &offered)?;
    schedules::replace_hours(&tx, scope.clinic_id(), d.id, &hours).await?;
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("hours.set", "doctor", d.id)
            .in_clinic(scope.clinic_id())
            .detail(json!({"intervals": hours.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(hours)
}

/// A doctor's weekly hours (public for approved doctors; staff see any).
pub async fn get_weekly_hours(
    state: &AppState,
    clinic: ClinicId,
    doctor: DoctorId,
) -> AppResult<Vec<Hours>> {
    let c = state.store().conn();
    doctors::find(c, clinic, doctor)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(schedules::hours(c, clinic, doctor).await?)
}

// ----- policy -----

/// The clinic's booking rules as typed in.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Minutes of notice a booking needs (0–43,200).
    #[schema(minimum = 0, maximum = 43200)]
    pub min_notice_min: i32,
    /// How many days ahead patients may book (1–365).
    #[schema(minimum = 1, maximum = 365)]
    pub horizon_days: i32,
    /// Patients may cancel or move up to this many minutes before the start (0–10,080).
    #[schema(minimum = 0, maximum = 10080)]
    pub cancel_cutoff_min: i32,
    /// At most this many appointments per doctor per day (1–500); omitted means no cap.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 500)]
    pub daily_cap: Option<i32>,
    /// Online bookings wait for staff approval.
    #[serde(default)]
    pub require_approval: bool,
}

impl From<Policy> for PolicyInput {
    fn from(p: Policy) -> Self {
        PolicyInput {
            min_notice_min: p.min_notice_min,
            horizon_days: p.horizon_days,
            cancel_cutoff_min: p.cancel_cutoff_min,
            daily_cap: p.daily_cap,
            require_approval: p.require_approval,
        }
    }
}

/// Sets the clinic's booking policy (clinic admins).
pub async fn set_booking_policy(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    input: &PolicyInput,
) -> AppResult<Policy> {
    scope.require(Capability::ClinicSettings)?;
    let mut f = Fields::default();
    if !(0..=43_200).contains(&input.min_notice_min) {
        f.push(
            "min_notice_min",
            "Notice must be 0 to 43,200 minutes (30 days).",
        );
    }
    if !(1..=365).contains(&input.horizon_days) {
        f.push("horizon_days", "The horizon must be 1 to 365 days.");
    }
    if !(0..=10_080).contains(&input.cancel_cutoff_min) {
        f.push(
            "cancel_cutoff_min",
            "The cutoff must be 0 to 10,080 minutes (7 days).",
        );
    }
    if input.min_notice_min < input.cancel_cutoff_min {
        f.push(
            "min_notice_min",
            format!(
                "The notice must be at least the cancel cutoff ({} minutes): otherwise a patient \
                 could book a time that they can no longer change or cancel.",
                input.cancel_cutoff_min
            ),
        );
    }
    if input.daily_cap.is_some_and(|c| !(1..=500).contains(&c)) {
        f.push(
            "daily_cap",
            "The daily cap must be 1 to 500, or empty for none.",
        );
    }
    f.finish()?;
    let p = Policy {
        min_notice_min: input.min_notice_min,
        horizon_days: input.horizon_days,
        cancel_cutoff_min: input.cancel_cutoff_min,
        daily_cap: input.daily_cap,
        require_approval: input.require_approval,
    };
    let now = state.now();
    let tx = state.store().write().await?;
    schedules::set_policy(&tx, scope.clinic_id(), &p, now).await?;
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("policy.set", "clinic", scope.clinic_id())
            .in_clinic(scope.clinic_id())
            .detail(serde_json::to_value(p).unwrap_or_default()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(p)
}

/// The clinic's booking policy (public: patients see notice and cutoff).
pub async fn get_booking_policy(state: &AppState, clinic: ClinicId) -> AppResult<Policy> {
    Ok(schedules::policy(state.store().conn(), clinic).await?)
}
