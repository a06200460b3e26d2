//! The doctor's consultation screen: the patient's history beside one form for the notes,
//! vitals and prescription. Rows are added and removed by submit buttons, so it all works
//! without JavaScript; every button saves the draft first, so nothing typed is lost.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{
        consultations::{self, ConsultationForm, ConsultationRecord, VisitForm},
        history::History,
        local_time::zone_of,
        prescriptions::{MAX_ROWS, RxRow},
    },
    auth::{
        RequestCtx,
        extract::{AnyStaff, ClinicScope},
    },
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{
    ClinicId, ConsultationId,
    consultation::{FORMS, FREQUENCIES, ROUTES},
};
use serde::Deserialize;
use std::collections::HashMap;

const FIELDS: &[Label] = &[
    ("complaints", "Complaints"),
    ("bp", "Blood pressure"),
    ("pulse", "Pulse"),
    ("temperature", "Temperature"),
    ("weight", "Weight"),
    ("height", "Height"),
    ("spo2", "SpO2"),
    ("examination", "Examination"),
    ("diagnosis", "Diagnosis"),
    ("icd10", "ICD-10 code"),
    ("advice", "Advice"),
    ("follow_up_date", "Follow-up"),
    ("rx_notes", "Notes for the pharmacist"),
];

/// A line of the history column.
struct HistoryLine {
    when: String,
    what: String,
    href: Option<String>,
}

#[derive(Template)]
#[template(path = "consultation.html")]
pub(super) struct ConsultPage {
    nav: Nav,
    clinic_id: domain::ClinicId,
    id: domain::ConsultationId,
    patient: String,
    patient_line: String,
    doctor: String,
    editable: bool,
    signed_line: Option<String>,
    form: ConsultationForm,
    rows: Vec<RxRow>,
    rx_notes: String,
    /// The signed record, read-only.
    vitals_line: String,
    addenda: Vec<(String, String)>,
    prescription_href: Option<String>,
    follow_up_href: Option<String>,
    visits: Vec<HistoryLine>,
    medicines: Vec<HistoryLine>,
    appointments: Vec<HistoryLine>,
    documents: Vec<HistoryLine>,
    forms: &'static [&'static str],
    routes: &'static [&'static str],
    frequencies: &'static [(&'static str, &'static str)],
    notice: Option<String>,
    errors: Errors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConsultQuery {
    /// Blank prescription rows to offer beyond the saved ones.
    extra: usize,
    /// `saved`, `signed` or `added` after a POST.
    done: String,
}

/// What a failed save shows again instead of the stored draft.
struct Shown {
    form: ConsultationForm,
    rows: Vec<RxRow>,
    rx_notes: String,
}

/// How the page is drawn besides the consultation itself.
#[derive(Default)]
pub(super) struct View {
    shown: Option<Shown>,
    /// Blank rows beyond the saved ones.
    extra: usize,
    notice: Option<String>,
    errors: Errors,
}

impl View {
    /// The stored consultation again, with `errors` above it.
    pub(super) fn refused(errors: Errors) -> Self {
        View {
            errors,
            ..View::default()
        }
    }
}

