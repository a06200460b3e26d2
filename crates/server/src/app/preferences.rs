//! A patient's notification preferences: which channels reach them (each choice kept with
//! its time and source, and audited), the language of their texts, quiet hours; and the
//! STOP and START replies that take a number off texts and put it back, whoever holds it.

use super::deliveries;
use crate::{
    auth::{CurrentUser, RequestCtx},
    error::{AppError, AppResult, FieldError},
    notify::sms::{Callback, Inbound},
    state::AppState,
};
use domain::{
    DomainError,
    preferences::{Channel, Keyword, Language, QuietHours},
};
use serde_json::json;
use store::{
    audit,
    preferences::{self, Preferences},
};

/// What a patient asks to change; anything left out stays.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub channels: Vec<(Channel, bool)>,
    pub language: Option<String>,
    /// `HH:MM`, both blank for none; `None` keeps them.
    pub quiet: Option<(String, String)>,
}

/// An account's preferences, with the opt-outs of its own number and address.
#[derive(Debug, Clone)]
pub struct View {
    pub preferences: Preferences,
    /// When and how the account's mobile number replied STOP.
    pub sms_opted_out: Option<(jiff::Timestamp, String)>,
}

/// The signed-in person's preferences.
pub async fn get(state: &AppState, me: &CurrentUser) -> AppResult<View> {
    let c = state.store().conn();
    let sms_opted_out = match &me.user().phone {
        Some(phone) => preferences::opted_out(c, Channel::Sms, phone).await?,
        None => None,
    };
    Ok(View {
        preferences: preferences::find(c, me.id()).await?,
        sms_opted_out,
    })
}

/// Changes the signed-in person's preferences, by `source` (`account page`, `api`).
/// Turning texts on takes their number off the STOP list: they asked for texts again.
pub async fn set(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
    change: &Change,
    source: &str,
) -> AppResult<View> {
    let mut errors: Vec<DomainError> = Vec::new();
    let language = match change.language.as_deref().map(Language::parse) {
        Some(Ok(l)) => Some(l),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    let quiet = match &change.quiet {
        Some((start, end)) => match QuietHours::parse(start, end) {
            Ok(q) => Some(q),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field.to_owned(),
                    message: e.message,
                })
                .collect(),
        ));
    }
    let now = state.now();
    let before = preferences::find(state.store().conn(), me.id()).await?;
    let tx = state.store().write().await?;
    let mut changed = Vec::new();
    for (channel, enabled) in &change.channels {
        if preferences::set_channel(&tx, me.id(), *channel, *enabled, source, now).await? {
            changed.push(json!({"channel": channel.as_str(), "enabled": enabled}));
        }
        // A yes on the account takes its number off that channel's STOP list.
        if let (true, Channel::Sms | Channel::Whatsapp, Some(phone)) =
            (*enabled, channel, &me.user().phone)
        {
            preferences::opt_in(&tx, *channel, phone).await?;
        }
    }
    if language.is_some() || quiet.is_some() {
        preferences::set_settings(
            &tx,
            me.id(),
            language.unwrap_or(before.language),
            quiet.unwrap_or(before.quiet),
            now,
        )
        .await?;
    }
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("user.notification_preferences", "user", me.id()).detail(json!({
            "source": source,
            "channels": changed,
            "language": language.map(Language::as_str),
            "quiet_hours": quiet.map(|q| q.map(|q| format!("{}-{}", q.start_str(), q.end_str()))),
        })),
        now,
    )
    .await?;
    store::commit(tx).await?;
    get(state, me).await
}

/// A text a patient sent to the install's number, as `provider` posted it: STOP takes
/// the number off texts, START puts it back; anything else is ignored. Answers whether it
/// changed anything.
pub async fn inbound(state: &AppState, provider: &str, callback: &Callback<'_>) -> AppResult<bool> {
    let (sender, text) = deliveries::verified(state, provider, |s| s.verify_inbound(callback))?;
    reply(state, Channel::Sms, sender.name(), &text).await
}

/// Applies a reply `text` that came in on `channel` through `provider`: STOP takes the
/// sender's number off the channel, START puts it back (audited); anything else changes
/// nothing. Answers whether it changed something.
pub async fn reply(
    state: &AppState,
    channel: Channel,
    provider: &'static str,
    text: &Inbound,
) -> AppResult<bool> {
    let Some(keyword) = Keyword::read(&text.body) else {
        return Ok(false);
    };
    let Ok(from) = domain::phone::MobileNumber::parse(&text.from, state.settings().default_country)
    else {
        return Err(AppError::BadRequest(
            "The sender is not a mobile number.".into(),
        ));
    };
    let now = state.now();
    let tx = state.store().write().await?;
    let changed = match keyword {
        Keyword::Stop => {
            preferences::opt_out(&tx, channel, from.as_str(), "STOP reply", now).await?
        }
        Keyword::Start => preferences::opt_in(&tx, channel, from.as_str()).await?,
    };
    if changed {
        let actor = crate::app::scope::SystemActor::Webhook(provider);
        let action = format!(
            "{}.{}",
            channel.as_str(),
            match keyword {
                Keyword::Stop => "opt_out",
                Keyword::Start => "opt_in",
            }
        );
        audit::append(
            &tx,
            &actor.ctx("inbound").actor(None),
            audit::Event::new(&action, "phone", from.as_str()),
            now,
        )
        .await?;
    }
    store::commit(tx).await?;
    Ok(changed)
}
