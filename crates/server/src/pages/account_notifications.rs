//! How a patient is reached: channels on or off (each with when it was chosen), the
//! language of texts, quiet hours; and, when their number replied STOP, how to start
//! again.

use super::{
    error::{Page, PageError},
    forms::{Choice, Errors, Label, Outcome, PageForm, QueryOr, failure, fmt_ts, see_other},
    layout::{Nav, nav},
};
use crate::{
    app::preferences::{self, Change, View},
    auth::{CurrentUser, RequestCtx},
    routes,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::preferences::{Channel, Language};
use serde::Deserialize;

const FIELDS: &[Label] = &[
    ("language", "Language"),
    ("quiet_start", "Quiet hours start"),
    ("quiet_end", "Quiet hours end"),
];

/// One channel's checkbox.
struct ChannelRow {
    name: &'static str,
    label: &'static str,
    on: bool,
    /// "Since 7 Dec 2026, 10:30 (account page)", or the default.
    since: String,
}

#[derive(Template)]
#[template(path = "account_notifications.html")]
struct NotificationsPage {
    nav: Nav,
    saved: bool,
    has_phone: bool,
    channels: Vec<ChannelRow>,
    languages: Vec<Choice>,
    quiet_start: String,
    quiet_end: String,
    /// When the number replied STOP.
    stopped: Option<String>,
    errors: Errors,
}

/// What was ticked and typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NotificationsForm {
    sms: Option<String>,
    email: Option<String>,
    whatsapp: Option<String>,
    push: Option<String>,
    language: String,
    quiet_start: String,
    quiet_end: String,
}

/// `?saved=1` after a save.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Saved {
    saved: Option<String>,
}

fn label(c: Channel) -> &'static str {
    match c {
        Channel::Sms => "Text messages (SMS)",
        Channel::Email => "E-mail",
        Channel::Whatsapp => "WhatsApp",
        Channel::Push => "Notifications on my devices",
    }
}

fn page(
    nav: Nav,
    me: &CurrentUser,
    view: &View,
    form: Option<&NotificationsForm>,
    errors: Errors,
    saved: bool,
) -> NotificationsPage {
    let p = &view.preferences;
    let channels = p
        .channels
        .iter()
        .map(|c| ChannelRow {
            name: c.channel.as_str(),
            label: label(c.channel),
            on: match form {
                Some(f) => match c.channel {
                    Channel::Sms => f.sms.is_some(),
                    Channel::Email => f.email.is_some(),
                    Channel::Whatsapp => f.whatsapp.is_some(),
                    Channel::Push => f.push.is_some(),
                },
                None => c.enabled,
            },
            since: match (&c.changed_at, &c.source) {
                (Some(at), Some(source)) => format!(
                    "{} since {} ({source})",
                    if c.enabled { "On" } else { "Off" },
                    fmt_ts(*at)
                ),
                _ if !c.channel.on_by_default() => "Off until you turn it on.".into(),
                _ => "As set for everyone; you have not chosen.".into(),
            },
        })
        .collect();
    let language = form.map_or(p.language.as_str(), |f| f.language.as_str());
    NotificationsPage {
        nav,
        saved,
        has_phone: me.user().phone.is_some(),
        channels,
        languages: Language::ALL
            .into_iter()
            .map(|l| Choice {
                id: l.as_str().into(),
                name: l.name().into(),
                selected: l.as_str() == language,
            })
            .collect(),
        quiet_start: form.map_or_else(
            || p.quiet.map(|q| q.start_str()).unwrap_or_default(),
            |f| f.quiet_start.clone(),
        ),
        quiet_end: form.map_or_else(
            || p.quiet.map(|q| q.end_str()).unwrap_or_default(),
            |f| f.quiet_end.clone(),
        ),
        stopped: view.sms_opted_out.as_ref().map(|(at, _)| fmt_ts(*at)),
        errors,
    }
}

/// GET /account/notifications.
pub async fn show(
    State(state): State<AppState>,
    Page(me): Page<CurrentUser>,
    QueryOr(q): QueryOr<Saved>,
) -> Result<Response, PageError> {
    let view = preferences::get(&state, &me).await?;
    let nav = nav(&state, &me, "account").await?;
    Ok(Outcome::OK.render(&page(
        nav,
        &me,
        &view,
        None,
        Errors::default(),
        q.saved.is_some(),
    )))
}

/// POST /account/notifications.
pub async fn save(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PageForm(form): PageForm<NotificationsForm>,
) -> Result<Response, PageError> {
    let change = Change {
        channels: vec![
            (Channel::Sms, form.sms.is_some()),
            (Channel::Email, form.email.is_some()),
            (Channel::Whatsapp, form.whatsapp.is_some()),
            (Channel::Push, form.push.is_some()),
        ],
        language: Some(form.language.clone()),
        quiet: Some((form.quiet_start.clone(), form.quiet_end.clone())),
    };
    match preferences::set(&state, &ctx, &me, &change, "account page").await {
        Ok(_) => Ok(see_other(&format!(
            "{}?saved=1",
            routes::account_notifications()
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let view = preferences::get(&state, &me).await?;
            let nav = nav(&state, &me, "account").await?;
            Ok(outcome.render(&page(nav, &me, &view, Some(&form), errors, false)))
        }
    }
}
