//! Visit types, weekly hours and the booking policy: what staff set and `slots` turns into
//! bookable times (with `exceptions`).

use super::{Fields, checked, doctors::managed};
use crate::{
    auth::extract::{AdminOrDoctor, ClinicAdmin, ClinicScope, RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    ClinicId, DoctorId, VisitMode, VisitTypeId, schedule::LocalWindow, values::bounded_text,
};
use jiff::{
    civil::{Date, Time},
    tz::TimeZone,
};
use serde_json::json;
use store::{
    audit,
    clinics::Clinic,
    doctors,
    schedules::{self, Hours, Policy, VisitType},
};

/// A clinic's zone; a stored zone the build does not know falls back to UTC, loudly.
pub fn zone_of(clinic: &Clinic) -> TimeZone {
    zone_named(&clinic.time_zone)
}

/// A zone by IANA name; a stored name this build does not know falls back to UTC, loudly.
pub fn zone_named(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or_else(|e| {
        tracing::error!(zone = %name, error = %e, "unknown time zone");
        TimeZone::UTC
    })
}

/// An instant as RFC 3339 local time with offset, e.g. `2026-11-23T09:00:00+05:30`.
pub fn local_rfc3339(zone: &TimeZone, t: jiff::Timestamp) -> String {
    rfc3339(t, zone.to_offset(t), false).unwrap_or_else(|| {
        t.to_zoned(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    })
}

/// An instant as RFC 3339 UTC, as `Timestamp`'s `Display` writes it: `2026-11-23T03:30:00Z`.
pub fn utc_rfc3339(t: jiff::Timestamp) -> String {
    if t.subsec_nanosecond() != 0 {
        return t.to_string();
    }
    rfc3339(t, jiff::tz::Offset::UTC, true).unwrap_or_else(|| t.to_string())
}

/// Writes `t` in `offset` by hand (`Z` for `zulu`), whole seconds only: a slot search
/// formats four of these per slot, and this is many times cheaper than `strftime` or
/// `Display`. `None` for shapes left to jiff: offsets with seconds, years outside 0..=9999.
fn rfc3339(t: jiff::Timestamp, offset: jiff::tz::Offset, zulu: bool) -> Option<String> {
    let secs = offset.seconds();
    let dt = offset.to_datetime(t);
    if secs % 60 != 0 || !(0..=9999).contains(&dt.year()) {
        return None;
    }
    let mut out = String::with_capacity(25);
    let mut two = |sep: Option<char>, n: i32| {
        if let Some(c) = sep {
            out.push(c);
        }
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    two(None, i32::from(dt.year()) / 100);
    two(None, i32::from(dt.year()) % 100);
    two(Some('-'), dt.month().into());
    two(Some('-'), dt.day().into());
    two(Some('T'), dt.hour().into());
    two(Some(':'), dt.minute().into());
    two(Some(':'), dt.second().into());
    if zulu {
        out.push('Z');
    } else {
        let (sign, abs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
        two(Some(sign), abs / 3600);
        two(Some(':'), abs / 60 % 60);
    }
    Some(out)
}

/// A `YYYY-MM-DD` date typed into `field`.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Date, domain::DomainError> {
    raw.trim()
        .parse::<Date>()
        .map_err(|_| domain::DomainError::field(field, "must be a date like 2026-12-31"))
}

/// `HH:MM` as minutes after midnight; `24:00` is allowed as an end.
pub(super) fn parse_minutes(field: &'static str, raw: &str) -> Result<i32, domain::DomainError> {
    let bad = || domain::DomainError::field(field, "must be a time like 09:30");
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=24).contains(&h)
        || !(0..60).contains(&m)
        || (h == 24 && m != 0)
        || h.to_string().len() > 2
    {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn hhmm(min: i32) -> String {
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// A stored window (minutes after midnight; 1440 is midnight) as local times.
pub(super) fn window(start_min: i32, end_min: i32) -> LocalWindow {
    let t = |m: i32| Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).unwrap_or(Time::midnight());
    LocalWindow {
        start: t(start_min),
        end: (end_min < 1440).then(|| t(end_min)),
    }
}

// ----- visit types -----

/// A visit type as typed in.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitTypeInput {
    pub name: String,
    /// 5–480 minutes.
    pub duration_min: i32,
    /// 0–120 minutes kept free before the visit.
    #[serde(default)]
    pub buffer_before_min: i32,
    /// 0–120 minutes kept free after the visit.
    #[serde(default)]
    pub buffer_after_min: i32,
    /// In the currency's minor unit.
    #[serde(default)]
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
    scope: &ClinicScope<AdminOrDoctor>,
    input: &VisitTypeInput,
) -> AppResult<VisitType> {
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
    if !(0..=100_000_000).contains(&input.price_minor) {
        f.push("price_minor", "The price must be between 0 and 1,000,000.");
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
        None if scope.is_admin() => None,
        None => Some(own_doctor(&tx, scope).await?),
    };
    let vt = VisitType {
        id: VisitTypeId::new(),
        clinic_id: scope.clinic,
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
        &ctx.actor(Some(scope.me.id())),
        audit::Event::new("visit_type.create", "visit_type", vt.id)
            .in_clinic(scope.clinic)
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
    scope: &ClinicScope<AdminOrDoctor>,
    id: VisitTypeId,
) -> AppResult<()> {
    let now = state.now();
    let tx = state.store().write().await?;
    let only = only_own(&tx, scope).await?;
    if !schedules::set_visit_type_active(&tx, scope.clinic, id, only, false).await? {
        return Err(AppError::NotFound);
    }
    audit::append(
        &tx,
        &ctx.actor(Some(scope.me.id())),
        audit::Event::new("visit_type.archive", "visit_type", id).in_clinic(scope.clinic),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(())
}

/// Whose entries a caller may change: every doctor's for admins (`None`), else their own.
pub(super) async fn only_own<C: store::Conn, R: crate::auth::extract::RoleSet>(
    c: &C,
    scope: &ClinicScope<R>,
) -> AppResult<Option<DoctorId>> {
    if scope.is_admin() {
        Ok(None)
    } else {
        own_doctor(c, scope).await.map(Some)
    }
}

/// The doctor profile of a caller who acts as a doctor (not as an admin).
pub(super) async fn own_doctor<C: store::Conn, R: crate::auth::extract::RoleSet>(
    c: &C,
    scope: &ClinicScope<R>,
) -> AppResult<DoctorId> {
    Ok(doctors::of_user(c, scope.clinic, scope.me.id())
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
    pub weekday: i32,
    /// Local time `HH:MM`.
    pub start: String,
    /// Local time `HH:MM`; `24:00` is midnight.
    pub end: String,
    /// Visit types offered; empty means all the doctor offers.
    #[serde(default)]
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
    scope: &ClinicScope<AdminOrDoctor>,
    doctor: DoctorId,
    input: &[IntervalInput],
) -> AppResult<Vec<Hours>> {
    let now = state.now();
    let tx = state.store().write().await?;
    let d = managed(&tx, scope, doctor).await?;
    let offered = schedules::visit_types(&tx, scope.clinic, Some(d.id)).await?;
    let hours = parse_hours(input, &offered)?;
    schedules::replace_hours(&tx, scope.clinic, d.id, &hours).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(scope.me.id())),
        audit::Event::new("hours.set", "doctor", d.id)
            .in_clinic(scope.clinic)
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
    pub min_notice_min: i32,
    /// How many days ahead patients may book (1–365).
    pub horizon_days: i32,
    /// Patients may cancel or move up to this many minutes before the start (0–10,080).
    pub cancel_cutoff_min: i32,
    /// At most this many appointments per doctor per day (1–500); omitted means no cap.
    #[serde(default)]
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
    scope: &ClinicAdmin,
    input: &PolicyInput,
) -> AppResult<Policy> {
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
    schedules::set_policy(&tx, scope.clinic, &p, now).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(scope.me.id())),
        audit::Event::new("policy.set", "clinic", scope.clinic)
            .in_clinic(scope.clinic)
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

#[cfg(test)]
mod tests {
    use super::{local_rfc3339, utc_rfc3339};
    use jiff::{Timestamp, tz::TimeZone};

    #[test]
    fn local_times_read_as_strftime_writes_them() {
        let zones = [
            "UTC",
            "Asia/Kolkata",
            "America/St_Johns",
            "America/New_York",
            "Europe/London",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
            "Africa/Monrovia",
        ];
        let instants = [
            "1972-01-01T00:00:00Z",
            "2026-03-08T06:59:59Z",
            "2026-03-08T07:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-10-25T00:59:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-23T09:00:00Z",
            "2099-12-31T23:59:59Z",
            "2026-11-23T09:00:00.5Z",
            "-000001-06-01T00:00:00Z",
        ];
        for name in zones {
            let zone = TimeZone::get(name).unwrap();
            for t in instants {
                let t: Timestamp = t.parse().unwrap();
                let expected = t
                    .to_zoned(zone.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string();
                assert_eq!(local_rfc3339(&zone, t), expected, "{name} at {t}");
                assert_eq!(utc_rfc3339(t), t.to_string(), "{t}");
            }
        }
    }
}
