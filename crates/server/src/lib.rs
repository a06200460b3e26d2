//! The DocSpot server: HTTP API, HTML pages and background workers in one binary.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod gateway;
pub mod http;
pub mod jobs;
pub mod notify;
pub mod pages;
pub mod pdf;
pub mod print;
pub mod routes;
pub mod signing;
pub mod startup;
pub mod state;

pub use startup::App;
