//! Confirming a chosen slot: sign in or register inline, then book it (or move an
//! appointment to it). A refusal re-renders the page with the reason or alternatives.

use super::{
    booking::{Chosen, SlotLink, Trouble, book_href, clinic_by_slug},
    error::PageError,
    forms::{Errors, Label, PageForm, QueryOr, login_href, see_other_with_cookies},
    layout::{MaybeUser, Nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        accounts, appointments,
        booking::{self, BookInput, PatientChoice},
        sessions,
    },
    auth::{CurrentUser, RequestCtx},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::AppointmentId;
use jiff::Timestamp;
use serde::Deserialize;
use std::sync::Arc;
use store::clinics::Clinic;

const BOOK_FIELDS: &[Label] = &[
    ("reason", "Reason"),
    ("name", "Name"),
    ("email", "E-mail"),
    ("phone", "Mobile number"),
    ("password", "Password"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BookForm {
    doctor: String,
    visit_type: String,
    start: String,
    reschedule: String,
    reason: String,
    name: String,
    email: String,
    phone: String,
    password: String,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    nav: Nav,
    clinic: Clinic,
    signed_in: bool,
    /// The signed-in patient already gave a mobile number.
    has_phone: bool,
    doctor_name: String,
    visit_type_name: String,
    when: String,
    fee: String,
    terms: Vec<String>,
    form: BookForm,
    login_href: String,
    back_href: String,
    alert: Option<String>,
    alternatives: Vec<SlotLink>,
    errors: Errors,
}

impl BookPage {
    fn rescheduling(&self) -> bool {
        !self.form.reschedule.is_empty()
    }
}

async fn book_page(
    state: &AppState,
    maybe: &MaybeUser,
    clinic: Clinic,
    form: BookForm,
    trouble: Trouble,
) -> Result<BookPage, PageError> {
    let slot = Chosen::load(state, &clinic, &form.doctor, &form.visit_type, &form.start).await?;
    let query = book_href(
        &clinic.slug,
        &slot.doctor.id.to_string(),
        &slot.vt.id.to_string(),
        &slot.start.to_string(),
        &form.reschedule,
    );
    Ok(BookPage {
        nav: maybe.nav(state, "home").await?,
        signed_in: maybe.0.is_some(),
        has_phone: maybe.0.as_ref().is_some_and(|u| u.user().phone.is_some()),
        login_href: login_href(&query),
        back_href: format!(
            "/c/{}/doctors/{}?visit_type={}",
            clinic.slug, slot.doctor.id, slot.vt.id
        ),
        doctor_name: slot.doctor.name,
        visit_type_name: slot.visit_type_name,
        when: slot.when,
        fee: slot.fee,
        terms: slot.terms,
        form,
        alert: trouble.alert,
        alternatives: trouble.alternatives,
        errors: trouble.errors,
        clinic,
    })
}

/// GET /c/{slug}/book: confirm a chosen slot.
pub async fn confirm(
    State(state): State<AppState>,
    maybe: MaybeUser,
    Path(slug): Path<String>,
    QueryOr(q): QueryOr<BookQuery>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let form = BookForm {
        doctor: q.doctor.unwrap_or_default(),
        visit_type: q.visit_type.unwrap_or_default(),
        start: q.start.unwrap_or_default(),
        reschedule: q.reschedule.unwrap_or_default(),
        ..BookForm::default()
    };
    let page = book_page(&state, &maybe, clinic, form, Trouble::default()).await?;
    Ok(super::forms::Outcome::OK.render(&page))
}

#[derive(Debug, Default, Deserialize)]
pub struct BookQuery {
    doctor: Option<String>,
    visit_type: Option<String>,
    start: Option<String>,
    reschedule: Option<String>,
}

/// POST /c/{slug}/book: book (or move) the slot; a visitor without an account registers
/// in the same form.
pub async fn book(
    State(state): State<AppState>,
    ctx: RequestCtx,
    maybe: MaybeUser,
    Path(slug): Path<String>,
    PageForm(form): PageForm<BookForm>,
) -> Result<Response, PageError> {
    let clinic = clinic_by_slug(&state, &slug).await?;
    let mut cookies = Vec::new();
    let me = match &maybe.0 {
        Some(me) => me.clone(),
        None => {
            let input = accounts::Registration {
                email: &form.email,
                name: &form.name,
                password: &form.password,
                phone: &form.phone,
                region: crate::app::phones::region(&state, Some(&clinic)),
            };
            // Booking signs the new account in at once, so an address that already has an
            // account must sign in first (the booking form is rate limited like sign-up).
            let registered = match accounts::register_patient(&state, &ctx, input).await {
                Ok(accounts::Signup::Created(u)) => {
                    // A new account has no second factor: its session opens at once.
                    match crate::app::totp::sign_in(&state, &ctx, &u, "session.login").await {
                        Ok(crate::app::totp::SignIn::Session(tokens)) => Ok((u, tokens)),
                        Ok(crate::app::totp::SignIn::Challenge { .. }) => {
                            Err(AppError::field("email", "Sign in first, then book."))
                        }
                        Err(e) => Err(e),
                    }
                }
                Ok(accounts::Signup::AlreadyRegistered { .. }) => Err(AppError::field(
                    "email",
                    "An account with this e-mail already exists. Sign in or reset your password.",
                )),
                Err(e) => Err(e),
            };
            match registered {
                Ok((_, tokens)) => {
                    cookies.extend(sessions::session_cookies(&state, &tokens));
                    let ident = sessions::identify_access(&state, &tokens.access_token)
                        .await?
                        .ok_or(AppError::Unauthorized)?;
                    CurrentUser(Arc::new(ident))
                }
                Err(e) => return failed(&state, &maybe, clinic, form, e).await,
            }
        }
    };
    // A signed-in patient without a number may give one for this visit's texts.
    if maybe.0.is_some()
        && me.user().phone.is_none()
        && let Err(e) = accounts::add_phone(&state, &ctx, &me, &form.phone, Some(&clinic)).await
    {
        return failed(&state, &maybe, clinic, form, e).await;
    }
    let caller = Caller::signed_in(&state, me, clinic.clone()).await?;
    let Ok(start) = form.start.parse::<Timestamp>() else {
        return Err(AppError::NotFound.into());
    };
    let result = match form.reschedule.parse::<AppointmentId>() {
        Ok(old) => appointments::reschedule(&state, &ctx, &caller, old, start, false)
            .await
            .map(|a| (a, "moved")),
        Err(_) => {
            let input = BookInput {
                doctor: form.doctor.parse().map_err(|_| AppError::NotFound)?,
                visit_type: form.visit_type.parse().map_err(|_| AppError::NotFound)?,
                start,
                patient: PatientChoice::Me,
                reason: form.reason.clone(),
                source: None,
                allow_patient_overlap: false,
            };
            booking::book(&state, &ctx, &caller, &input, None)
                .await
                .map(|(a, _)| (a, "booked"))
        }
    };
    match result {
        Ok((a, what)) => {
            let deposit = match what {
                "booked" => {
                    Chosen::load(&state, &clinic, &form.doctor, &form.visit_type, &form.start)
                        .await
                        .is_ok_and(|c| c.vt.deposit_minor > 0)
                }
                _ => false,
            };
            Ok(see_other_with_cookies(
                &format!(
                    "{}?{what}={}{}",
                    routes::my_appointments(),
                    a.ref_code,
                    if deposit { "&deposit=1" } else { "" }
                ),
                cookies,
            ))
        }
        Err(e) => {
            // A visitor who just registered is signed in from now on, even if the slot went.
            let maybe = MaybeUser(Some(caller.person()?.clone()));
            let mut res = failed(&state, &maybe, clinic, form, e).await?;
            for c in cookies {
                res.headers_mut().append(axum::http::header::SET_COOKIE, c);
            }
            Ok(res)
        }
    }
}

/// Re-renders the confirm page with what went wrong.
async fn failed(
    state: &AppState,
    maybe: &MaybeUser,
    clinic: Clinic,
    form: BookForm,
    e: AppError,
) -> Result<Response, PageError> {
    let trouble = Trouble::of(
        e,
        &clinic,
        "Sorry, someone has just taken this slot. These are the nearest free ones:",
        BOOK_FIELDS,
        |start| {
            book_href(
                &clinic.slug,
                &form.doctor,
                &form.visit_type,
                start,
                &form.reschedule,
            )
        },
    )?;
    let status = trouble.status;
    let form = BookForm {
        password: String::new(),
        ..form
    };
    let page = book_page(state, maybe, clinic, form, trouble).await?;
    Ok(super::forms::Outcome {
        status,
        retry_after: None,
    }
    .render(&page))
}
