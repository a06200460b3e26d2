//! Clinics (tenants) and their staff.

use super::{
    extract::{ApiJson, ApiPath, ApiQuery, Page},
    views::{ClinicView, StaffList},
};
use crate::{
    app::{clinics, staff},
    auth::{
        CurrentUser, RequestCtx,
        extract::{ClinicAdmin, PlatformAdmin},
    },
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;

/// A new clinic and the e-mail of its first admin (who gets an invitation).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClinicRequest {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// 3–40 of a–z, 0–9 and inner hyphens; unique.
    #[schema(min_length = 3, max_length = 40)]
    pub slug: String,
    /// IANA zone, e.g. `Asia/Kolkata`.
    #[schema(min_length = 1, max_length = 64)]
    pub time_zone: String,
    /// ISO 4217, e.g. `INR`.
    #[schema(min_length = 3, max_length = 3)]
    pub currency: String,
    /// ISO 3166 letters (`IN`): where patients' mobile numbers typed without `+` are read.
    /// Left out: the install's default country.
    #[serde(default)]
    #[schema(max_length = 2)]
    pub country: String,
    #[schema(min_length = 1, max_length = 254)]
    pub admin_email: String,
}

/// Create a clinic (platform admins).
#[utoipa::path(post, path = "/api/v1/clinics", operation_id = "create_clinic", tag = "clinics",
    request_body = CreateClinicRequest,
    responses((status = 201, body = ClinicView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_clinic(
    State(state): State<AppState>,
    ctx: RequestCtx,
    admin: PlatformAdmin,
    ApiJson(b): ApiJson<CreateClinicRequest>,
) -> AppResult<(StatusCode, Json<ClinicView>)> {
    let c = clinics::create_clinic(
        &state,
        &ctx,
        &admin,
        clinics::NewClinicInput {
            name: &b.name,
            slug: &b.slug,
            time_zone: &b.time_zone,
            currency: &b.currency,
            country: &b.country,
            admin_email: &b.admin_email,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(c.into())))
}

/// Clinics visible to the caller: all for platform admins, else their own.
#[utoipa::path(get, path = "/api/v1/clinics", operation_id = "list_clinics", tag = "clinics",
    params(Page), responses((status = 200, body = Vec<ClinicView>), (status = 401, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn list_clinics(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(p): ApiQuery<Page>,
) -> AppResult<Json<Vec<ClinicView>>> {
    let list = clinics::list_clinics(&state, &me, p.limit(), p.offset()).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// What patients see about reaching the clinic. Each part may be empty (or null), which
/// clears it; the whole set is replaced.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClinicDetailsRequest {
    /// Postal address, without control characters (one line).
    #[schema(max_length = 300)]
    pub address: String,
    /// 7–15 digits, optionally starting with `+`; spaces, dots, dashes and brackets are
    /// dropped.
    pub phone: String,
    /// Free text, e.g. `Mon–Sat 09:00–18:00, Sun closed`.
    #[schema(max_length = 200)]
    pub opening_hours: String,
    /// Decimal degrees north; given with `longitude`, or both null.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    /// Decimal degrees east; given with `latitude`, or both null.
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
}

/// Set the clinic's address, phone, opening hours and map location (clinic admins).
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/details", operation_id = "set_clinic_details", tag = "clinics",
    params(("clinic_id" = uuid::Uuid, Path)), request_body = ClinicDetailsRequest,
    responses((status = 200, body = ClinicView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_clinic_details(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(b): ApiJson<ClinicDetailsRequest>,
) -> AppResult<Json<ClinicView>> {
    let degrees = |v: Option<f64>| v.map(|d| d.to_string()).unwrap_or_default();
    let (latitude, longitude) = (degrees(b.latitude), degrees(b.longitude));
    let input = domain::clinic::DetailsInput {
        address: &b.address,
        phone: &b.phone,
        opening_hours: &b.opening_hours,
        latitude: &latitude,
        longitude: &longitude,
    };
    let c = clinics::set_clinic_details(&state, &ctx, &scope, &input).await?;
    Ok(Json(c.into()))
}

/// An invitation to send.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteStaffRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    /// `admin`, `doctor` or `receptionist`.
    pub role: String,
}

/// Invite a staff member by e-mail (clinic admins).
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/invites", operation_id = "invite_staff", tag = "staff",
    params(("clinic_id" = uuid::Uuid, Path)), request_body = InviteStaffRequest,
    responses((status = 202), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn invite_staff(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiJson(b): ApiJson<InviteStaffRequest>,
) -> AppResult<StatusCode> {
    staff::invite_staff(&state, &ctx, &scope, &b.email, &b.role).await?;
    Ok(StatusCode::ACCEPTED)
}

/// The clinic's staff and recent invitations (clinic admins).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/staff", operation_id = "list_staff", tag = "staff",
    params(("clinic_id" = uuid::Uuid, Path), Page),
    responses((status = 200, body = StaffList), (status = 404, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn list_staff(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiQuery(p): ApiQuery<Page>,
) -> AppResult<Json<StaffList>> {
    let (staff, invites) = staff::list_staff(&state, &ctx, &scope, p.limit(), p.offset()).await?;
    Ok(Json(StaffList {
        staff: staff.into_iter().map(Into::into).collect(),
        invites: invites.into_iter().map(Into::into).collect(),
    }))
}

/// Deactivate a staff membership (clinic admins). The last admin cannot be removed.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/staff/{membership_id}/deactivate", operation_id = "deactivate_staff", tag = "staff",
    params(("clinic_id" = uuid::Uuid, Path), ("membership_id" = uuid::Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")), security(("bearer" = [])))]
pub async fn deactivate_staff(
    State(state): State<AppState>,
    ctx: RequestCtx,
    scope: ClinicAdmin,
    ApiPath((_, membership_id)): ApiPath<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<StatusCode> {
    staff::deactivate_staff(
        &state,
        &ctx,
        &scope,
        domain::MembershipId::from_uuid(membership_id),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
