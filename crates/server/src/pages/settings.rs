//! Clinic settings for admins: the clinic's contact details, the booking policy, clinic
//! holidays and clinic-wide visit types. Removing a holiday and the visit-type forms post to
//! `schedule`'s handlers.

use super::{
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
    time_off::ExceptionLine,
    visit_types::{VISIT_TYPE_FIELDS, VisitTypeForm, VisitTypeRow, price_hint, visit_type_detail},
};
use crate::app::{policy::Capability, scope::Caller};
use crate::routes;
use crate::{
    app::clinics::{get_clinic, set_clinic_details},
    app::{
        local_time::zone_of,
        schedule::{self, PolicyInput},
        time_off::{self, TimeOffInput},
    },
    auth::{RequestCtx, extract::ClinicAdmin},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{
    ClinicId,
    clinic::{ClinicDetails, DetailsInput},
};
use serde::Deserialize;

const POLICY_FIELDS: &[Label] = &[
    ("min_notice_min", "Minimum notice"),
    ("horizon_days", "Booking horizon"),
    ("cancel_cutoff_min", "Cancel cutoff"),
    ("daily_cap", "Daily cap"),
];

const DETAILS_FIELDS: &[Label] = &[
    ("address", "Address"),
    ("phone", "Phone"),
    ("opening_hours", "Opening hours"),
    ("latitude", "Latitude"),
    ("longitude", "Longitude"),
];

const HOLIDAY_FIELDS: &[Label] = &[("from", "First day"), ("to", "Last day"), ("note", "Name")];

/// The policy form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    min_notice_min: String,
    horizon_days: String,
    cancel_cutoff_min: String,
    daily_cap: String,
    require_approval: Option<String>,
}

impl From<PolicyInput> for PolicyForm {
    fn from(p: PolicyInput) -> Self {
        PolicyForm {
            min_notice_min: p.min_notice_min.to_string(),
            horizon_days: p.horizon_days.to_string(),
            cancel_cutoff_min: p.cancel_cutoff_min.to_string(),
            daily_cap: p.daily_cap.map(|c| c.to_string()).unwrap_or_default(),
            require_approval: p.require_approval.then(|| "on".into()),
        }
    }
}

/// The clinic's contact details as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    address: String,
    phone: String,
    opening_hours: String,
    latitude: String,
    longitude: String,
}

impl From<&ClinicDetails> for DetailsForm {
    fn from(d: &ClinicDetails) -> Self {
        let at = d.location();
        DetailsForm {
            address: d.address().to_owned(),
            phone: d.phone().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            opening_hours: d.opening_hours().to_owned(),
            latitude: at.map(|p| p.latitude_text()).unwrap_or_default(),
            longitude: at.map(|p| p.longitude_text()).unwrap_or_default(),
        }
    }
}

impl DetailsForm {
    fn input(&self) -> DetailsInput<'_> {
        DetailsInput {
            address: &self.address,
            phone: &self.phone,
            opening_hours: &self.opening_hours,
            latitude: &self.latitude,
            longitude: &self.longitude,
        }
    }
}

/// A holiday as typed.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct HolidayForm {
    from: String,
    to: String,
    note: String,
}

enum Failed {
    None,
    Details(DetailsForm, Errors),
    Policy(PolicyForm, Errors),
    Holiday(HolidayForm, Errors),
    VisitType(VisitTypeForm, Errors),
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    clinic_name: String,
    details: DetailsForm,
    details_errors: Errors,
    policy: PolicyForm,
    policy_errors: Errors,
    holidays: Vec<ExceptionLine>,
    holiday_form: HolidayForm,
    holiday_errors: Errors,
    visit_types: Vec<VisitTypeRow>,
    vt_form: VisitTypeForm,
    vt_errors: Errors,
    vt_action: String,
    /// What the price field takes in the clinic's currency.
    vt_price_hint: String,
    notice: Option<&'static str>,
}

