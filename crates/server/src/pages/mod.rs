//! Server-rendered HTML pages. One file per area; this one lists every page route.
//!
//! Every page works without JavaScript, never changes state on GET, and re-renders a
//! form with inline errors (422, or 429 when rate limited) instead of failing.

mod account;
mod account_notifications;
mod account_phone;
mod account_totp;
mod admin;
mod appointments;
mod assets;
mod auth;
mod bill_actions;
mod bill_form;
mod bill_print;
mod bill_view;
mod billing_settings;
mod bills;
mod board;
mod book;
mod booking;
mod clinic_contact;
mod confirm;
mod consultation;
mod consultation_notes;
mod day;
mod day_book;
mod day_changes;
mod day_reschedule;
mod doctor_profile;
mod doctors;
mod documents;
mod drawer;
mod error;
mod forms;
mod home;
mod invite;
mod join;
mod layout;
mod live;
mod login_code;
mod messages;
mod password;
mod patient_record;
mod patients;
mod prescriptions;
mod profile_form;
mod queue;
mod queue_list;
mod queue_status;
mod schedule;
mod security;
mod settings;
mod slot_choice;
mod staff;
mod time_off;
mod visit_types;
mod webhooks;

pub use error::{Page, PageError, error_for_path};

use crate::state::AppState;
use axum::{
    Router,
    routing::{get, post},
};

