//! Texts to patients about their visits: what each appointment event says by SMS and on
//! WhatsApp (time, place, doctor and reference only: never a reason, a diagnosis or a
//! note), and the jobs that send them with the event (where they stand afterwards:
//! `deliveries`).

use super::{
    events::{Recording, Subscriber},
    local_time::zone_named,
};
use crate::{
    error::AppResult,
    jobs::{push::PushNotify, sms::SendSms},
    notify::whatsapp::{Template, template_name},
    routes,
    state::AppState,
};
use domain::preferences::{Channel, Language};
use jiff::{SignedDuration, Timestamp};
use store::{appointments::Appointment, clinics::Clinic, jobs::NewJob};

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

/// The text channels an install has: SMS with a provider; WhatsApp when it is on, for
/// patients with an account (their yes to WhatsApp is kept there).
fn channels(state: &AppState, account: bool) -> impl Iterator<Item = Channel> + use<> {
    [
        state.sms().is_some().then_some(Channel::Sms),
        (state.whatsapp().is_some() && account).then_some(Channel::Whatsapp),
    ]
    .into_iter()
    .flatten()
}

/// Who an event's job on `channel` belongs to.
fn subscriber(channel: Channel) -> Subscriber {
    match channel {
        Channel::Whatsapp => Subscriber::Whatsapp,
        _ => Subscriber::Sms,
    }
}

/// On WhatsApp, `kind`'s template with `params` (none on SMS).
fn template(channel: Channel, kind: &str, params: &[&str]) -> Option<Template> {
    (channel == Channel::Whatsapp).then(|| Template {
        name: template_name(kind),
        params: params.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// The job on `channel` for `kind` about `a`, run at `at`; `None` without a number.
fn job(
    state: &AppState,
    clinic: &Clinic,
    a: &Appointment,
    kind: &str,
    at: Timestamp,
    channel: Channel,
) -> AppResult<Option<NewJob>> {
    let Some(to) = a
        .patient_phone
        .as_deref()
        .and_then(|p| mobile(state, clinic, p))
    else {
        return Ok(None);
    };
    let (body, translations) = texts(state, clinic, a, kind);
    // The templates' parameters: clinic, doctor, time, and the reference (or, once
    // cancelled, where to book again).
    let last = match kind {
        "appointment.cancelled" => format!(
            "{}{}",
            state.settings().public_url,
            routes::clinic_page(&clinic.slug)
        ),
        _ => a.ref_code.clone(),
    };
    let at_text = when(clinic, a.start);
    let params = [clinic.name.as_str(), &a.doctor_name, &at_text, &last];
    let sms = SendSms {
        message: uuid::Uuid::now_v7(),
        kind: kind.to_owned(),
        to: to.to_owned(),
        body,
        translations,
        user: a.patient_user_id,
        reminds: kind.starts_with("reminder.").then_some(a.id),
        template: template(channel, kind, &params),
        ..SendSms::default()
    };
    Ok(Some(sms.job_on(channel, Some(a.clinic_id), at)?))
}

/// Adds the texts (SMS, WhatsApp) and the push for `kind` about `a` to the event being
/// recorded.
pub fn then_text(
    state: &AppState,
    rec: &mut Recording,
    clinic: &Clinic,
    a: &Appointment,
    kind: &str,
    now: Timestamp,
) -> AppResult<()> {
    for channel in channels(state, a.patient_user_id.is_some()) {
        if let Some(j) = job(state, clinic, a, kind, now, channel)? {
            rec.then(subscriber(channel), j);
        }
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
        .and_then(|p| mobile(state, clinic, p));
    if let Some(to) = to {
        let number = n.to_string();
        for channel in channels(state, patient.user_id.is_some()) {
            let sms = SendSms {
                message: uuid::Uuid::now_v7(),
                kind: "token.called".into(),
                to: to.clone(),
                body: body.clone(),
                translations: translations.clone(),
                user: patient.user_id,
                urgent: true,
                template: template(channel, "token.called", &[c, dr, &number]),
                ..SendSms::default()
            };
            rec.then(
                subscriber(channel),
                sms.job_on(channel, Some(clinic.id), now)?,
            );
        }
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
    let Some(to) = p
        .details
        .phone
        .as_deref()
        .and_then(|n| mobile(state, clinic, n))
    else {
        return Ok(());
    };
    let (c_name, dr, n) = (&clinic.name, &t.doctor_name, t.number);
    let number = n.to_string();
    let mut jobs = Vec::new();
    for channel in channels(state, p.user_id.is_some()) {
        let sms = SendSms {
            message: uuid::Uuid::now_v7(),
            kind: "token.issued".into(),
            to: to.clone(),
            body: format!("{c_name}: your token {n} for {dr}. Your place in the queue: {link}"),
            translations: vec![(
                Language::Hindi.as_str().to_owned(),
                format!("{c_name}: {dr} के लिए आपका टोकन {n} है। कतार में अपनी जगह देखें: {link}"),
            )],
            user: p.user_id,
            urgent: true,
            template: template(channel, "token.issued", &[c_name, &number, dr, link]),
            ..SendSms::default()
        };
        jobs.push(store::jobs::NewJob {
            dedupe_key: Some(format!("{}-queue-link:{}", channel.as_str(), t.id)),
            ..sms.job_on(channel, Some(clinic.id), now)?
        });
    }
    store::jobs::enqueue_all(c, &jobs, now).await?;
    Ok(())
}

/// The dedupe key of the reminder `label` of `a` on `channel` (a cancellation takes it
/// back).
pub fn reminder_key(channel: Channel, a: &Appointment, label: &str) -> String {
    format!("{}-reminder:{}:{label}", channel.as_str(), a.id)
}

/// The reminders of `a` by text and push, `before` its start (those still ahead of `now`).
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
        for channel in channels(state, a.patient_user_id.is_some()) {
            if let Some(mut j) = job(state, clinic, a, &kind, at, channel)? {
                j.dedupe_key = Some(reminder_key(channel, a, label));
                out.push(j);
            }
        }
        if a.patient_user_id.is_some() {
            let mut j = super::push::job(a.clinic_id, &push_message(state, clinic, a, &kind), at)?;
            j.dedupe_key = Some(reminder_key(Channel::Push, a, label));
            out.push(j);
        }
    }
    Ok(out)
}
