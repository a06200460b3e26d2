//! `sms`: sends one text through the configured provider and records where it stands in
//! `messages` (queued, sent with the provider's id, or failed with why). `whatsapp` is the
//! same message as a WhatsApp template, to patients who said yes to WhatsApp (without that
//! yes it is dropped, not failed). A message already
//! sent is not sent again by a repeated run, nor one whose send the worker died in the middle
//! of, when the provider can tell it took it (Twilio's message list; the HTTP gateway's
//! idempotency key; WhatsApp's status webhook, which echoes our id, recording the message
//! as sent before the cut-off send's lease ends); the provider's status callbacks move it
//! on to delivered or failed. MSG91 can tell nothing: such a send may go twice.
//!
//! The patient's say is read when the text is due, not when it was queued: a number that
//! replied STOP, or an account that turned texts off, gets nothing (the message is failed
//! with why); a text due in the account's quiet hours waits for their end (in the clinic's
//! zone) unless it cannot wait; the account's language picks among the text's
//! translations. A reminder whose visit no longer stands, or has begun, is dropped. Codes
//! the person just asked for go regardless.

use super::{Job, JobCtx, JobError, RetryPolicy};
use crate::{
    error::AppError,
    notify::{
        sms::{Sms, SmsSender, status_path},
        whatsapp::Template,
    },
};
use domain::{
    AppointmentId, AppointmentStatus, UserId,
    preferences::{Channel, Language},
};
use store::{
    messages::{self, NewMessage, Status},
    preferences,
};

/// One text: which message (its row), what about, to whom, what it says.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SendSms {
    pub message: uuid::Uuid,
    /// `appointment.booked`, `reminder.24h`, …
    pub kind: String,
    /// E.164.
    pub to: String,
    /// In English.
    pub body: String,
    /// A code the person just asked for: kept out of the stored copy, and sent whatever
    /// their preferences say.
    #[serde(default)]
    pub redact: bool,
    /// The account whose preferences apply, when the patient has one.
    #[serde(default)]
    pub user: Option<UserId>,
    /// Goes even in quiet hours ("it is your turn").
    #[serde(default)]
    pub urgent: bool,
    /// The body in other languages, by tag (`hi`).
    #[serde(default)]
    pub translations: Vec<(String, String)>,
    /// For a reminder: the visit, which must still stand and be ahead.
    #[serde(default)]
    pub reminds: Option<AppointmentId>,
    /// On WhatsApp: the template the message is sent as (its language is the patient's).
    #[serde(default)]
    pub template: Option<Template>,
}

/// The message of a `SendSms` on WhatsApp.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SendWhatsapp(pub SendSms);

