//! The JSON API under `/api/v1`, with its OpenAPI 3.1 document. All routes are listed here.

pub mod appointments;
pub mod auth;
pub mod billing_settings;
pub mod bills;
pub mod clinics;
pub mod consultations;
mod contract;
pub mod credit_notes;
pub mod doctors;
pub mod documents;
pub mod extract;
pub mod me;
pub mod messages;
pub mod online;
pub mod patients;
pub mod payments;
pub mod preferences;
pub mod prescriptions;
pub mod push;
pub mod queue;
pub mod schedule;
pub mod slot_views;
pub mod slots;
pub mod totp;
pub mod views;
pub mod webhooks;

use crate::state::AppState;
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
    tags((name = "auth"), (name = "me"), (name = "clinics"), (name = "staff"), (name = "doctors"), (name = "schedule"), (name = "booking"), (name = "patients"), (name = "queue"), (name = "consultations"), (name = "documents"), (name = "billing"), (name = "messages"), (name = "webhooks"))
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

/// The API routes and the OpenAPI document describing them. Uploads may carry
/// `upload_limit` bytes; every other body is bounded by the server's general limit.
pub fn router(upload_limit: usize) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::register_patient))
        .routes(routes!(auth::login))
        .routes(routes!(auth::verify_totp))
        .routes(routes!(totp::get_totp_status, totp::enroll_totp))
        .routes(routes!(totp::confirm_totp))
        .routes(routes!(totp::disable_totp))
        .routes(routes!(
            totp::get_clinic_security,
            totp::set_clinic_security
        ))
        .routes(routes!(auth::request_otp))
        .routes(routes!(auth::verify_otp))
        .routes(routes!(auth::refresh_token))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::request_password_reset))
        .routes(routes!(auth::reset_password))
        .routes(routes!(auth::confirm_email))
        .routes(routes!(auth::accept_invite))
        .routes(routes!(me::get_me))
        .routes(routes!(me::list_sessions))
        .routes(routes!(me::revoke_session))
        .routes(routes!(me::change_password))
        .routes(routes!(me::send_email_confirmation))
        .routes(routes!(clinics::create_clinic, clinics::list_clinics))
        .routes(routes!(clinics::set_clinic_details))
        .routes(routes!(clinics::invite_staff))
        .routes(routes!(clinics::list_staff))
        .routes(routes!(clinics::deactivate_staff))
        .routes(routes!(doctors::apply_as_doctor))
        .routes(routes!(doctors::list_pending_doctors))
        .routes(routes!(doctors::approve_doctor))
        .routes(routes!(doctors::reject_doctor))
        .routes(routes!(doctors::suspend_doctor))
        .routes(routes!(doctors::list_doctors))
        .routes(routes!(doctors::get_doctor, doctors::update_doctor_profile))
        .routes(routes!(
            doctors::list_specialties,
            doctors::create_specialty
        ))
        .routes(routes!(
            schedule::create_visit_type,
            schedule::list_visit_types
        ))
        .routes(routes!(
            schedule::set_weekly_hours,
            schedule::get_weekly_hours
        ))
        .routes(routes!(schedule::add_leave))
        .routes(routes!(schedule::add_extra_hours))
        .routes(routes!(schedule::add_holiday))
        .routes(routes!(schedule::remove_schedule_exception))
        .routes(routes!(schedule::list_schedule_exceptions))
        .routes(routes!(schedule::archive_visit_type))
        .routes(routes!(
            schedule::set_booking_policy,
            schedule::get_booking_policy
        ))
        .routes(routes!(slots::search_slots))
        .routes(routes!(
            appointments::book_appointment,
            appointments::list_appointments
        ))
        .routes(routes!(appointments::get_appointment))
        .routes(routes!(appointments::list_my_appointments))
        .routes(routes!(appointments::reschedule_appointment))
        .routes(routes!(appointments::cancel_appointment))
        .routes(routes!(appointments::mark_arrived))
        .routes(routes!(appointments::mark_noshow))
        .routes(routes!(appointments::complete_appointment))
        .routes(routes!(appointments::approve_appointment))
        .routes(routes!(patients::create_patient, patients::search_patients))
        .routes(routes!(patients::get_patient, patients::update_patient))
        .routes(routes!(patients::link_patient_account))
        .routes(routes!(queue::issue_token))
        .routes(routes!(queue::check_in_appointment))
        .routes(routes!(queue::get_queue))
        .routes(routes!(queue::call_next_token))
        .routes(routes!(queue::recall_token))
        .routes(routes!(queue::skip_token))
        .routes(routes!(queue::requeue_token))
        .routes(routes!(queue::start_token))
        .routes(routes!(queue::end_token))
        .routes(routes!(queue::transfer_token))
        .routes(routes!(queue::get_queue_status))
        .routes(routes!(consultations::start_consultation))
        .routes(routes!(
            consultations::get_consultation,
            consultations::save_consultation
        ))
        .routes(routes!(consultations::sign_consultation))
        .routes(routes!(consultations::add_addendum))
        .routes(routes!(prescriptions::create_prescription))
        .routes(routes!(prescriptions::get_prescription))
        .routes(routes!(prescriptions::list_my_prescriptions))
        .routes(routes!(consultations::get_patient_history))
        .routes(routes!(bills::create_bill, bills::list_bills))
        .routes(routes!(bills::get_bill, bills::update_bill))
        .routes(routes!(bills::issue_bill))
        .routes(routes!(bills::void_bill))
        .routes(routes!(bills::download_bill_pdf))
        .routes(routes!(credit_notes::create_credit_note))
        .routes(routes!(credit_notes::refund_payment))
        .routes(routes!(online::start_online_payment))
        .routes(routes!(online::stripe_webhook))
        .routes(routes!(online::razorpay_webhook))
        .routes(routes!(messages::sms_status_callback))
        .routes(routes!(messages::sms_inbound))
        .routes(routes!(
            messages::whatsapp_webhook_check,
            messages::whatsapp_webhook
        ))
        .routes(routes!(push::get_vapid_public_key))
        .routes(routes!(push::register_push_subscription))
        .routes(routes!(push::delete_push_subscription))
        .routes(routes!(
            webhooks::create_webhook_endpoint,
            webhooks::list_webhook_endpoints
        ))
        .routes(routes!(webhooks::delete_webhook_endpoint))
        .routes(routes!(webhooks::list_webhook_deliveries))
        .routes(routes!(webhooks::replay_webhook_delivery))
        .routes(routes!(
            preferences::get_notification_preferences,
            preferences::set_notification_preferences
        ))
        .routes(routes!(messages::list_message_deliveries))
        .routes(routes!(messages::retry_message_delivery))
        .routes(routes!(bills::list_my_bills))
        .routes(routes!(
            billing_settings::get_billing_settings,
            billing_settings::set_billing_settings
        ))
        .routes(routes!(payments::record_payment))
        .routes(routes!(payments::open_cash_session))
        .routes(routes!(payments::close_cash_session))
        .routes(routes!(payments::get_collection_report))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(
                    documents::upload_document,
                    documents::list_documents
                ))
                .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .routes(routes!(documents::download_document))
        .split_for_parts();
    (router, contract::complete(openapi))
}
