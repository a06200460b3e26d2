//! The signed-in patient's notification preferences.

use super::extract::ApiJson;
use crate::{
    app::preferences::{self, Change, View},
    auth::{CurrentUser, RequestCtx},
    error::{AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State};
use domain::preferences::Channel;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// One channel: on or off, and when and how that was chosen (null: never chosen, the
/// default holds).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelPreferenceView {
    /// `sms`, `email`, `whatsapp` or `push`.
    pub channel: String,
    pub enabled: bool,
    pub consent_at: Option<String>,
    /// `account page`, `api`, …
    pub consent_source: Option<String>,
}

/// A daily window when texts wait, in the clinic's zone (`HH:MM`; it may run over
/// midnight). Their turn at the clinic and sign-in codes still come.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursView {
    #[schema(example = "21:00")]
    pub start: String,
    #[schema(example = "08:00")]
    pub end: String,
}

/// How the patient is reached.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPreferencesView {
    /// Every channel.
    pub channels: Vec<ChannelPreferenceView>,
    /// The language of texts: `en` or `hi`.
    pub language: String,
    pub quiet_hours: Option<QuietHoursView>,
    /// When the account's mobile number replied STOP (no texts until START, or until
    /// texts are turned on here).
    pub sms_opted_out_at: Option<String>,
}

impl From<View> for NotificationPreferencesView {
    fn from(v: View) -> Self {
        let p = v.preferences;
        NotificationPreferencesView {
            channels: p
                .channels
                .into_iter()
                .map(|c| ChannelPreferenceView {
                    channel: c.channel.as_str().into(),
                    enabled: c.enabled,
                    consent_at: c.changed_at.map(|t| t.to_string()),
                    consent_source: c.source,
                })
                .collect(),
            language: p.language.as_str().into(),
            quiet_hours: p.quiet.map(|q| QuietHoursView {
                start: q.start_str(),
                end: q.end_str(),
            }),
            sms_opted_out_at: v.sms_opted_out.map(|(at, _)| at.to_string()),
        }
    }
}

/// Channels to turn on or off; those left out stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsRequest {
    pub sms: Option<bool>,
    pub email: Option<bool>,
    /// WhatsApp needs a yes: it is off until turned on.
    pub whatsapp: Option<bool>,
    pub push: Option<bool>,
}

/// What to change; fields left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetNotificationPreferencesRequest {
    #[serde(default)]
    pub channels: Option<ChannelsRequest>,
    /// `en` or `hi`.
    #[serde(default)]
    pub language: Option<String>,
    /// `null` ends quiet hours.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable)]
    pub quiet_hours: Option<Option<QuietHoursView>>,
}

/// A field that is present: `Some(None)` for `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The caller's notification preferences.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", operation_id = "get_notification_preferences", tag = "me",
    responses((status = 200, body = NotificationPreferencesView), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_notification_preferences(
    State(state): State<AppState>,
    me: CurrentUser,
) -> AppResult<Json<NotificationPreferencesView>> {
    Ok(Json(preferences::get(&state, &me).await?.into()))
}

/// Change the caller's notification preferences (audited, each channel's choice kept with
/// its time and source `api`). Turning texts on takes the number off the STOP list.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", operation_id = "set_notification_preferences", tag = "me",
    request_body = SetNotificationPreferencesRequest,
    responses((status = 200, body = NotificationPreferencesView), (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn set_notification_preferences(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
    ApiJson(body): ApiJson<SetNotificationPreferencesRequest>,
) -> AppResult<Json<NotificationPreferencesView>> {
    let c = body.channels.unwrap_or_default();
    let channels = [
        (Channel::Sms, c.sms),
        (Channel::Email, c.email),
        (Channel::Whatsapp, c.whatsapp),
        (Channel::Push, c.push),
    ]
    .into_iter()
    .filter_map(|(ch, on)| on.map(|on| (ch, on)))
    .collect();
    let change = Change {
        channels,
        language: body.language,
        quiet: body.quiet_hours.map(|q| match q {
            Some(q) => (q.start, q.end),
            None => (String::new(), String::new()),
        }),
    };
    let view = preferences::set(&state, &ctx, &me, &change, "api").await?;
    Ok(Json(view.into()))
}
