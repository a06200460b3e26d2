//! Server-rendered HTML pages. One file per area; this one lists every page route.
//!
//! Every page works without JavaScript, never changes state on GET, and re-renders a
//! form with inline errors (422, or 429 when rate limited) instead of failing.

mod account;
mod admin;
mod appointments;
mod assets;
mod auth;
mod board;
mod book;
mod booking;
mod clinic_contact;
mod confirm;
mod consultation;
mod day;
mod day_book;
mod day_changes;
mod day_reschedule;
mod doctor_profile;
mod doctors;
mod documents;
mod error;
mod forms;
mod home;
mod invite;
mod join;
mod layout;
mod live;
mod password;
mod patient_record;
mod patients;
mod prescriptions;
mod profile_form;
mod queue;
mod queue_list;
mod queue_status;
mod schedule;
mod settings;
mod staff;
mod time_off;
mod visit_types;

pub use error::{Page, PageError, error_for_path};

use crate::state::AppState;
use axum::{
    Router,
    routing::{get, post},
};

/// All page routes, merged into the app router by `startup`. Document uploads may carry
/// `upload_limit` bytes.
pub fn router(upload_limit: usize) -> Router<AppState> {
    let uploads = Router::new()
        .route(
            "/clinics/{clinic_id}/patients/{patient_id}/documents",
            post(documents::upload),
        )
        .route(
            "/documents/{clinic_id}/{patient_id}",
            post(documents::upload_mine),
        )
        .layer(axum::extract::DefaultBodyLimit::max(upload_limit));
    Router::new()
        .merge(uploads)
        .route("/", get(home::show))
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/register", get(auth::register_form).post(auth::register))
        .route("/logout", post(auth::logout))
        .route(
            "/forgot-password",
            get(password::forgot_form).post(password::forgot),
        )
        .route(
            "/reset-password",
            get(password::reset_form).post(password::reset),
        )
        .route("/confirm-email", get(confirm::show).post(confirm::confirm))
        .route("/invite", get(invite::show).post(invite::accept))
        .route("/account", get(account::show))
        .route("/account/password", post(account::change_password))
        .route(
            "/account/email-confirmation",
            post(account::send_confirmation),
        )
        .route(
            "/account/sessions/{id}/revoke",
            post(account::revoke_session),
        )
        .route("/switch-clinic", post(account::switch_clinic))
        .route("/admin/clinics", get(admin::list).post(admin::create))
        .route("/clinics/{clinic_id}/staff", get(staff::list))
        .route("/clinics/{clinic_id}/staff/invite", post(staff::invite))
        .route(
            "/clinics/{clinic_id}/staff/{membership_id}/deactivate",
            post(staff::deactivate),
        )
        .route("/c/{slug}", get(booking::clinic_page))
        .route("/c/{slug}/doctors/{doctor_id}", get(booking::doctor_page))
        .route("/c/{slug}/book", get(book::confirm).post(book::book))
        .route("/c/{slug}/join", get(join::show).post(join::apply))
        .route("/c/{slug}/board", get(board::show))
        .route("/c/{slug}/board/events", get(board::events))
        .route("/appointments", get(appointments::mine))
        .route("/prescriptions", get(prescriptions::mine))
        .route("/documents", get(documents::my_documents))
        .route(
            "/documents/{clinic_id}/{patient_id}/{document_id}",
            get(documents::download_mine),
        )
        .route(
            "/clinics/{clinic_id}/prescriptions/{prescription_id}/print",
            get(prescriptions::print),
        )
        .route(
            "/appointments/cancel",
            get(appointments::link_form).post(appointments::link_cancel),
        )
        .route(
            "/appointments/{clinic_id}/{appointment_id}/cancel",
            post(appointments::cancel),
        )
        .route("/clinics/{clinic_id}/day", get(day::show))
        .route("/clinics/{clinic_id}/doctors", get(doctors::list))
        .route(
            "/clinics/{clinic_id}/doctors/{doctor_id}/profile",
            get(doctor_profile::show).post(doctor_profile::save),
        )
        .route(
            "/clinics/{clinic_id}/specialties",
            post(doctors::add_specialty),
        )
        .route(
            "/clinics/{clinic_id}/doctors/{doctor_id}/{decision}",
            post(doctors::decide),
        )
        .route(
            "/clinics/{clinic_id}/appointments/{appointment_id}/cancel",
            get(day_changes::cancel_form).post(day_changes::cancel),
        )
        .route(
            "/clinics/{clinic_id}/appointments/{appointment_id}/reschedule",
            get(day_reschedule::reschedule_form).post(day_reschedule::reschedule),
        )
        .route(
            "/clinics/{clinic_id}/appointments/{appointment_id}/{action}",
            post(day::act),
        )
        .route("/clinics/{clinic_id}/book", get(day_book::pick))
        .route(
            "/clinics/{clinic_id}/book/confirm",
            get(day_book::confirm).post(day_book::book),
        )
        .route("/clinics/{clinic_id}/patients", get(patients::search))
        .route(
            "/clinics/{clinic_id}/patients/new",
            get(patients::new_form).post(patients::create),
        )
        .route(
            "/clinics/{clinic_id}/patients/{patient_id}",
            get(patient_record::show),
        )
        .route(
            "/clinics/{clinic_id}/patients/{patient_id}/edit",
            get(patients::edit_form).post(patients::update),
        )
        .route(
            "/clinics/{clinic_id}/patients/{patient_id}/link",
            post(patient_record::link),
        )
        .route(
            "/clinics/{clinic_id}/patients/{patient_id}/documents/{document_id}",
            get(documents::download),
        )
        .route("/clinics/{clinic_id}/queue", get(queue::show))
        .route("/clinics/{clinic_id}/queue/events", get(queue_list::events))
        .route("/clinics/{clinic_id}/queue/tokens", post(queue::issue))
        .route(
            "/clinics/{clinic_id}/queue/doctors/{doctor_id}/call-next",
            post(queue::call_next),
        )
        .route(
            "/clinics/{clinic_id}/queue/tokens/{token_id}/transfer",
            post(queue::transfer),
        )
        .route(
            "/clinics/{clinic_id}/queue/tokens/{token_id}/slip",
            get(queue_status::slip),
        )
        .route(
            "/clinics/{clinic_id}/queue/tokens/{token_id}/{action}",
            post(queue::act),
        )
        .route("/q/{token_id}/{signature}", get(queue_status::show))
        .route(
            "/clinics/{clinic_id}/queue/tokens/{token_id}/consult",
            post(consultation::consult),
        )
        .route(
            "/clinics/{clinic_id}/consultations/{consultation_id}",
            get(consultation::show).post(consultation::save),
        )
        .route(
            "/clinics/{clinic_id}/consultations/{consultation_id}/addenda",
            post(consultation::add_addendum),
        )
        .route("/clinics/{clinic_id}/schedule", get(schedule::show))
        .route(
            "/clinics/{clinic_id}/schedule/{doctor_id}/hours",
            post(schedule::save_hours),
        )
        .route(
            "/clinics/{clinic_id}/schedule/{doctor_id}/exceptions",
            post(time_off::add),
        )
        .route(
            "/clinics/{clinic_id}/schedule-exceptions/{exception_id}/remove",
            post(time_off::remove),
        )
        .route(
            "/clinics/{clinic_id}/visit-types",
            post(visit_types::create),
        )
        .route(
            "/clinics/{clinic_id}/visit-types/{visit_type_id}/archive",
            post(visit_types::archive),
        )
        .route("/clinics/{clinic_id}/settings", get(settings::show))
        .route(
            "/clinics/{clinic_id}/settings/details",
            post(settings::save_details),
        )
        .route(
            "/clinics/{clinic_id}/settings/policy",
            post(settings::save_policy),
        )
        .route(
            "/clinics/{clinic_id}/settings/holidays",
            post(settings::add_holiday),
        )
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/static/icon.svg", get(assets::icon))
        .route("/favicon.ico", get(assets::favicon))
}