pub(super) async fn page(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    c: ConsultationRecord,
    view: View,
) -> Result<ConsultPage, PageError> {
    let View {
        shown,
        extra,
        notice,
        errors,
    } = view;
    let zone = zone_of(caller.clinic());
    let day = |t: jiff::Timestamp| t.to_zoned(zone.clone()).strftime("%-d %b %Y").to_string();
    let e = &c.consultation;
    let h: History =
        crate::app::history::get_patient_history(state, ctx, caller, e.patient_id).await?;
    let today = state.now().to_zoned(zone.clone()).date();
    let mut facts = vec![h.patient.mrn.clone()];
    if let Some(s) = h.patient.details.sex {
        facts.push(s.label().to_owned());
    }
    if let Some(b) = h.patient.details.birth {
        facts.push(b.age_text(today));
    }
    let cid = caller.clinic_id();
    let editable = !e.signed && e.doctor_user_id == caller.person()?.id();
    let saved_rows: Vec<RxRow> = c
        .prescription
        .as_ref()
        .map(|p| {
            p.items
                .iter()
                .map(|i| RxRow {
                    drug: i.drug.clone(),
                    strength: i.strength.clone(),
                    form: i.form.clone(),
                    dose: i.dose.clone(),
                    frequency: i.frequency.clone(),
                    duration: i.duration.clone(),
                    route: i.route.clone(),
                    instructions: i.instructions.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let shown = shown.unwrap_or_else(|| Shown {
        form: ConsultationForm::of(e),
        rows: saved_rows.clone(),
        rx_notes: c
            .prescription
            .as_ref()
            .map(|p| p.notes.clone())
            .unwrap_or_default(),
    });
    let mut rows = shown.rows;
    if editable {
        let blanks = if rows.is_empty() { 1 } else { 0 } + extra.min(10);
        rows.extend(std::iter::repeat_with(RxRow::default).take(blanks));
    }
    let v = &e.notes.vitals;
    let vitals_line = [
        v.bp_text().map(|x| format!("BP {x}")),
        v.pulse_text().map(|x| format!("pulse {x}")),
        v.temperature_text(),
        v.spo2_text().map(|x| format!("SpO2 {x}")),
        v.weight_text(),
        v.height_text(),
        v.bmi_text().map(|x| format!("BMI {x}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    Ok(ConsultPage {
        nav: nav(state, caller.person()?, "queue").await?,
        clinic_id: caller.clinic_id(),
        id: e.id,
        patient: e.patient_name.clone(),
        patient_line: facts.join(" · "),
        doctor: e.doctor_name.clone(),
        editable,
        signed_line: e
            .signed_at
            .map(|t| format!("Signed by {} on {}", e.doctor_name, day(t))),
        form: shown.form,
        rows,
        rx_notes: shown.rx_notes,
        vitals_line,
        addenda: c
            .addenda
            .iter()
            .map(|a| {
                (
                    format!("{}, {}", a.author_name, day(a.created_at)),
                    a.body.clone(),
                )
            })
            .collect(),
        prescription_href: c
            .prescription
            .as_ref()
            .filter(|p| !p.items.is_empty())
            .map(|p| routes::prescription_print(cid, p.id)),
        follow_up_href: e.notes.follow_up_date.as_ref().map(|d| {
            format!(
                "{}?doctor={}&patient={}&week={d}",
                routes::desk_book(cid),
                e.doctor_id,
                e.patient_id
            )
        }),
        visits: h
            .encounters
            .iter()
            .filter(|x| x.id != e.id)
            .map(|x| HistoryLine {
                when: day(x.started_at),
                what: format!(
                    "{} · {}",
                    x.doctor_name,
                    if x.notes.diagnosis.is_empty() {
                        "no diagnosis recorded".to_owned()
                    } else {
                        x.notes.diagnosis.clone()
                    }
                ),
                href: Some(routes::consultation(cid, x.id)),
            })
            .collect(),
        medicines: h
            .prescriptions
            .iter()
            .filter(|p| p.encounter_id != e.id)
            .map(|p| HistoryLine {
                when: day(p.created_at),
                what: p
                    .items
                    .iter()
                    .map(|i| format!("{} {}", i.drug, i.strength).trim().to_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
                href: Some(routes::prescription_print(cid, p.id)),
            })
            .collect(),
        appointments: h
            .appointments
            .iter()
            .map(|a| HistoryLine {
                when: day(a.start),
                what: format!("{} · {}", a.doctor_name, a.status.label()),
                href: None,
            })
            .collect(),
        documents: h
            .documents
            .iter()
            .map(|d| HistoryLine {
                when: day(d.created_at),
                what: format!("{} · {}", d.category.label(), d.file_name),
                href: Some(routes::patient_document(cid, d.patient_id, d.id)),
            })
            .collect(),
        forms: FORMS,
        routes: ROUTES,
        frequencies: FREQUENCIES,
        notice,
        errors,
    })
}

/// GET /clinics/{clinic_id}/consultations/{id} (the clinic's doctors; audited).
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, ConsultationId)>,
    QueryOr(q): QueryOr<ConsultQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let c = consultations::get_consultation(&state, &ctx, &caller, id).await?;
    let notice = match q.done.as_str() {
        "saved" => Some("Draft saved.".to_owned()),
        "signed" => Some(
            "Signed. The consultation is locked; add an addendum for anything more.".to_owned(),
        ),
        "added" => Some("Addendum added.".to_owned()),
        _ => None,
    };
    let view = View {
        extra: q.extra,
        notice,
        ..View::default()
    };
    let p = page(&state, &ctx, &caller, c, view).await?;
    Ok(Outcome::OK.render(&p))
}

/// The posted form: the notes by name, prescription rows as `drug_0`, `dose_0`, ….
fn read_form(pairs: Vec<(String, String)>) -> (VisitForm, String, Option<usize>) {
    let mut by: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs.into_iter().take(2000) {
        by.entry(k).or_insert(v);
    }
    let take = |by: &mut HashMap<String, String>, k: &str| by.remove(k).unwrap_or_default();
    let notes = ConsultationForm {
        complaints: take(&mut by, "complaints"),
        bp: take(&mut by, "bp"),
        pulse: take(&mut by, "pulse"),
        temperature: take(&mut by, "temperature"),
        weight: take(&mut by, "weight"),
        height: take(&mut by, "height"),
        spo2: take(&mut by, "spo2"),
        examination: take(&mut by, "examination"),
        diagnosis: take(&mut by, "diagnosis"),
        icd10: take(&mut by, "icd10"),
        advice: take(&mut by, "advice"),
        follow_up_date: take(&mut by, "follow_up_date"),
        version: take(&mut by, "version").parse().ok(),
    };
    let mut rows = Vec::new();
    for i in 0..MAX_ROWS {
        let mut field = |name: &str| by.remove(&format!("{name}_{i}"));
        let Some(drug) = field("drug") else { break };
        rows.push(RxRow {
            drug,
            strength: field("strength").unwrap_or_default(),
            form: field("form").unwrap_or_default(),
            dose: field("dose").unwrap_or_default(),
            frequency: field("frequency").unwrap_or_default(),
            duration: field("duration").unwrap_or_default(),
            route: field("route").unwrap_or_default(),
            instructions: field("instructions").unwrap_or_default(),
        });
    }
    let remove = by.get("remove").and_then(|r| r.parse().ok());
    let action = take(&mut by, "action");
    let rx_notes = take(&mut by, "rx_notes");
    (
        VisitForm {
            notes,
            rows,
            rx_notes,
        },
        action,
        remove,
    )
}

/// POST /clinics/{clinic_id}/consultations/{id}: save the draft; add or remove a row; sign.
pub async fn save(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<AnyStaff>>,
    PagePath((_, id)): PagePath<(ClinicId, ConsultationId)>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let (mut form, action, remove) = read_form(pairs);
    if let Some(i) = remove.filter(|i| *i < form.rows.len()) {
        form.rows.remove(i);
    }
    let sign = action == "sign";
    let here = routes::consultation(caller.clinic_id(), id);
    match consultations::save_visit(&state, &ctx, &caller, id, &form, sign).await {
        Ok(_) if sign => Ok(see_other(&format!("{here}?done=signed"))),
        Ok(_) if action == "add_row" => Ok(see_other(&format!("{here}?extra=1"))),
        Ok(_) => Ok(see_other(&format!("{here}?done=saved"))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let c = consultations::get_consultation(&state, &ctx, &caller, id).await?;
            let shown = Shown {
                form: form.notes,
                rows: form.rows,
                rx_notes: form.rx_notes,
            };
            let view = View {
                shown: Some(shown),
                errors,
                ..View::default()
            };
            let p = page(&state, &ctx, &caller, c, view).await?;
            Ok(outcome.render(&p))
        }
    }
}
