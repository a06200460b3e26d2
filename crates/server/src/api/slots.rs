//! The public slot search: free times by doctor, specialty, visit type and dates.

use super::{
    extract::{ApiQuery, date_param},
    slot_views::SlotsView,
};
use crate::{
    app::slots::{self, SlotSearch},
    auth::extract::ClinicInPath,
    error::{AppResult, Problem},
    state::AppState,
};
use axum::extract::State;
use domain::{DoctorId, SpecialtyId, VisitTypeId};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// What to search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SlotQuery {
    pub doctor_id: Option<Uuid>,
    pub specialty_id: Option<Uuid>,
    /// Without it, each doctor's first offered visit type.
    pub visit_type_id: Option<Uuid>,
    /// First local date, `YYYY-MM-DD`; default today.
    pub from: Option<String>,
    /// Last local date; default six days after `from`; at most 31 days in all.
    pub to: Option<String>,
}

/// Free slots by doctor, specialty, visit type and dates (public). Times are UTC instants
/// and local times in the clinic's zone.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/slots", operation_id = "search_slots", tag = "booking",
    params(("clinic_id" = Uuid, Path), SlotQuery),
    responses((status = 200, body = SlotsView), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn search_slots(
    State(state): State<AppState>,
    ClinicInPath(clinic): ClinicInPath,
    ApiQuery(q): ApiQuery<SlotQuery>,
) -> AppResult<SlotsView> {
    let search = SlotSearch {
        doctor: q.doctor_id.map(DoctorId::from_uuid),
        specialty: q.specialty_id.map(SpecialtyId::from_uuid),
        visit_type: q.visit_type_id.map(VisitTypeId::from_uuid),
        from: date_param("from", &q.from)?,
        to: date_param("to", &q.to)?,
    };
    let (clinic, from, to, found) =
        slots::search_clinic_slots(&state, clinic, &search, false).await?;
    Ok(SlotsView::new(clinic, (from, to), found))
}
