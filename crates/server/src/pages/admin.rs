//! Platform administration: the clinics (tenants) of this install.

use super::{
    error::{Page, PageError},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, fmt_ts, see_other},
    layout::{Nav, nav},
};
use crate::routes;
use crate::{
    app::clinics::{self, NewClinicInput},
    auth::{PlatformAdmin, RequestCtx},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

const FIELDS: &[Label] = &[
    ("name", "Clinic name"),
    ("slug", "Slug"),
    ("time_zone", "Time zone"),
    ("currency", "Currency"),
    ("country", "Country"),
    ("admin_email", "First admin's e-mail"),
];

/// Suggestions for the time-zone field; any IANA zone is accepted.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Nairobi",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Sao_Paulo",
];

struct ClinicRow {
    name: String,
    slug: String,
    time_zone: String,
    currency: String,
    created: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClinicForm {
    name: String,
    slug: String,
    time_zone: String,
    currency: String,
    country: String,
    admin_email: String,
}

#[derive(Template)]
#[template(path = "admin_clinics.html")]
struct ClinicsPage {
    nav: Nav,
    clinics: Vec<ClinicRow>,
    created: Option<String>,
    form: ClinicForm,
    errors: Errors,
    zones: &'static [&'static str],
}

#[derive(Debug, Default, Deserialize)]
pub struct CreatedQuery {
    created: Option<String>,
}

async fn page(
    state: &AppState,
    admin: &PlatformAdmin,
    created: Option<String>,
    form: ClinicForm,
    errors: Errors,
) -> Result<ClinicsPage, PageError> {
    let clinics = clinics::list_clinics(state, &admin.0, 200, 0)
        .await?
        .into_iter()
        .map(|c| ClinicRow {
            name: c.name,
            slug: c.slug,
            time_zone: c.time_zone,
            currency: c.currency.to_string(),
            created: fmt_ts(c.created_at),
        })
        .collect();
    Ok(ClinicsPage {
        nav: nav(state, &admin.0, "clinics").await?,
        clinics,
        created,
        form,
        errors,
        zones: ZONES,
    })
}

/// GET /admin/clinics.
pub async fn list(
    State(state): State<AppState>,
    Page(admin): Page<PlatformAdmin>,
    QueryOr(q): QueryOr<CreatedQuery>,
) -> Result<Response, PageError> {
    // Only a well-formed slug is echoed, so the link cannot be used to show arbitrary text.
    let created = q.created.filter(|s| domain::ClinicSlug::parse(s).is_ok());
    let form = ClinicForm {
        time_zone: "UTC".into(),
        ..ClinicForm::default()
    };
    Ok(Outcome::OK.render(&page(&state, &admin, created, form, Errors::default()).await?))
}

/// POST /admin/clinics: creates the clinic and e-mails its first admin an invitation.
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(admin): Page<PlatformAdmin>,
    PageForm(form): PageForm<ClinicForm>,
) -> Result<Response, PageError> {
    let input = NewClinicInput {
        name: &form.name,
        slug: &form.slug,
        time_zone: &form.time_zone,
        currency: &form.currency,
        country: &form.country,
        admin_email: &form.admin_email,
    };
    match clinics::create_clinic(&state, &ctx, &admin, input).await {
        Ok(clinic) => {
            let q = serde_urlencoded::to_string([("created", clinic.slug.as_str())])
                .unwrap_or_default();
            Ok(see_other(&format!("{}?{q}", routes::admin_clinics())))
        }
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            Ok(outcome.render(&page(&state, &admin, None, form, errors).await?))
        }
    }
}
