//! Web push to a patient's devices. `push.notify` is one event's message for one account:
//! when it runs (and the patient has push on, and a reminder's visit still stands) it
//! makes one `push.device` job per subscribed device, each under its own key, so a device
//! that fails is retried alone and the others get the message once.

use super::{Job, JobCtx, JobError, RetryPolicy};
use crate::{
    error::AppError,
    notify::push::{self, Device, Outcome, PushError},
};
use domain::{AppointmentId, AppointmentStatus, UserId, preferences::Channel};
use store::{jobs::NewJob, preferences};

/// One message for all of an account's devices.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushNotify {
    pub user: Option<UserId>,
    /// `appointment.booked`, `reminder.24h`, `token.called`, …
    pub kind: String,
    pub title: String,
    /// In English.
    pub body: String,
    /// The body in other languages, by tag.
    #[serde(default)]
    pub translations: Vec<(String, String)>,
    /// Where a tap on it leads (a path of ours).
    pub url: String,
    /// For a reminder: the visit, which must still stand and be ahead.
    #[serde(default)]
    pub reminds: Option<AppointmentId>,
}

/// The message for one device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PushDevice {
    pub subscription: uuid::Uuid,
    /// The JSON the service worker shows: `{title, body, url, kind}`.
    pub payload: String,
}

impl Job for PushNotify {
    const KIND: &'static str = "push.notify";

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        let state = ctx.state;
        let c = state.store().conn();
        let Some(user) = self.user else {
            return Ok(());
        };
        if let (Some(id), Some(clinic)) = (self.reminds, ctx.clinic) {
            let a = store::appointments::find(c, clinic, id)
                .await
                .map_err(AppError::from)?;
            if !a.is_some_and(|a| a.status == AppointmentStatus::Booked && a.start > state.now()) {
                return Ok(());
            }
        }
        let prefs = preferences::find(c, user).await.map_err(AppError::from)?;
        if !prefs.allows(Channel::Push) {
            return Ok(());
        }
        let body = self
            .translations
            .iter()
            .find(|(lang, _)| lang == prefs.language.as_str())
            .map_or(&self.body, |(_, b)| b);
        let payload = serde_json::json!({"title": self.title, "body": body, "url": self.url,
            "kind": self.kind})
        .to_string();
        let now = state.now();
        let jobs: Vec<NewJob> = store::push::of_user(c, user)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|s| {
                let job = PushDevice {
                    subscription: s.id,
                    payload: payload.clone(),
                }
                .new_job(ctx.clinic, now)?;
                Ok(NewJob {
                    dedupe_key: Some(format!("push:{}:{}", ctx.id, s.id)),
                    ..job
                })
            })
            .collect::<Result<_, AppError>>()?;
        match store::jobs::enqueue_all(c, &jobs, now).await {
            Ok(()) | Err(store::StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(AppError::from(e).into()),
        }
    }
}

impl Job for PushDevice {
    const KIND: &'static str = "push.device";
    const RETRY: RetryPolicy = RetryPolicy::STANDARD;

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        let state = ctx.state;
        let c = state.store().conn();
        let subs = store::push::find(c, self.subscription)
            .await
            .map_err(AppError::from)?;
        let Some(s) = subs else {
            return Ok(());
        };
        let vapid = state.vapid().await.map_err(AppError::from)?;
        let device = Device {
            endpoint: &s.endpoint,
            p256dh: &s.p256dh,
            auth: &s.auth,
        };
        match push::send(
            vapid,
            &state.push_subject(),
            &device,
            self.payload.as_bytes(),
            state.now(),
        )
        .await
        {
            Ok(Outcome::Accepted) => Ok(()),
            Ok(Outcome::Gone) => {
                store::push::forget(c, s.id).await.map_err(AppError::from)?;
                Ok(())
            }
            Err(PushError::Refused(why)) => Err(JobError::Invalid(why)),
            Err(PushError::Unavailable(why)) => Err(JobError::Delivery(why)),
        }
    }
}
