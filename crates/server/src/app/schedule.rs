//! Weekly hours: what staff set and `slots` turns into bookable times (with time off).
//! Visit types and the booking policy, which shape slots too, are in `visit_types` and
//! `booking_policy`.

use super::{
    Fields,
    doctors::managed,
    local_time::{hhmm, parse_date, parse_minutes},
};
use crate::app::{policy::Capability, scope::Caller};

pub use super::booking_policy::{PolicyInput, get_booking_policy, set_booking_policy};
pub use super::visit_types::{
    VisitTypeInput, archive_visit_type, create_visit_type, list_visit_types,
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicId, DoctorId, VisitTypeId};
use serde_json::json;
use store::{
    audit, doctors,
    schedules::{self, Hours, VisitType},
};

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
    let now = state.now();
    let tx = state.store().write().await?;
    let out = set_weekly_hours_in(&tx, ctx, scope, doctor, input, now).await?;
    store::commit(tx).await?;
    Ok(out)
}

/// [`set_weekly_hours`] in `c`'s transaction, at `now`.
pub(crate) async fn set_weekly_hours_in<C: store::Conn>(
    c: &C,
    ctx: &RequestCtx,
    scope: &Caller,
    doctor: DoctorId,
    input: &[IntervalInput],
    now: jiff::Timestamp,
) -> AppResult<Vec<Hours>> {
    scope.require(Capability::ManagePractice)?;
    let d = managed(c, scope, doctor).await?;
    let offered = schedules::visit_types(c, scope.clinic_id(), Some(d.id)).await?;
    let hours = parse_hours(input, &offered)?;
    schedules::replace_hours(c, scope.clinic_id(), d.id, &hours).await?;
    audit::append(
        c,
        &scope.actor(ctx),
        audit::Event::new("hours.set", "doctor", d.id)
            .in_clinic(scope.clinic_id())
            .detail(json!({"intervals": hours.len()})),
        now,
    )
    .await?;
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
