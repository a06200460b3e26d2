//! The JSON API under `/api/v1`, with its OpenAPI 3.1 document. All routes are listed here.

pub mod auth;
pub mod clinics;
pub mod extract;
pub mod me;
pub mod views;

use crate::{error::AppError, state::AppState};
use axum::Router;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(title = "DocSpot API", description = "Clinic and appointment management. Errors are RFC 9457 problem+json."),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "me"), (name = "clinics"), (name = "staff"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and the OpenAPI document describing them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::register_patient))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh_token))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::request_password_reset))
        .routes(routes!(auth::reset_password))
        .routes(routes!(auth::accept_invite))
        .routes(routes!(me::get_me))
        .routes(routes!(me::list_sessions))
        .routes(routes!(me::revoke_session))
        .routes(routes!(me::change_password))
        .routes(routes!(clinics::create_clinic, clinics::list_clinics))
        .routes(routes!(clinics::invite_staff))
        .routes(routes!(clinics::list_staff))
        .routes(routes!(clinics::deactivate_staff))
        .split_for_parts();
    (router, openapi)
}

/// Unknown API paths are problem+json 404s.
pub async fn not_found() -> AppError {
    AppError::NotFound
}
