//! Texts to patients about their visits: what each appointment event says by SMS (time,
//! place, doctor and reference only: never a reason, a diagnosis or a note), the SMS
//! provider's signed status callbacks, and the clinic admin's list of deliveries with a
//! retry for the failed ones.

use super::{
    events::{Recording, Subscriber},
    local_time::zone_named,
    policy::Capability,
    scope::Caller,
};
use crate::{
    auth::extract::RequestCtx,
    error::{AppError, AppResult},
    jobs::{Job, push::PushNotify, sms::SendSms},
    notify::sms::{Callback, Delivery, SmsError, SmsSender},
    routes,
    state::AppState,
};
use domain::preferences::Language;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use store::{
    appointments::Appointment,
    audit,
    clinics::Clinic,
    jobs::NewJob,
    messages::{self, Message, Status},
};

/// A record's phone as a number texts can go to (E.164), read in the clinic's country: the
/// desk types numbers as people say them; a landline or a bad number gets no text.
fn mobile(state: &AppState, clinic: &Clinic, raw: &str) -> Option<String> {
    domain::phone::MobileNumber::parse(raw, super::phones::region(state, Some(clinic)))
        .ok()
        .map(|m| m.as_str().to_owned())
}

/// `Mon 7 Dec, 12:00`, in the clinic's zone.
fn when(clinic: &Clinic, t: Timestamp) -> String {
    t.to_zoned(zone_named(&clinic.time_zone))
        .strftime("%a %-d %b, %H:%M")
        .to_string()
}

/// What a text about `a` says for `kind`, in `lang`.
pub fn text(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    kind: &str,
    lang: Language,
) -> String {
    let at = when(clinic, a.start);
    let url = &state.settings().public_url;
    let (c, dr, r) = (&clinic.name, &a.doctor_name, &a.ref_code);
    let mine = routes::my_appointments();
    let again = routes::clinic_page(&clinic.slug);
    match (lang, kind) {
        (Language::English, "appointment.booked") => {
            format!(
                "{c}: your visit with {dr} is booked for {at}. Ref {r}. See or cancel: {url}{mine}"
            )
        }
        (Language::English, "appointment.requested") => format!(
            "{c}: we have your request for a visit with {dr} at {at}. Ref {r}. We will text you once it is confirmed."
        ),
        (Language::English, "appointment.rescheduled") => {
            format!("{c}: your visit with {dr} has moved to {at}. Ref {r}.")
        }
        (Language::English, "appointment.approved") => {
            format!("{c}: your visit with {dr} at {at} is confirmed. Ref {r}.")
        }
        (Language::English, "appointment.cancelled") => {
            format!("{c}: your visit with {dr} at {at} is cancelled. Book again: {url}{again}")
        }
        (Language::English, _) => {
            format!("{c}: a reminder of your visit with {dr} at {at}. Ref {r}.")
        }
        (Language::Hindi, "appointment.booked") => format!(
            "{c}: {dr} के साथ आपकी मुलाक़ात {at} पर बुक हो गई है। संदर्भ {r}। देखें या रद्द करें: {url}{mine}"
        ),
        (Language::Hindi, "appointment.requested") => format!(
            "{c}: {at} पर {dr} से मुलाक़ात का आपका अनुरोध मिल गया है। संदर्भ {r}। पुष्टि होते ही हम आपको संदेश भेजेंगे।"
        ),
        (Language::Hindi, "appointment.rescheduled") => {
            format!("{c}: {dr} के साथ आपकी मुलाक़ात अब {at} पर है। संदर्भ {r}।")
        }
        (Language::Hindi, "appointment.approved") => {
            format!("{c}: {at} पर {dr} के साथ आपकी मुलाक़ात पक्की हो गई है। संदर्भ {r}।")
        }
        (Language::Hindi, "appointment.cancelled") => {
            format!("{c}: {at} पर {dr} के साथ आपकी मुलाक़ात रद्द हो गई है। फिर से बुक करें: {url}{again}")
        }
        (Language::Hindi, _) => {
            format!("{c}: याद दिला दें, {at} पर {dr} के साथ आपकी मुलाक़ात है। संदर्भ {r}।")
        }
    }
}

/// The text in English, with its other translations.
fn texts(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    kind: &str,
) -> (String, Vec<(String, String)>) {
    let translations = Language::ALL
        .into_iter()
        .filter(|l| *l != Language::English)
        .map(|l| (l.as_str().to_owned(), text(state, clinic, a, kind, l)))
        .collect();
    (
        text(state, clinic, a, kind, Language::English),
        translations,
    )
}