/// What the patient's say makes of a due text.
enum Verdict {
    /// The body, in the language (tag) it is in.
    Send(String, &'static str),
    /// Not to be sent, and why.
    Withheld(&'static str),
    /// Not yet: quiet hours end then.
    Wait(jiff::Timestamp),
    /// Not any more (the visit is gone): dropped without a trace.
    Drop,
}

impl SendSms {
    /// Records the message as handed to `provider` under its `id`.
    async fn sent(&self, ctx: &JobCtx<'_>, provider: &str, id: &str) -> Result<(), JobError> {
        let state = ctx.state;
        messages::attempted(
            state.store().conn(),
            self.message,
            Status::Sent,
            Some((provider, id)),
            None,
            state.now(),
        )
        .await
        .map_err(AppError::from)?;
        Ok(())
    }

    async fn verdict(&self, ctx: &JobCtx<'_>, channel: Channel) -> Result<Verdict, AppError> {
        let state = ctx.state;
        let c = state.store().conn();
        if self.redact {
            return Ok(Verdict::Send(self.body.clone(), Language::English.as_str()));
        }
        let clinic = match ctx.clinic {
            Some(id) => store::clinics::find(c, id).await?,
            None => None,
        };
        if let (Some(id), Some(clinic)) = (self.reminds, &clinic) {
            let a = store::appointments::find(c, clinic.id, id).await?;
            if !a.is_some_and(|a| a.status == AppointmentStatus::Booked && a.start > state.now()) {
                return Ok(Verdict::Drop);
            }
        }
        if preferences::opted_out(c, channel, &self.to)
            .await?
            .is_some()
        {
            return Ok(Verdict::Withheld(
                "This number replied STOP: nothing more until it replies START.",
            ));
        }
        let prefs = match self.user {
            Some(user) => preferences::find(c, user).await?,
            None if channel.on_by_default() => {
                return Ok(Verdict::Send(self.body.clone(), Language::English.as_str()));
            }
            None => return Ok(Verdict::Drop),
        };
        if !prefs.allows(channel) {
            // A channel that needs a yes first was never one to fail on.
            return Ok(if channel.on_by_default() {
                Verdict::Withheld("The patient has turned texts off.")
            } else {
                Verdict::Drop
            });
        }
        if let (false, Some(quiet), Some(clinic)) = (self.urgent, prefs.quiet, &clinic) {
            let zone = crate::app::local_time::zone_named(&clinic.time_zone);
            let local = state.now().to_zoned(zone.clone()).datetime();
            if let Some(Ok(end)) = quiet.wait_until(local).map(|end| end.to_zoned(zone)) {
                return Ok(Verdict::Wait(end.timestamp()));
            }
        }
        let lang = prefs.language.as_str();
        let body = self
            .translations
            .iter()
            .find(|(tag, _)| tag == lang)
            .map_or(&self.body, |(_, body)| body);
        Ok(Verdict::Send(body.clone(), lang))
    }

    /// This message's job on `channel` (SMS or WhatsApp), run at `at`.
    pub fn job_on(
        &self,
        channel: Channel,
        clinic: Option<domain::ClinicId>,
        at: jiff::Timestamp,
    ) -> Result<store::jobs::NewJob, AppError> {
        match channel {
            Channel::Whatsapp => SendWhatsapp(self.clone()).new_job(clinic, at),
            _ => self.new_job(clinic, at),
        }
    }

    /// The configured sender of `channel`, if there is one.
    fn sender(state: &crate::state::AppState, channel: Channel) -> Option<&dyn SmsSender> {
        match channel {
            Channel::Whatsapp => state.whatsapp().map(|w| w.as_ref() as &dyn SmsSender),
            _ => state.sms().map(|s| s.as_ref()),
        }
    }

    /// Sends the message on `channel` (SMS or WhatsApp), unless it went already.
    async fn run_on(&self, ctx: &JobCtx<'_>, channel: Channel) -> Result<(), JobError> {
        let state = ctx.state;
        let c = state.store().conn();
        let row = messages::find(c, self.message)
            .await
            .map_err(AppError::from)?;
        if row
            .as_ref()
            .is_some_and(|m| matches!(m.status, Status::Sent | Status::Delivered))
        {
            return Ok(());
        }
        let (body, language) = match self.verdict(ctx, channel).await? {
            Verdict::Drop => return Ok(()),
            Verdict::Wait(at) => {
                let later = self.job_on(channel, ctx.clinic, at)?;
                let key = format!(
                    "{}-quiet:{}:{}",
                    channel.as_str(),
                    self.message,
                    at.as_second()
                );
                let later = store::jobs::NewJob {
                    dedupe_key: Some(key),
                    ..later
                };
                match store::jobs::enqueue_all(c, &[later], state.now()).await {
                    Ok(()) | Err(store::StoreError::Conflict(_)) => return Ok(()),
                    Err(e) => return Err(AppError::from(e).into()),
                }
            }
            Verdict::Withheld(why) => {
                self.record(ctx, channel, &self.body).await?;
                return self.fail(ctx, why).await;
            }
            Verdict::Send(body, language) => (body, language),
        };
        self.record(ctx, channel, &body).await?;
        let Some(sender) = Self::sender(state, channel) else {
            let why = match channel {
                Channel::Whatsapp => "WhatsApp is not configured.",
                _ => "No SMS provider is configured.",
            };
            self.fail(ctx, why).await?;
            return Err(JobError::Invalid(why.into()));
        };
        let status_url = format!(
            "{}{}",
            state.settings().public_url,
            status_path(sender.name())
        );
        let sms = Sms {
            reference: self.message.to_string(),
            to: self.to.clone(),
            body,
            at: state.now(),
            language: language.to_owned(),
            template: self.template.clone(),
        };
        // A send whose outcome was never recorded (the worker died): the provider may have
        // the text already.
        if let Some(since) = row.as_ref().and_then(|m| m.sending_at)
            && let Some(id) = sender.find_sent(&sms, since).await?
        {
            return self.sent(ctx, sender.name(), &id).await;
        }
        messages::sending(c, self.message, state.now())
            .await
            .map_err(AppError::from)?;
        match sender.send(&sms, &status_url).await {
            Ok(id) => self.sent(ctx, sender.name(), &id).await,
            Err(e) => {
                // A refusal is final; anything else is tried again, queued meanwhile.
                let status = if e.is_permanent() {
                    Status::Failed
                } else {
                    Status::Queued
                };
                messages::attempted(
                    c,
                    self.message,
                    status,
                    None,
                    Some(&e.to_string()),
                    state.now(),
                )
                .await
                .map_err(AppError::from)?;
                Err(JobError::Sms(e))
            }
        }
    }

    /// Fails the message for good, saying `why`.
    async fn fail(&self, ctx: &JobCtx<'_>, why: &str) -> Result<(), JobError> {
        let state = ctx.state;
        messages::attempted(
            state.store().conn(),
            self.message,
            Status::Failed,
            None,
            Some(why),
            state.now(),
        )
        .await
        .map_err(AppError::from)?;
        Ok(())
    }

    /// Records the message as queued (once), as `body` reads, codes masked.
    async fn record(&self, ctx: &JobCtx<'_>, channel: Channel, body: &str) -> Result<(), AppError> {
        let kept: String = if self.redact {
            body.chars()
                .map(|c| if c.is_ascii_digit() { '•' } else { c })
                .collect()
        } else {
            body.to_owned()
        };
        let template = self
            .template
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| AppError::internal("message template", &e))?;
        let new = NewMessage {
            id: self.message,
            clinic_id: ctx.clinic,
            channel: channel.as_str(),
            template: template.as_deref(),
            user: self.user,
            kind: &self.kind,
            recipient: &self.to,
            body: &kept,
        };
        messages::queue(ctx.state.store().conn(), &new, ctx.state.now()).await?;
        Ok(())
    }
}

impl Job for SendSms {
    const KIND: &'static str = "sms";
    const RETRY: RetryPolicy = RetryPolicy::STANDARD;

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        self.run_on(ctx, Channel::Sms).await
    }
}

impl Job for SendWhatsapp {
    const KIND: &'static str = "whatsapp";
    const RETRY: RetryPolicy = RetryPolicy::STANDARD;

    async fn run(&self, ctx: &JobCtx<'_>) -> Result<(), JobError> {
        self.0.run_on(ctx, Channel::Whatsapp).await
    }
}
