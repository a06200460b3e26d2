//! Time off and one-off extra hours: a doctor's leave, clinic holidays, extra sessions (stored as
//! schedule exceptions; the API keeps its `schedule-exceptions` paths).

use super::{
    Fields, checked,
    doctors::managed,
    local_time::{parse_date, parse_minutes},
    schedule::only_own,
};
use crate::app::{policy::Capability, scope::Caller};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{ClinicId, DoctorId, ExceptionId, values::bounded_text};
use serde_json::json;
use store::{
    Conn, audit,
    schedules::{self, ExceptionRow},
};

/// Leave, a holiday or extra hours as typed in.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeOffInput {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day (inclusive); omitted means one day.
    #[serde(default)]
    pub to: Option<String>,
    /// Partial day: local start `HH:MM` (leave and extra hours).
    #[serde(default)]
    pub start: Option<String>,
    /// Partial day: local end `HH:MM`.
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub note: String,
}

/// Which kind of exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeOffKind {
    Leave,
    Holiday,
    Extra,
}

impl TimeOffKind {
    fn as_str(self) -> &'static str {
        match self {
            TimeOffKind::Leave => "leave",
            TimeOffKind::Holiday => "holiday",
            TimeOffKind::Extra => "extra",
        }
    }
}

fn parse_exception(
    kind: TimeOffKind,
    doctor: Option<DoctorId>,
    input: &TimeOffInput,
) -> AppResult<ExceptionRow> {
    let mut f = Fields::default();
    let from = f.take(parse_date("from", &input.from));
    let to = match input.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(t) => f.take(parse_date("to", t)),
        None => from,
    };
    let opt_min = |field, v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| parse_minutes(field, s))
    };
    let start = opt_min("start", &input.start)
        .map(|r| f.take(r))
        .unwrap_or(None);
    let end = opt_min("end", &input.end)
        .map(|r| f.take(r))
        .unwrap_or(None);
    let note = f.take(bounded_text("note", &input.note, 200, false));
    if let (Some(a), Some(b)) = (from, to) {
        if a > b {
            f.push("to", "The last day is before the first.");
        } else if a.until(b).map_or(true, |s| s.get_days() > 366) {
            f.push("to", "A range can be at most a year.");
        }
    }
    match (start, end) {
        (Some(s), Some(e)) if s >= e => f.push("end", "The end must be after the start."),
        (Some(_), None) | (None, Some(_)) => {
            f.push("end", "Give both a start and an end, or neither.")
        }
        _ => {}
    }
    if kind == TimeOffKind::Extra && (start.is_none() || from != to) {
        f.push("start", "Extra hours need one day with a start and an end.");
    }
    if kind == TimeOffKind::Holiday && start.is_some() {
        f.push("start", "A holiday closes the whole day.");
    }
    f.finish()?;
    Ok(ExceptionRow {
        id: ExceptionId::new(),
        doctor_id: doctor,
        kind: kind.as_str().to_owned(),
        date_from: checked(from)?,
        date_to: checked(to)?,
        start_min: start,
        end_min: end,
        note: checked(note)?,
    })
}

async fn record_exception<C: Conn>(
    state: &AppState,
    c: &C,
    ctx: &RequestCtx,
    clinic: ClinicId,
    actor: domain::UserId,
    e: &ExceptionRow,
) -> AppResult<()> {
    let now = state.now();
    schedules::insert_exception(c, clinic, e, now).await?;
    audit::append(
        c,
        &ctx.actor(Some(actor)),
        audit::Event::new(&format!("{}.add", e.kind), "exception", e.id)
            .in_clinic(clinic)
            .detail(json!({"doctor": e.doctor_id, "from": e.date_from.to_string(), "to": e.date_to.to_string()})),
        now,
    )
    .await?;
    Ok(())
}

/// Adds leave or extra hours for a doctor (the doctor, or an admin). Existing appointments
/// stay: staff see them on the day view and move them.
pub async fn add_doctor_time_off(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    doctor: DoctorId,
    kind: TimeOffKind,
    input: &TimeOffInput,
) -> AppResult<ExceptionRow> {
    scope.require(Capability::ManagePractice)?;
    let tx = state.store().write().await?;
    let d = managed(&tx, scope, doctor).await?;
    let e = parse_exception(kind, Some(d.id), input)?;
    record_exception(state, &tx, ctx, scope.clinic_id(), scope.person()?.id(), &e).await?;
    store::commit(tx).await?;
    Ok(e)
}

/// Closes the clinic on a day or a range of days (clinic admins).
pub async fn add_holiday(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    input: &TimeOffInput,
) -> AppResult<ExceptionRow> {
    scope.require(Capability::ManageAnyPractice)?;
    let e = parse_exception(TimeOffKind::Holiday, None, input)?;
    let tx = state.store().write().await?;
    record_exception(state, &tx, ctx, scope.clinic_id(), scope.person()?.id(), &e).await?;
    store::commit(tx).await?;
    Ok(e)
}

/// Removes a leave, holiday or extra-hours entry. Doctors remove only their own.
pub async fn remove_time_off(
    state: &AppState,
    ctx: &RequestCtx,
    scope: &Caller,
    id: ExceptionId,
) -> AppResult<()> {
    scope.require(Capability::ManagePractice)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let only = only_own(&tx, scope).await?;
    if !schedules::delete_exception(&tx, scope.clinic_id(), id, only).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &tx,
        &scope.actor(ctx),
        audit::Event::new("exception.remove", "exception", id).in_clinic(scope.clinic_id()),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// Exceptions from `from` on, for up to a year: with `doctor`, that doctor's leave and
/// extra hours plus clinic holidays; without, clinic holidays only. Staff of the clinic.
pub async fn upcoming(
    state: &AppState,
    scope: &Caller,
    doctor: Option<DoctorId>,
    from: jiff::civil::Date,
) -> AppResult<Vec<ExceptionRow>> {
    scope.require(Capability::ClinicWork)?;
    let c = state.store().conn();
    // Any staff member may read any doctor's leave (the desk plans around it); only the
    // doctor and admins change it.
    if let Some(d) = doctor
        && store::doctors::find(c, scope.clinic_id(), d)
            .await?
            .is_none()
    {
        return Err(AppError::NotFound);
    }
    let to = from
        .checked_add(jiff::Span::new().days(366))
        .unwrap_or(from);
    let mut list = schedules::exceptions(c, scope.clinic_id(), doctor, from, to).await?;
    if doctor.is_none() {
        list.retain(|e| e.doctor_id.is_none());
    }
    Ok(list)
}