/// All page routes, merged into the app router by `startup`. Document uploads may carry
/// `upload_limit` bytes.
pub fn router(upload_limit: usize) -> Router<AppState> {
    use crate::routes::pattern;
    let uploads = Router::new()
        .route(pattern::patient_documents, post(documents::upload))
        .route(pattern::my_document_upload, post(documents::upload_mine))
        .layer(axum::extract::DefaultBodyLimit::max(upload_limit));
    Router::new()
        .merge(uploads)
        .route(pattern::home, get(home::show))
        .route(pattern::login, get(auth::login_form).post(auth::login))
        .route(
            pattern::login_code,
            get(login_code::show).post(login_code::ask),
        )
        .route(pattern::login_code_verify, post(login_code::verify))
        .route(
            pattern::register,
            get(auth::register_form).post(auth::register),
        )
        .route(pattern::logout, post(auth::logout))
        .route(
            pattern::forgot_password,
            get(password::forgot_form).post(password::forgot),
        )
        .route(
            pattern::reset_password,
            get(password::reset_form).post(password::reset),
        )
        .route(
            pattern::confirm_email,
            get(confirm::show).post(confirm::confirm),
        )
        .route(pattern::invite, get(invite::show).post(invite::accept))
        .route(pattern::account, get(account::show))
        .route(pattern::account_password, post(account::change_password))
        .route(
            pattern::account_phone,
            get(account_phone::show).post(account_phone::ask),
        )
        .route(pattern::account_phone_confirm, post(account_phone::confirm))
        .route(
            pattern::account_totp,
            get(account_totp::show).post(account_totp::start),
        )
        .route(pattern::account_totp_confirm, post(account_totp::confirm))
        .route(pattern::account_totp_disable, post(account_totp::disable))
        .route(pattern::login_totp, post(auth::login_totp))
        .route(
            pattern::account_notifications,
            get(account_notifications::show).post(account_notifications::save),
        )
        .route(
            pattern::account_email_confirmation,
            post(account::send_confirmation),
        )
        .route(pattern::revoke_session, post(account::revoke_session))
        .route(pattern::switch_clinic, post(account::switch_clinic))
        .route(pattern::admin_clinics, get(admin::list).post(admin::create))
        .route(pattern::staff, get(staff::list))
        .route(pattern::staff_invite, post(staff::invite))
        .route(pattern::staff_deactivate, post(staff::deactivate))
        .route(pattern::clinic_page, get(booking::clinic_page))
        .route(pattern::public_doctor, get(booking::doctor_page))
        .route(pattern::public_book, get(book::confirm).post(book::book))
        .route(pattern::join, get(join::show).post(join::apply))
        .route(pattern::board, get(board::show))
        .route(pattern::board_events, get(board::events))
        .route(pattern::my_appointments, get(appointments::mine))
        .route(pattern::my_prescriptions, get(prescriptions::mine))
        .route(pattern::my_documents, get(documents::my_documents))
        .route(pattern::my_document, get(documents::download_mine))
        .route(pattern::prescription_print, get(prescriptions::print))
        .route(pattern::prescription_pdf, get(prescriptions::pdf))
        .route(
            pattern::cancel_by_link,
            get(appointments::link_form).post(appointments::link_cancel),
        )
        .route(pattern::my_appointment_cancel, post(appointments::cancel))
        .route(pattern::day, get(day::show))
        .route(pattern::doctors, get(doctors::list))
        .route(
            pattern::doctor_profile,
            get(doctor_profile::show).post(doctor_profile::save),
        )
        .route(pattern::specialties, post(doctors::add_specialty))
        .route(pattern::doctor_decision, post(doctors::decide))
        .route(
            pattern::appointment_cancel,
            get(day_changes::cancel_form).post(day_changes::cancel),
        )
        .route(
            pattern::appointment_reschedule,
            get(day_reschedule::reschedule_form).post(day_reschedule::reschedule),
        )
        .route(pattern::appointment_action, post(day::act))
        .route(pattern::desk_book, get(day_book::pick))
        .route(
            pattern::desk_book_confirm,
            get(day_book::confirm).post(day_book::book),
        )
        .route(pattern::patients, get(patients::search))
        .route(
            pattern::new_patient,
            get(patients::new_form).post(patients::create),
        )
        .route(pattern::patient, get(patient_record::show))
        .route(
            pattern::edit_patient,
            get(patients::edit_form).post(patients::update),
        )
        .route(pattern::link_patient, post(patient_record::link))
        .route(pattern::patient_document, get(documents::download))
        .route(pattern::queue, get(queue::show))
        .route(pattern::queue_events, get(queue_list::events))
        .route(pattern::queue_tokens, post(queue::issue))
        .route(pattern::call_next, post(queue::call_next))
        .route(pattern::token_transfer, post(queue::transfer))
        .route(pattern::token_slip, get(queue_status::slip))
        .route(pattern::token_action, post(queue::act))
        .route(pattern::queue_status, get(queue_status::show))
        .route(pattern::consult, post(consultation_notes::consult))
        .route(
            pattern::consultation,
            get(consultation::show).post(consultation::save),
        )
        .route(pattern::addenda, post(consultation_notes::add_addendum))
        .route(pattern::schedule, get(schedule::show))
        .route(pattern::hours, post(schedule::save_hours))
        .route(pattern::time_off, post(time_off::add))
        .route(pattern::remove_time_off, post(time_off::remove))
        .route(pattern::visit_types, post(visit_types::create))
        .route(pattern::archive_visit_type, post(visit_types::archive))
        .route(pattern::settings, get(settings::show))
        .route(pattern::settings_details, post(settings::save_details))
        .route(pattern::settings_policy, post(settings::save_policy))
        .route(pattern::settings_holidays, post(settings::add_holiday))
        .route(
            pattern::settings_billing,
            get(billing_settings::show).post(billing_settings::save),
        )
        .route(pattern::messages, get(messages::show))
        .route(
            pattern::webhooks,
            get(webhooks::show).post(webhooks::create),
        )
        .route(pattern::webhook_deliveries, get(webhooks::deliveries))
        .route(pattern::webhook_delete, post(webhooks::delete))
        .route(pattern::webhook_replay, post(webhooks::replay))
        .route(
            pattern::settings_security,
            get(security::show).post(security::save),
        )
        .route(pattern::message_retry, post(messages::retry))
        .route(pattern::bills, get(bills::list).post(bills::create))
        .route(pattern::bill, get(bills::show).post(bills::save))
        .route(pattern::bill_print, get(bill_print::print))
        .route(pattern::bill_pdf, get(bill_print::pdf))
        .route(pattern::bill_action, post(bill_actions::act))
        .route(pattern::drawer, get(drawer::show).post(drawer::open))
        .route(pattern::drawer_close, post(drawer::close))
        .route(pattern::collections, get(drawer::collections))
        .route(pattern::my_bills, get(bill_print::mine))
        .route(pattern::my_bill_pay_online, get(bill_print::pay_online))
        .route(pattern::razorpay_return, get(bill_print::razorpay_return))
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/static/icon.svg", get(assets::icon))
        .route("/static/icon-192.png", get(assets::icon_192))
        .route("/static/icon-512.png", get(assets::icon_512))
        .route(pattern::manifest, get(assets::manifest))
        .route(pattern::service_worker, get(assets::service_worker))
        .route("/favicon.ico", get(assets::favicon))
}
