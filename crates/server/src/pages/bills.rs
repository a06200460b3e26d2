//! The billing desk's bill screen, keyboard-first and working without JavaScript: a visit's
//! bill proposed from the appointment, the draft's lines, issuing, taking cash, card and UPI
//! (split, with change, a UPI QR code), voiding; and the desk's list of today's and unpaid
//! bills.

use super::{
    bill_form::{self, BillForm, Row, percent_text},
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::print::money;
use crate::routes;
use crate::{
    app::{
        billing_settings,
        bills::{self, BillDetail, BillFor},
        cash,
        local_time::{date_of, zone_of},
    },
    auth::{
        RequestCtx,
        extract::{BillingDesk, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{
    AppointmentId, BillId, ClinicId, Currency, PatientId, PaymentId,
    billing::{BillKind, BillStatus, BillingSettings},
};
use serde::Deserialize;
use store::bills::{Bill, BillFilter};

pub(super) const FIELDS: &[Label] = &[
    ("items", "Lines"),
    ("discount", "Discount"),
    ("discount_reason", "Reason for the discount"),
    ("notes", "Notes"),
    ("payments", "Payment"),
    ("Idempotency-Key", "Payment"),
    ("reason", "Reason"),
    ("status", "Bill"),
    ("amount_minor", "Amount"),
    ("email", "E-mail"),
];

/// A bill in a list.
pub(super) struct ListRow {
    pub href: String,
    pub number: String,
    pub patient: String,
    pub status: &'static str,
    pub total: String,
    pub due: String,
}

impl ListRow {
    pub(super) fn of(clinic: ClinicId, b: &Bill) -> Self {
        ListRow {
            href: routes::bill(clinic, b.id),
            number: match (b.number.as_deref(), b.kind) {
                (Some(n), BillKind::Visit) => n.to_owned(),
                (Some(n), k) => format!("{n} · {}", k.label()),
                (None, _) => "Draft".into(),
            },
            patient: format!("{} · {}", b.patient_name, b.patient_mrn),
            status: b.status.label(),
            total: money(&b.currency, b.content.total),
            due: money(&b.currency, b.due()),
        }
    }
}

#[derive(Template)]
#[template(path = "bills.html")]
struct ListPage {
    nav: Nav,
    clinic_id: ClinicId,
    today: Vec<ListRow>,
    unpaid: Vec<ListRow>,
    /// The caller's open drawer: "Open since 09:02, float INR 1,000.00".
    drawer: Option<String>,
}

/// GET /clinics/{clinic_id}/bills: today's bills, the unpaid ones and the caller's drawer;
/// with `?patient=`, a new bill for that patient.
pub async fn list(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    QueryOr(q): QueryOr<NewQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    if let Some(p) = q
        .patient
        .as_deref()
        .and_then(|p| p.parse::<PatientId>().ok())
    {
        let patient = crate::app::patients::get_patient(&state, &ctx, &caller, p).await?;
        let s = billing_settings::billing_settings(&state, &caller).await?;
        let view = Draft::new(
            &s,
            patient.id,
            format!("{} · {}", patient.details.name, patient.mrn),
        );
        return render(
            &state,
            &caller,
            View::New(view),
            Errors::default(),
            Outcome::OK,
        )
        .await;
    }
    let zone = zone_of(caller.clinic());
    let today = date_of(caller.clinic(), state.now());
    let start = today.to_zoned(zone.clone()).map(|z| z.timestamp()).ok();
    let filter = BillFilter {
        from: start,
        ..BillFilter::default()
    };
    let cid = caller.clinic_id();
    let today_rows = bills::list_bills(&state, &caller, &filter, 200).await?;
    let unpaid = BillFilter {
        unpaid: true,
        ..BillFilter::default()
    };
    let unpaid_rows = bills::list_bills(&state, &caller, &unpaid, 200).await?;
    let drawer = cash::my_drawer(&state, &caller).await?.map(|d| {
        format!(
            "Your drawer is open since {}, with a float of {}.",
            d.session.opened_at.to_zoned(zone.clone()).strftime("%H:%M"),
            money(caller.clinic().currency.as_str(), d.session.opening_float)
        )
    });
    let me = caller.person()?;
    let page = ListPage {
        nav: nav(&state, me, "billing").await?,
        clinic_id: cid,
        today: today_rows.iter().map(|b| ListRow::of(cid, b)).collect(),
        unpaid: unpaid_rows.iter().map(|b| ListRow::of(cid, b)).collect(),
        drawer,
    };
    Ok(Outcome::OK.render(&page))
}

/// `?patient=` on the list: start a bill for that patient.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    pub patient: Option<String>,
}

/// A draft's form, or a new bill's.
pub(super) struct Draft {
    patient_id: PatientId,
    patient: String,
    rows: Vec<Row>,
    rates: Vec<String>,
    discount: String,
    discount_reason: String,
    notes: String,
    version: i32,
}

impl Draft {
    fn new(s: &BillingSettings, patient_id: PatientId, patient: String) -> Self {
        let rates: Vec<String> = s.tax_rates.iter().map(|r| percent_text(*r)).collect();
        Draft {
            patient_id,
            patient,
            rows: vec![Row::blank("0"), Row::blank("0"), Row::blank("0")],
            rates,
            discount: String::new(),
            discount_reason: String::new(),
            notes: String::new(),
            version: 0,
        }
    }

    /// The form as typed again, after a refusal.
    fn typed(mut self, form: BillForm) -> Self {
        self.rows = form.rows;
        if self.rows.is_empty() {
            self.rows.push(Row::blank("0"));
        }
        self.discount = form.discount;
        self.discount_reason = form.discount_reason;
        self.notes = form.notes;
        self
    }
}

pub(super) enum View {
    New(Draft),
    Draft(Draft, BillDetail),
    Issued(Box<super::bill_view::Issued>, BillDetail),
}

#[derive(Template)]
#[template(path = "bill.html")]
struct BillPage {
    nav: Nav,
    clinic_id: ClinicId,
    title: String,
    status: &'static str,
    bill_id: Option<BillId>,
    number: String,
    patient: String,
    patient_id: Option<PatientId>,
    doctor: String,
    draft: Option<Draft>,
    issued: Option<Box<super::bill_view::Issued>>,
    void_reason: Option<String>,
    notice: Option<String>,
    errors: Errors,
}

pub(super) async fn render(
    state: &AppState,
    caller: &crate::app::scope::Caller,
    view: View,
    errors: Errors,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let me = caller.person()?;
    let nav = nav(state, me, "billing").await?;
    let cid = caller.clinic_id();
    let page = match view {
        View::New(draft) => BillPage {
            nav,
            clinic_id: cid,
            title: format!("New bill · {}", draft.patient),
            status: "New",
            bill_id: None,
            number: String::new(),
            patient: draft.patient.clone(),
            patient_id: Some(draft.patient_id),
            doctor: String::new(),
            draft: Some(draft),
            issued: None,
            void_reason: None,
            notice: None,
            errors,
        },
        View::Draft(draft, d) => header(cid, nav, &d, Some(draft), None, errors),
        View::Issued(issued, d) => header(cid, nav, &d, None, Some(issued), errors),
    };
    Ok(outcome.render(&page))
}

fn header(
    clinic_id: ClinicId,
    nav: Nav,
    d: &BillDetail,
    draft: Option<Draft>,
    issued: Option<Box<super::bill_view::Issued>>,
    errors: Errors,
) -> BillPage {
    let b = &d.bill;
    let number = b.number.clone().unwrap_or_default();
    let patient = format!("{} · {}", b.patient_name, b.patient_mrn);
    BillPage {
        nav,
        clinic_id,
        title: if number.is_empty() {
            format!("Draft bill · {}", b.patient_name)
        } else {
            format!("Bill {number} · {}", b.patient_name)
        },
        status: b.status.label(),
        bill_id: Some(b.id),
        number,
        patient,
        patient_id: Some(b.patient_id),
        doctor: b.doctor_name.clone().unwrap_or_default(),
        draft,
        issued,
        void_reason: b.void_reason.clone(),
        notice: None,
        errors,
    }
}

/// The page's view of a bill: its draft form, or its figures and payment form.
pub(super) async fn view_of(
    state: &AppState,
    caller: &crate::app::scope::Caller,
    d: BillDetail,
) -> Result<View, PageError> {
    let s = billing_settings::billing_settings(state, caller).await?;
    if d.bill.status == BillStatus::Draft {
        let currency = Currency::parse(&d.bill.currency).map_err(AppError::from)?;
        let mut draft = Draft::new(&s, d.bill.patient_id, String::new());
        draft.rows = d
            .bill
            .content
            .lines
            .iter()
            .map(|l| Row::of(l, &currency))
            .collect();
        draft.rows.push(Row::blank("0"));
        draft.discount = bill_form::discount_text(d.bill.content.discount, &currency);
        draft.discount_reason = d.bill.content.discount_reason.clone();
        draft.notes = d.bill.content.notes.clone();
        draft.version = d.bill.version;
        return Ok(View::Draft(draft, d));
    }
    let issued = super::bill_view::issued_view(caller, &s, &d);
    Ok(View::Issued(Box::new(issued), d))
}

/// What the bill page says after a move.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    pub done: Option<String>,
    pub receipt: Option<String>,
    pub extra: Option<usize>,
}

/// GET /clinics/{clinic_id}/bills/{bill_id}.
pub async fn show(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    PagePath((_, id)): PagePath<(ClinicId, BillId)>,
    QueryOr(q): QueryOr<ShowQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let d = bills::get_bill(&state, &ctx, &caller, id).await?;
    let notice = notice_of(&d, &q);
    let mut view = view_of(&state, &caller, d).await?;
    if let (View::Draft(draft, _), Some(n)) = (&mut view, q.extra) {
        for _ in 0..n.min(5) {
            draft.rows.push(Row::blank("0"));
        }
    }
    let me = caller.person()?;
    let nav = nav(&state, me, "billing").await?;
    let mut page = match view {
        View::Draft(draft, d) => header(
            caller.clinic_id(),
            nav,
            &d,
            Some(draft),
            None,
            Errors::default(),
        ),
        View::Issued(i, d) => header(
            caller.clinic_id(),
            nav,
            &d,
            None,
            Some(i),
            Errors::default(),
        ),
        View::New(_) => return Err(AppError::NotFound.into()),
    };
    page.notice = notice;
    Ok(Outcome::OK.render(&page))
}

/// "Issued as INV/26-27/0001", "Payment taken. Give INR 82.81 change."
fn notice_of(d: &BillDetail, q: &ShowQuery) -> Option<String> {
    let c = &d.bill.currency;
    if let Some(r) = q
        .receipt
        .as_deref()
        .and_then(|r| r.parse::<PaymentId>().ok())
    {
        let parts: Vec<_> = d.payments.iter().filter(|p| p.receipt_id == r).collect();
        if parts.is_empty() {
            return None;
        }
        let change: i64 = parts.iter().map(|p| p.tendered - p.amount).sum();
        let paid: i64 = parts.iter().map(|p| p.amount).sum();
        let mut n = format!("Payment of {} taken.", money(c, paid));
        if change > 0 {
            n.push_str(&format!(" Give {} change.", money(c, change)));
        }
        return Some(n);
    }
    match q.done.as_deref() {
        Some("issued") => Some(format!(
            "Issued as {}.",
            d.bill.number.as_deref().unwrap_or_default()
        )),
        Some("saved") => Some("Draft saved.".into()),
        Some("emailed") => Some("The invoice and receipt are on their way to the patient.".into()),
        Some("voided") => Some("The bill is void.".into()),
        Some("credited") => d
            .credit_notes
            .last()
            .map(|n| format!("Credit note {} issued.", n.number)),
        _ => None,
    }
}

/// POST /clinics/{clinic_id}/bills: a visit's bill (its live one, or a new draft from it),
/// or a new bill for a patient from the typed lines.
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let form = bill_form::read(pairs);
    if let Ok(a) = form.appointment.parse::<AppointmentId>() {
        let id = bills::bill_for_visit(&state, &ctx, &caller, a).await?;
        return Ok(see_other(&routes::bill(caller.clinic_id(), id)));
    }
    let patient = form
        .patient
        .parse::<PatientId>()
        .map_err(|_| AppError::NotFound)?;
    let result = match form.input(&caller.clinic().currency) {
        Ok(input) => {
            bills::create_bill(
                &state,
                &ctx,
                &caller,
                BillFor::Patient(patient),
                Some(&input),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(d) if form.action == "issue" => issue_then_show(&state, &ctx, &caller, d).await,
        Ok(d) => Ok(see_other(&format!(
            "{}?done=saved",
            routes::bill(caller.clinic_id(), d.bill.id)
        ))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let p = crate::app::patients::get_patient(&state, &ctx, &caller, patient).await?;
            let s = billing_settings::billing_settings(&state, &caller).await?;
            let draft = Draft::new(&s, p.id, format!("{} · {}", p.details.name, p.mrn)).typed(form);
            render(&state, &caller, View::New(draft), errors, outcome).await
        }
    }
}

async fn issue_then_show(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &crate::app::scope::Caller,
    d: BillDetail,
) -> Result<Response, PageError> {
    let here = routes::bill(caller.clinic_id(), d.bill.id);
    match bills::issue_bill(state, ctx, caller, d.bill.id, d.bill.version).await {
        Ok(_) => Ok(see_other(&format!("{here}?done=issued"))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let view = view_of(state, caller, d).await?;
            render(state, caller, view, errors, outcome).await
        }
    }
}

/// POST /clinics/{clinic_id}/bills/{bill_id}: save the draft, add a line, or save and issue.
pub async fn save(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    PagePath((_, id)): PagePath<(ClinicId, BillId)>,
    PageForm(pairs): PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let form = bill_form::read(pairs);
    let here = routes::bill(caller.clinic_id(), id);
    let version = form.version.unwrap_or(0);
    let result = match form.input(&caller.clinic().currency) {
        Ok(input) => bills::update_bill(&state, &ctx, &caller, id, version, &input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(d) if form.action == "issue" => issue_then_show(&state, &ctx, &caller, d).await,
        Ok(_) if form.action == "add_line" => Ok(see_other(&format!("{here}?extra=1"))),
        Ok(_) => Ok(see_other(&format!("{here}?done=saved"))),
        Err(e) => {
            let (outcome, errors) = failure(e, FIELDS)?;
            let d = bills::get_bill(&state, &ctx, &caller, id).await?;
            let view = match view_of(&state, &caller, d).await? {
                View::Draft(draft, d) => View::Draft(draft.typed(form), d),
                other => other,
            };
            render(&state, &caller, view, errors, outcome).await
        }
    }
}
