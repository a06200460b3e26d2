//! The server's one integration-test binary. Browser tests need chromedriver.
//!
//! Every API test runs once per database, as two named cases: write the body as an
//! ordinary async function that takes the app, and put `each_backend!` beside it:
//!
//! ```ignore
//! use crate::backends::each_backend;
//!
//! each_backend!(a_patient_books_a_slot);
//! async fn a_patient_books_a_slot(app: TestApp) {
//!     // … arrange, act, assert with `app`
//! }
//! ```
//!
//! That makes `booking::a_patient_books_a_slot::sqlite` and `…::postgres`, each a
//! `#[tokio::test]`; `cargo test a_patient_books_a_slot::postgres` runs one. Other test
//! attributes replace the default, so give them all:
//! `each_backend!(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] name);`.
//! A body that takes `db: TestDb` gets the database instead, to build the app with changed
//! settings (`TestApp::with(db, |s| …)`) or to use the store alone.
//!
//! The `postgres` case needs DOCSPOT_TEST_DATABASE_URL; without it the case prints one line
//! and passes, unless DOCSPOT_TEST_REQUIRE_POSTGRES=1 (as CI sets), which makes a missing or
//! unreachable PostgreSQL fail. `TestApp::each()` (a loop over both inside one test) still
//! works for tests not yet converted, but a failure there does not name the database.
//!
//! `fixtures` builds a clinic, its people and its visit types straight in the store, for
//! tests whose subject is not how they came to be; `world` builds them through the API.
//! `pinned::problem` and `pinned::mail` pin problem+json bodies and e-mails with insta, in
//! `snapshots/`, one file per name for both databases; under CI=true a missing or changed
//! snapshot fails.

mod accounts;
mod audit;
mod backends;
mod billing;
mod billing_desk;
mod billing_pages;
mod billing_races;
mod board;
mod booking;
mod browser;
mod cli;
mod clinic_details;
mod clinics;
mod consultation_pages;
mod consultations;
mod crash_load;
mod desk_pages;
mod doctors;
mod documents;
mod email;
mod events;
mod fakes;
mod fixtures;
mod helpers;
mod home_pages;
mod http_surface;
mod jobs;
mod lifecycle;
mod linking;
mod live_queue;
mod mails;
mod money_pages;
mod online_payments;
mod openapi;
mod operations;
mod otp;
mod outage;
mod page_titles;
mod patient_overlap;
mod patients;
mod phones;
mod pinned;
mod policy;
mod preferences;
mod problems;
mod processes;
mod profile_pages;
mod push;
mod queue;
mod queue_order;
mod race;
mod schedule_pages;
mod scope;
mod sessions;
mod sms;
mod sms_providers;
mod staff;
mod staff_changes;
mod suspension;
mod teardown;
mod totp;
mod visit_charges;
mod webhooks;
mod whatsapp;
mod world;
