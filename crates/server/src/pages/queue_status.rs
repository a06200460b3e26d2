//! The patient's queue status behind the signed link, and the printable token slip that
//! carries the link.

use super::{
    error::{Page, PageError, PagePath},
    forms::Outcome,
    layout::MaybeUser,
};
use crate::routes;
use crate::{
    app::{
        local_time::zone_of,
        queue_status::{QueueStatus, queue_status, status_url},
    },
    auth::extract::{AnyStaff, ClinicScope},
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::{Path, State},
    response::Response,
};
use domain::{ClinicId, TokenId, queue::TokenStatus};

#[derive(Template)]
#[template(path = "queue_status.html")]
struct StatusPage {
    nav: super::layout::Nav,
    s: QueueStatus,
    /// The plain-language state: "3 patients before you", "Please go in now", …
    headline: String,
    wait: Option<String>,
}

/// GET /q/{token_id}/{signature}: no login; refreshes itself every 30 seconds.
pub async fn show(
    State(state): State<AppState>,
    who: MaybeUser,
    Path((id, sig)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let s = queue_status(&state, &id, &sig).await?;
    let headline = match (s.status, s.ahead) {
        (TokenStatus::Waiting, Some(0)) => "You are next.".to_owned(),
        (TokenStatus::Waiting, Some(1)) => "1 patient before you.".to_owned(),
        (TokenStatus::Waiting, Some(n)) => format!("{n} patients before you."),
        (TokenStatus::Called, _) => "Please go in now.".to_owned(),
        (TokenStatus::InConsultation, _) => "You are with the doctor.".to_owned(),
        (TokenStatus::Done, _) => "Your visit is complete. Thank you.".to_owned(),
        (TokenStatus::Skipped, _) => {
            "You were called but not found. Please see the front desk.".to_owned()
        }
        (TokenStatus::Transferred, _) => "You have been moved to another doctor.".to_owned(),
        (TokenStatus::Waiting, None) => "You are waiting.".to_owned(),
    };
    let wait = s.wait.map(|w| w.label());
    let page = StatusPage {
        nav: who.nav(&state, "").await?,
        s,
        headline,
        wait,
    };
    Ok(Outcome::OK.render(&page))
}

#[derive(Template)]
#[template(path = "token_slip.html")]
struct SlipPage {
    clinic_name: String,
    clinic_id: domain::ClinicId,
    number: i32,
    doctor_name: String,
    issued: String,
    initials: String,
    link: String,
    /// The link as a QR code (inline SVG).
    qr_svg: Option<String>,
}

/// GET /clinics/{clinic_id}/queue/tokens/{token_id}/slip: a printable slip (staff).
pub async fn slip(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, TokenId)>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let t = crate::app::queue::find_token(&state, &caller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let link = status_url(&state, t.id).await?;
    let page = SlipPage {
        clinic_name: caller.clinic().name.clone(),
        clinic_id: caller.clinic_id(),
        number: t.number,
        issued: t
            .arrived_at
            .to_zoned(zone_of(caller.clinic()))
            .strftime("%-d %b %Y, %H:%M")
            .to_string(),
        initials: crate::app::board::initials(&t.patient_name),
        link: link.clone(),
        qr_svg: qr_svg(&link, "QR code of the queue-status link"),
        doctor_name: t.doctor_name,
    };
    Ok(Outcome::OK.render(&page))
}

/// `link` as a QR code, an inline SVG (no script, no outside request) that a phone's camera
/// opens, described to screen readers as `label`; `None` if the link cannot be encoded (the
/// page still shows it as text).
pub(super) fn qr_svg(link: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(link, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    // Inline in HTML: drop the XML declaration; describe the image for screen readers.
    let start = svg.find("<svg")?;
    let label = label.replace(['"', '<', '>', '&'], "");
    Some(svg[start..].replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{label}\""),
        1,
    ))
}