/// The SMS job for `kind` about `a`, run at `at`; `None` without a provider or a number.
fn job(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    kind: &str,
    at: Timestamp,
) -> AppResult<Option<NewJob>> {
    let (Some(_), Some(to)) = (
        state.sms(),
        a.patient_phone
            .as_deref()
            .and_then(|p| mobile(state, clinic, p)),
    ) else {
        return Ok(None);
    };
    let (body, translations) = texts(state, clinic, a, kind);
    let sms = SendSms {
        message: uuid::Uuid::now_v7(),
        kind: kind.to_owned(),
        to: to.to_owned(),
        body,
        translations,
        user: a.patient_user_id,
        reminds: kind.starts_with("reminder.").then_some(a.id),
        ..SendSms::default()
    };
    Ok(Some(sms.new_job(Some(a.clinic_id), at)?))
}

/// Adds the text for `kind` about `a` to the event being recorded.
pub fn then_text(
    state: &AppState,
    rec: &mut Recording,
    clinic: &Clinic,
    a: &Appointment,
    kind: &str,
    now: Timestamp,
) -> AppResult<()> {
    if let Some(j) = job(state, clinic, a, kind, now)? {
        rec.then(Subscriber::Sms, j);
    }
    super::push::then_push(rec, a.clinic_id, &push_message(state, clinic, a, kind), now)
}

/// The web push about `a` for `kind`, to the patient's devices (when they have an
/// account): the text's words, leading to their appointments.
fn push_message(state: &AppState, clinic: &Clinic, a: &Appointment, kind: &str) -> PushNotify {
    let (body, translations) = texts(state, clinic, a, kind);
    PushNotify {
        user: a.patient_user_id,
        kind: kind.to_owned(),
        title: clinic.name.clone(),
        body,
        translations,
        url: routes::my_appointments().to_string(),
        reminds: kind.starts_with("reminder.").then_some(a.id),
    }
}

/// Adds "it is your turn" for the patient of the called token `t`, when they have a number.
pub async fn then_turn<C: store::Conn>(
    state: &AppState,
    c: &C,
    rec: &mut Recording,
    clinic: &Clinic,
    t: &store::queue::Token,
    now: Timestamp,
) -> AppResult<()> {
    let Some(patient) = store::patients::find(c, clinic.id, t.patient_id).await? else {
        return Ok(());
    };
    let (c, dr, n) = (&clinic.name, &t.doctor_name, t.number);
    let body = format!("{c}: it is your turn with {dr}. Token {n}: please come in now.");
    let translations = vec![(
        Language::Hindi.as_str().to_owned(),
        format!("{c}: {dr} के पास जाने की आपकी बारी है। टोकन {n}: कृपया अभी अंदर आएँ।"),
    )];
    let to = patient
        .details
        .phone
        .as_deref()
        .filter(|_| state.sms().is_some())
        .and_then(|p| mobile(state, clinic, p));
    if let Some(to) = to {
        let sms = SendSms {
            message: uuid::Uuid::now_v7(),
            kind: "token.called".into(),
            to,
            body: body.clone(),
            translations: translations.clone(),
            user: patient.user_id,
            urgent: true,
            ..SendSms::default()
        };
        rec.then(Subscriber::Sms, sms.new_job(Some(clinic.id), now)?);
    }
    let push = PushNotify {
        user: patient.user_id,
        kind: "token.called".into(),
        title: clinic.name.clone(),
        body,
        translations,
        url: routes::my_appointments().to_string(),
        reminds: None,
    };
    super::push::then_push(rec, clinic.id, &push, now)
}

/// Texts the patient `p` of the new token `t` its status `link`, when they have a mobile
/// number: it goes at once (they are at the clinic), quiet hours or not.
pub async fn text_link<C: store::Conn>(
    state: &AppState,
    c: &C,
    clinic: &Clinic,
    p: &store::patients::Patient,
    t: &store::queue::Token,
    link: &str,
    now: Timestamp,
) -> AppResult<()> {
    let (Some(_), Some(to)) = (
        state.sms(),
        p.details
            .phone
            .as_deref()
            .and_then(|n| mobile(state, clinic, n)),
    ) else {
        return Ok(());
    };
    let (c_name, dr, n) = (&clinic.name, &t.doctor_name, t.number);
    let sms = SendSms {
        message: uuid::Uuid::now_v7(),
        kind: "token.issued".into(),
        to,
        body: format!("{c_name}: your token {n} for {dr}. Your place in the queue: {link}"),
        translations: vec![(
            Language::Hindi.as_str().to_owned(),
            format!("{c_name}: {dr} के लिए आपका टोकन {n} है। कतार में अपनी जगह देखें: {link}"),
        )],
        user: p.user_id,
        urgent: true,
        ..SendSms::default()
    };
    let job = store::jobs::NewJob {
        dedupe_key: Some(format!("sms-queue-link:{}", t.id)),
        ..sms.new_job(Some(clinic.id), now)?
    };
    store::jobs::enqueue_all(c, &[job], now).await?;
    Ok(())
}