impl SettingsPage {
    fn approval(&self) -> bool {
        self.policy.require_approval.is_some()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

/// Where a saved settings form returns.
pub(super) fn back(clinic: ClinicId) -> String {
    format!("{}?done=1", routes::settings(clinic))
}

async fn render(
    state: &AppState,
    scope: &Caller,
    failed: Failed,
    notice: Option<&'static str>,
) -> Result<SettingsPage, PageError> {
    if !scope.can(Capability::ClinicSettings) {
        return Err(AppError::NotFound.into());
    }
    let clinic = get_clinic(state, scope.clinic_id()).await?;
    let today = state.now().to_zoned(zone_of(&clinic)).date();
    let holidays = time_off::upcoming(state, scope, None, today)
        .await?
        .iter()
        .map(|e| ExceptionLine::of(e, true))
        .collect();
    let visit_types = schedule::list_visit_types(state, clinic.id, None)
        .await?
        .iter()
        .filter(|v| v.doctor_id.is_none())
        .map(|v| VisitTypeRow {
            id: v.id,
            name: v.name.clone(),
            detail: visit_type_detail(v, &clinic),
            scope: "Whole clinic",
            can_archive: true,
        })
        .collect();
    let mut page = SettingsPage {
        nav: nav(state, scope.person()?, "settings").await?,
        clinic_id: clinic.id,
        clinic_name: clinic.name.clone(),
        details: DetailsForm::from(&clinic.details),
        details_errors: Errors::default(),
        policy: PolicyInput::from(schedule::get_booking_policy(state, clinic.id).await?).into(),
        policy_errors: Errors::default(),
        holidays,
        holiday_form: HolidayForm::default(),
        holiday_errors: Errors::default(),
        visit_types,
        vt_form: VisitTypeForm::default(),
        vt_errors: Errors::default(),
        vt_action: routes::visit_types(clinic.id),
        vt_price_hint: price_hint(&clinic.currency),
        notice,
    };
    match failed {
        Failed::None => {}
        Failed::Details(f, e) => (page.details, page.details_errors) = (f, e),
        Failed::Policy(f, e) => (page.policy, page.policy_errors) = (f, e),
        Failed::Holiday(f, e) => (page.holiday_form, page.holiday_errors) = (f, e),
        Failed::VisitType(f, e) => (page.vt_form, page.vt_errors) = (f, e),
    }
    Ok(page)
}

/// GET /clinics/{clinic_id}/settings.
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicAdmin>,
    QueryOr(q): QueryOr<SettingsQuery>,
) -> Result<Response, PageError> {
    let notice = q.done.is_some().then_some("Saved.");
    let page = render(&state, &scope, Failed::None, notice).await?;
    Ok(Outcome::OK.render(&page))
}

/// POST /clinics/{clinic_id}/settings/details.
pub async fn save_details(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(form): PageForm<DetailsForm>,
) -> Result<Response, PageError> {
    match set_clinic_details(&state, &ctx, &scope, &form.input()).await {
        Ok(_) => Ok(see_other(&back(scope.clinic_id()))),
        Err(e) => {
            let (outcome, errors) = failure(e, DETAILS_FIELDS)?;
            let page = render(&state, &scope, Failed::Details(form, errors), None).await?;
            Ok(outcome.render(&page))
        }
    }
}

/// POST /clinics/{clinic_id}/settings/policy.
pub async fn save_policy(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(form): PageForm<PolicyForm>,
) -> Result<Response, PageError> {
    // A field that is not a number reads as -1, which the rules refuse, so the form shows
    // every problem at once and nothing is saved.
    let mut unreadable = Vec::new();
    let mut num = |field: &'static str, raw: &str| {
        raw.trim().parse::<i32>().unwrap_or_else(|_| {
            unreadable.push(crate::error::FieldError {
                field: field.into(),
                message: "must be a whole number".into(),
            });
            -1
        })
    };
    let input = PolicyInput {
        min_notice_min: num("min_notice_min", &form.min_notice_min),
        horizon_days: num("horizon_days", &form.horizon_days),
        cancel_cutoff_min: num("cancel_cutoff_min", &form.cancel_cutoff_min),
        daily_cap: (!form.daily_cap.trim().is_empty()).then(|| num("daily_cap", &form.daily_cap)),
        require_approval: form.require_approval.is_some(),
    };
    let result = match schedule::set_booking_policy(&state, &ctx, &scope, &input).await {
        Err(AppError::Validation(rest)) => {
            unreadable.extend(rest);
            Err(AppError::Validation(unreadable))
        }
        other => other.map(|_| ()),
    };
    match result {
        Ok(()) => Ok(see_other(&back(scope.clinic_id()))),
        Err(e) => {
            let (outcome, errors) = failure(e, POLICY_FIELDS)?;
            let page = render(&state, &scope, Failed::Policy(form, errors), None).await?;
            Ok(outcome.render(&page))
        }
    }
}

/// POST /clinics/{clinic_id}/settings/holidays.
pub async fn add_holiday(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicAdmin>,
    PageForm(form): PageForm<HolidayForm>,
) -> Result<Response, PageError> {
    let input = TimeOffInput {
        from: form.from.clone(),
        to: (!form.to.trim().is_empty()).then(|| form.to.clone()),
        note: form.note.clone(),
        ..TimeOffInput::default()
    };
    match time_off::add_holiday(&state, &ctx, &scope, &input).await {
        Ok(_) => Ok(see_other(&back(scope.clinic_id()))),
        Err(e) => {
            let (outcome, errors) = failure(e, HOLIDAY_FIELDS)?;
            let page = render(&state, &scope, Failed::Holiday(form, errors), None).await?;
            Ok(outcome.render(&page))
        }
    }
}

/// The settings page again with the clinic-wide visit-type form's errors.
pub(super) async fn visit_type_failed(
    state: &AppState,
    scope: &Caller,
    form: VisitTypeForm,
    e: AppError,
) -> Result<Response, PageError> {
    let (outcome, errors) = failure(e, VISIT_TYPE_FIELDS)?;
    let page = render(state, scope, Failed::VisitType(form, errors), None).await?;
    Ok(outcome.render(&page))
}
