//! The server's one integration-test binary. Every API test runs on SQLite, and again on
//! PostgreSQL when DOCSPOT_TEST_DATABASE_URL is set. Browser tests need chromedriver.

mod accounts;
mod audit;
mod board;
mod booking;
mod browser;
mod cli;
mod clinic_details;
mod clinics;
mod consultation_pages;
mod consultations;
mod desk_pages;
mod doctors;
mod documents;
mod email;
mod helpers;
mod home_pages;
mod http_surface;
mod lifecycle;
mod linking;
mod live_queue;
mod operations;
mod outage;
mod page_titles;
mod patients;
mod processes;
mod profile_pages;
mod queue;
mod race;
mod schedule_pages;
mod sessions;
mod staff;
mod staff_changes;
mod suspension;
mod world;
