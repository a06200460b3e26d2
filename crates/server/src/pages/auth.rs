//! Signing in, registering and signing out.

use super::{
    error::PageError,
    forms::{
        Errors, Label, Outcome, PageForm, QueryOr, failure, safe_next, see_other,
        see_other_with_cookies,
    },
    layout::{MaybeUser, Nav},
};
use crate::routes;
use crate::{
    app::{accounts, sessions, totp},
    auth::{CurrentUser, RequestCtx, cookies},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{Email, PersonName, password::NewPassword};
use serde::Deserialize;

const LOGIN_FIELDS: &[Label] = &[("email", "E-mail"), ("password", "Password")];
const REGISTER_FIELDS: &[Label] = &[
    ("name", "Name"),
    ("email", "E-mail"),
    ("phone", "Mobile number"),
    ("password", "Password"),
    ("confirm", "Confirmation"),
];

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    /// After registering: what happens next.
    notice: Option<String>,
    email: String,
    next: String,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// GET /login. Someone already signed in goes straight on.
pub async fn login_form(maybe: MaybeUser, QueryOr(q): QueryOr<NextQuery>) -> Response {
    let next = safe_next(q.next.as_deref());
    if maybe.0.is_some() {
        return see_other(&next);
    }
    let page = LoginPage {
        nav: Nav::anonymous("login"),
        notice: None,
        email: String::new(),
        next,
        errors: Errors::default(),
    };
    Outcome::OK.render(&page)
}

/// POST /login: sets the session cookies and goes to `next`.
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestCtx,
    PageForm(form): PageForm<LoginForm>,
) -> Result<Response, PageError> {
    let next = safe_next(Some(&form.next));
    let mut errors = Errors::default();
    if form.email.trim().is_empty() {
        errors.add("email", "Enter your e-mail address.");
    }
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    let outcome = if errors.is_empty() {
        let signed_in =
            match sessions::check_password(&state, &ctx, &form.email, &form.password).await {
                Ok(user) => totp::sign_in(&state, &ctx, &user, "session.login").await,
                Err(e) => Err(e),
            };
        match signed_in {
            Ok(totp::SignIn::Session(tokens)) => {
                return Ok(see_other_with_cookies(
                    &next,
                    sessions::session_cookies(&state, &tokens),
                ));
            }
            Ok(totp::SignIn::Challenge { token, .. }) => {
                return Ok(Outcome::OK.render(&TotpPage {
                    nav: Nav::anonymous("login"),
                    mfa_token: token,
                    next,
                    errors: Errors::default(),
                }));
            }
            Err(e) => {
                let (outcome, e) = failure(e, LOGIN_FIELDS)?;
                errors = e;
                outcome
            }
        }
    } else {
        Outcome::INVALID
    };
    let page = LoginPage {
        nav: Nav::anonymous("login"),
        notice: None,
        email: form.email,
        next,
        errors,
    };
    Ok(outcome.render(&page))
}

/// The second step of a sign-in: a code from the authenticator app.
#[derive(Template)]
#[template(path = "login_totp.html")]
struct TotpPage {
    nav: Nav,
    mfa_token: String,
    next: String,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TotpForm {
    mfa_token: String,
    code: String,
    next: String,
}

const TOTP_FIELDS: &[Label] = &[("code", "Code"), ("mfa_token", "Sign-in")];

/// POST /login/totp: the code opens the session and goes to `next`.
pub async fn login_totp(
    State(state): State<AppState>,
    ctx: RequestCtx,
    PageForm(form): PageForm<TotpForm>,
) -> Result<Response, PageError> {
    let next = safe_next(Some(&form.next));
    match totp::answer(&state, &ctx, &form.mfa_token, &form.code).await {
        Ok((_, tokens)) => Ok(see_other_with_cookies(
            &next,
            sessions::session_cookies(&state, &tokens),
        )),
        Err(e) => {
            let (outcome, errors) = failure(e, TOTP_FIELDS)?;
            Ok(outcome.render(&TotpPage {
                nav: Nav::anonymous("login"),
                mfa_token: form.mfa_token,
                next,
                errors,
            }))
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    nav: Nav,
    name: String,
    email: String,
    phone: String,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    name: String,
    email: String,
    phone: String,
    password: String,
    confirm: String,
}

/// GET /register.
pub async fn register_form(maybe: MaybeUser) -> Response {
    if maybe.0.is_some() {
        return see_other("/");
    }
    let page = RegisterPage {
        nav: Nav::anonymous("register"),
        name: String::new(),
        email: String::new(),
        phone: String::new(),
        errors: Errors::default(),
    };
    Outcome::OK.render(&page)
}

/// POST /register: creates a patient account, signs it in and goes home.
pub async fn register(
    State(state): State<AppState>,
    ctx: RequestCtx,
    PageForm(form): PageForm<RegisterForm>,
) -> Result<Response, PageError> {
    let mut errors = Errors::default();
    let outcome = if form.password != form.confirm {
        errors.add_domain(REGISTER_FIELDS, PersonName::parse(&form.name).err());
        errors.add_domain(REGISTER_FIELDS, Email::parse(&form.email).err());
        errors.add_domain(REGISTER_FIELDS, NewPassword::parse(&form.password).err());
        errors.add("confirm", "The two passwords do not match.");
        Outcome::INVALID
    } else {
        let input = accounts::Registration {
            email: &form.email,
            name: &form.name,
            password: &form.password,
            phone: &form.phone,
            region: crate::app::phones::region(&state, None),
        };
        match accounts::register_patient(&state, &ctx, input).await {
            // New or not, the answer is the same: a message is on its way, and the person
            // signs in with the password they chose. Nobody learns whether the address
            // already had an account.
            Ok(_) => {
                let email = form.email.trim().to_owned();
                let page = LoginPage {
                    nav: Nav::anonymous("login"),
                    notice: Some(format!(
                        "Thank you. We have sent a message to {email}: open its link to confirm \
                         your address. Sign in now with the password you chose."
                    )),
                    email,
                    next: "/".into(),
                    errors: Errors::default(),
                };
                return Ok(Outcome::OK.render(&page));
            }
            Err(e) => {
                let (outcome, e) = failure(e, REGISTER_FIELDS)?;
                errors = e;
                outcome
            }
        }
    };
    let page = RegisterPage {
        nav: Nav::anonymous("register"),
        name: form.name,
        email: form.email,
        phone: form.phone,
        errors,
    };
    Ok(outcome.render(&page))
}

/// POST /logout: ends the session at once and clears the cookies.
pub async fn logout(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: Result<CurrentUser, AppError>,
) -> Result<Response, PageError> {
    if let Ok(me) = me {
        sessions::logout(&state, &ctx, &me).await?;
    }
    let mut res = see_other_with_cookies("/login", cookies::clear(state.settings().tls));
    res.headers_mut()
        .insert("clear-site-data", cookies::clear_site_data());
    Ok(res)
}
