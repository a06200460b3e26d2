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
    jobs::{Job, sms::SendSms},
    notify::sms::{Callback, Delivery, SmsError},
    routes,
    state::AppState,
};
use axum::http::HeaderMap;
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

/// What a text about `a` says for `kind`; `previous` is the time it moved from.
pub fn text(state: &AppState, clinic: &Clinic, a: &Appointment, kind: &str) -> String {
    let at = when(clinic, a.start);
    let url = &state.settings().public_url;
    match kind {
        "appointment.booked" => format!(
            "{}: your visit with {} is booked for {at}. Ref {}. See or cancel: {url}{}",
            clinic.name,
            a.doctor_name,
            a.ref_code,
            routes::my_appointments()
        ),
        "appointment.requested" => format!(
            "{}: we have your request for a visit with {} at {at}. Ref {}. We will text you once it is confirmed.",
            clinic.name, a.doctor_name, a.ref_code
        ),
        "appointment.rescheduled" => format!(
            "{}: your visit with {} has moved to {at}. Ref {}.",
            clinic.name, a.doctor_name, a.ref_code
        ),
        "appointment.approved" => format!(
            "{}: your visit with {} at {at} is confirmed. Ref {}.",
            clinic.name, a.doctor_name, a.ref_code
        ),
        "appointment.cancelled" => format!(
            "{}: your visit with {} at {at} is cancelled. Book again: {url}{}",
            clinic.name,
            a.doctor_name,
            routes::clinic_page(&clinic.slug)
        ),
        _ => format!(
            "{}: a reminder of your visit with {} at {at}. Ref {}.",
            clinic.name, a.doctor_name, a.ref_code
        ),
    }
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
    let sms = SendSms {
        message: uuid::Uuid::now_v7(),
        kind: kind.to_owned(),
        to: to.to_owned(),
        body: text(state, clinic, a, kind),
        redact: false,
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
    Ok(())
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
    if state.sms().is_none() {
        return Ok(());
    }
    let phone = store::patients::find(c, clinic.id, t.patient_id)
        .await?
        .and_then(|p| p.details.phone);
    let Some(to) = phone.and_then(|p| mobile(state, clinic, &p)) else {
        return Ok(());
    };
    let sms = SendSms {
        message: uuid::Uuid::now_v7(),
        kind: "token.called".into(),
        to,
        body: format!(
            "{}: it is your turn with {}. Token {}: please come in now.",
            clinic.name, t.doctor_name, t.number
        ),
        redact: false,
    };
    rec.then(Subscriber::Sms, sms.new_job(Some(clinic.id), now)?);
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
        if let Some(mut j) = job(state, clinic, a, &format!("reminder.{label}"), at)? {
            j.dedupe_key = Some(reminder_key(a, label));
            out.push(j);
        }
    }
    Ok(out)
}

/// A status callback of `provider`, posted to `url` (query included) with `body`:
/// verified, then applied to its messages. Answers whether a message of ours was found.
pub async fn status_callback(
    state: &AppState,
    provider: &str,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<bool> {
    let sender = state
        .sms()
        .filter(|s| s.name() == provider)
        .ok_or(AppError::NotFound)?;
    let callback = Callback {
        url,
        headers,
        body,
        now: state.now(),
    };
    let reports = sender.verify_status(&callback).map_err(|e| match e {
        SmsError::Signature(m) => AppError::Forbidden(format!("Signature: {m}")),
        other => AppError::BadRequest(other.to_string()),
    })?;
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
        redact: false,
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
