//! What a patient sees through the link on their token slip: their place in the queue and
//! an estimated wait from the doctor's recent consultation times. The link carries an HMAC
//! of the token id, so it needs no login and cannot be guessed for another token.

use super::local_time::zone_of;
use crate::{
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentStatus, TokenId,
    queue::{
        ConsultStats, STATS_WINDOW, TokenStatus, WaitRange, consult_stats, estimate_wait,
        patients_ahead,
    },
};
use hmac::{KeyInit, Mac};
use jiff::SignedDuration;
use store::{appointments, queue, schedules};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Hex characters of the signature kept in links (128 bits).
const SIG_HEX: usize = 32;

fn mac(key: &str, id: TokenId) -> AppResult<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key.as_bytes())
        .map_err(|e| AppError::Internal(format!("link key: {e}")))?;
    mac.update(b"queue-status:");
    mac.update(id.as_uuid().as_bytes());
    Ok(mac)
}

/// The path of a token's status page, `/q/{token}/{signature}`, signed with `key`
/// (`AppState::link_key`).
pub fn signed_path(key: &str, id: TokenId) -> AppResult<String> {
    let sig = hex::encode(mac(key, id)?.finalize().into_bytes());
    Ok(crate::routes::queue_status(id, &sig[..SIG_HEX]))
}

/// [`signed_path`] with the install's key.
pub async fn status_path(state: &AppState, id: TokenId) -> AppResult<String> {
    signed_path(state.link_key().await?, id)
}

/// The token named by a link, if its signature is right (compared in constant time).
async fn verified(state: &AppState, id: &str, sig: &str) -> AppResult<TokenId> {
    let id: TokenId = id.parse().map_err(|_| AppError::NotFound)?;
    let bytes = (sig.len() == SIG_HEX)
        .then(|| hex::decode(sig).ok())
        .flatten()
        .ok_or(AppError::NotFound)?;
    mac(state.link_key().await?, id)?
        .verify_truncated_left(&bytes)
        .map_err(|_| AppError::NotFound)?;
    Ok(id)
}

/// A patient's view of their token.
#[derive(Debug, Clone)]
pub struct QueueStatus {
    pub clinic_name: String,
    pub doctor_name: String,
    pub number: i32,
    pub status: TokenStatus,
    /// While waiting: patients to be seen first.
    pub ahead: Option<usize>,
    /// While waiting: the estimated wait.
    pub wait: Option<WaitRange>,
    /// How many recent consultations the estimate rests on (0: the clinic's default).
    pub samples: usize,
    /// Arrival, local `HH:MM`.
    pub arrived: String,
    /// After a transfer: the new token's status page.
    pub moved_to: Option<String>,
}

/// The status behind a signed link; a wrong signature reads as not found.
pub async fn queue_status(state: &AppState, id: &str, sig: &str) -> AppResult<QueueStatus> {
    let id = verified(state, id, sig).await?;
    let c = state.store().conn();
    let t = queue::find_any(c, id).await?.ok_or(AppError::NotFound)?;
    let clinic = store::clinics::find(c, t.clinic_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.now();
    let moved_to = match t.transferred_to {
        Some(next) => Some(status_path(state, next).await?),
        None => None,
    };
    let (mut ahead, mut wait, mut samples) = (None, None, 0);
    if t.status == TokenStatus::Waiting {
        let day = queue::day(c, t.clinic_id, &t.local_date, Some(t.doctor_id)).await?;
        let waiting: Vec<_> = day
            .iter()
            .filter(|o| o.status == TokenStatus::Waiting)
            .map(queue::Token::waiting)
            .collect();
        let current = day
            .iter()
            .find(|o| o.status == TokenStatus::InConsultation)
            .and_then(|o| o.started_at)
            .map(|s| now.duration_since(s));
        let booked = appointments::list(
            c,
            t.clinic_id,
            now - SignedDuration::from_mins(10),
            now + SignedDuration::from_hours(12),
            &appointments::Filter {
                doctor: Some(t.doctor_id),
                patient: None,
                status: Some(AppointmentStatus::Booked),
            },
            500,
        )
        .await?;
        let expected: Vec<_> = booked.iter().map(|a| a.start).collect();
        let n = patients_ahead(&t.waiting(), &waiting, &expected, now);
        let recent = queue::recent_durations(c, t.doctor_id, STATS_WINDOW as u64 * 2).await?;
        // The visit types are read only for a doctor without enough recorded visits.
        let stats = match consult_stats(&recent, ConsultStats::DEFAULT) {
            s if s.samples > 0 => s,
            _ => assumed_pace(c, t.clinic_id, t.doctor_id).await?,
        };
        samples = stats.samples;
        ahead = Some(n);
        wait = Some(estimate_wait(n, current, &stats));
    }
    Ok(QueueStatus {
        clinic_name: clinic.name.clone(),
        doctor_name: t.doctor_name.clone(),
        number: t.number,
        status: t.status,
        ahead,
        wait,
        samples,
        arrived: t
            .arrived_at
            .to_zoned(zone_of(&clinic))
            .strftime("%H:%M")
            .to_string(),
        moved_to,
    })
}

/// The full status link, for slips and e-mails.
pub async fn status_url(state: &AppState, id: TokenId) -> AppResult<String> {
    Ok(format!(
        "{}{}",
        state.settings().public_url,
        status_path(state, id).await?
    ))
}

/// Sends the patient of the new token `t` its status link: by e-mail when their record
/// has an address, and by text when it has a mobile number and texts are on (in the
/// caller's transaction, so only an issued token sends).
pub async fn send_link<C: store::Conn>(
    state: &AppState,
    c: &C,
    clinic: &store::clinics::Clinic,
    t: &queue::Token,
    now: jiff::Timestamp,
) -> AppResult<()> {
    let Some(p) = store::patients::find(c, clinic.id, t.patient_id).await? else {
        return Ok(());
    };
    let key = state.loaded_link_key().ok_or_else(|| {
        AppError::Internal("the link key must be read before the transaction".into())
    })?;
    let link = format!("{}{}", state.settings().public_url, signed_path(key, t.id)?);
    if let Some(to) = p.details.email.as_deref() {
        let body = format!(
            "Hello {},\n\nYour token at {} is number {} for {}.\n\nSee your place in the queue \
             and the expected wait here:\n{link}\n",
            p.details.name, clinic.name, t.number, t.doctor_name
        );
        let email = super::mail::Email::text(
            to,
            format!("Your token {} at {}", t.number, clinic.name),
            body,
        );
        super::mail::enqueue(c, Some(clinic.id), &email, now).await?;
    }
    super::messages::text_link(state, c, clinic, &p, t, &link, now).await
}

/// The pace assumed for a doctor with too few recorded consultations: from the length of
/// their shortest in-person visit type (walk-ins are seen like that), else the default.
async fn assumed_pace<C: store::Conn>(
    c: &C,
    clinic: domain::ClinicId,
    doctor: domain::DoctorId,
) -> AppResult<ConsultStats> {
    let types = schedules::visit_types(c, clinic, Some(doctor)).await?;
    let shortest = types
        .iter()
        .filter(|v| v.mode == domain::VisitMode::InPerson)
        .map(|v| v.duration_min)
        .min();
    Ok(shortest.map_or(ConsultStats::DEFAULT, |m| {
        ConsultStats::assumed(SignedDuration::from_mins(i64::from(m)))
    }))
}