/// The dedupe key of the text reminder `label` of `a` (a cancellation takes it back).
pub fn reminder_key(a: &Appointment, label: &str) -> String {
    format!("sms-reminder:{}:{label}", a.id)
}

/// The text reminders of `a`, `before` its start (those still ahead of `now`).
pub fn reminders(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    before: &[(&str, SignedDuration)],
    now: Timestamp,
) -> AppResult<Vec<NewJob>> {
    let mut out = Vec::new();
    for (label, ahead) in before {
        let at = a.start - *ahead;
        if at <= now {
            continue;
        }
        let kind = format!("reminder.{label}");
        if let Some(mut j) = job(state, clinic, a, &kind, at)? {
            j.dedupe_key = Some(reminder_key(a, label));
            out.push(j);
        }
        if a.patient_user_id.is_some() {
            let mut j = super::push::job(a.clinic_id, &push_message(state, clinic, a, &kind), at)?;
            j.dedupe_key = Some(push_reminder_key(a, label));
            out.push(j);
        }
    }
    Ok(out)
}

/// The dedupe key of the push reminder `label` of `a` (a cancellation takes it back).
pub fn push_reminder_key(a: &Appointment, label: &str) -> String {
    format!("push-reminder:{}:{label}", a.id)
}

/// What the configured SMS provider named `provider` reads from a request it signed, by
/// `check`; a provider not configured is 404, a bad signature 403, a body it does not
/// understand 400.
pub fn verified<'s, T>(
    state: &'s AppState,
    provider: &str,
    check: impl FnOnce(&dyn SmsSender) -> Result<T, SmsError>,
) -> AppResult<(&'s dyn SmsSender, T)> {
    let sender = state
        .sms()
        .filter(|s| s.name() == provider)
        .ok_or(AppError::NotFound)?;
    let read = check(sender.as_ref()).map_err(|e| match e {
        SmsError::Signature(m) => AppError::Forbidden(format!("Signature: {m}")),
        other => AppError::BadRequest(other.to_string()),
    })?;
    Ok((sender.as_ref(), read))
}

/// A status callback of `provider`: verified, then applied to its messages. Answers whether a message of ours was found.
pub async fn status_callback(
    state: &AppState,
    provider: &str,
    callback: &Callback<'_>,
) -> AppResult<bool> {
    let (_, reports) = verified(state, provider, |s| s.verify_status(callback))?;
    let tx = state.store().write().await?;
    let mut known = false;
    for report in reports.iter().take(1000) {
        let status = match report.delivery {
            Delivery::Sent => Status::Sent,
            Delivery::Delivered => Status::Delivered,
            Delivery::Failed => Status::Failed,
        };
        known |= messages::reported(
            &tx,
            provider,
            &report.provider_ref,
            status,
            report.error.as_deref(),
            state.now(),
        )
        .await?;
    }
    store::commit(tx).await?;
    Ok(known)
}

/// The clinic's texts, newest first; only those at `status` when given (its admins).
pub async fn list(
    state: &AppState,
    caller: &Caller,
    status: Option<Status>,
    limit: u32,
) -> AppResult<Vec<Message>> {
    caller.require(Capability::ClinicSettings)?;
    Ok(messages::list(
        state.store().conn(),
        caller.clinic_id(),
        status,
        limit.clamp(1, 200),
    )
    .await?)
}

/// Sends a failed text again (its admins; audited): queued, with a new job.
pub async fn retry(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: uuid::Uuid,
) -> AppResult<Message> {
    caller.require(Capability::ClinicSettings)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let m = messages::find(&tx, id)
        .await?
        .filter(|m| m.clinic_id == Some(caller.clinic_id()))
        .ok_or(AppError::NotFound)?;
    if !messages::requeue(&tx, caller.clinic_id(), id, now).await? {
        return Err(AppError::Conflict(format!(
            "This message is {}; only a failed one is sent again.",
            m.status.as_str()
        )));
    }
    let job = SendSms {
        message: m.id,
        kind: m.kind.clone(),
        to: m.recipient.clone(),
        body: m.body.clone(),
        ..SendSms::default()
    }
    .new_job(Some(caller.clinic_id()), now)?;
    store::jobs::enqueue_all(&tx, &[job], now).await?;
    audit::append(
        &tx,
        &caller.actor(ctx),
        audit::Event::new("message.retry", "message", id)
            .in_clinic(caller.clinic_id())
            .detail(json!({"kind": m.kind})),
        now,
    )
    .await?;
    let m = messages::find(&tx, id).await?.ok_or(AppError::NotFound)?;
    store::commit(tx).await?;
    Ok(m)
}
