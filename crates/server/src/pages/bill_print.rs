//! The invoice on paper, with its receipts (the desk, and the bill's patient once it is
//! issued), and the patient's own "Bills and payments".

use super::{
    bills::money,
    error::{Page, PageError, PagePath},
    forms::Outcome,
    layout::{Nav, nav},
};
use crate::app::policy::Capability;
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{bills, clinics::get_clinic, local_time::zone_of},
    auth::{CurrentUser, RequestCtx},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{BillId, ClinicId, billing::BillStatus};

struct PrintLine {
    description: String,
    code: String,
    quantity: u32,
    price: String,
    rate: String,
    tax: String,
    amount: String,
}

#[derive(Template)]
#[template(path = "bill_print.html")]
struct PrintPage {
    clinic: String,
    address: String,
    phone: String,
    tax_id: String,
    title: &'static str,
    number: String,
    date: String,
    patient: String,
    mrn: String,
    doctor: String,
    lines: Vec<PrintLine>,
    totals: Vec<(String, String)>,
    receipts: Vec<(String, String, String)>,
    paid: String,
    balance: String,
    status: &'static str,
    void_reason: Option<String>,
    back_href: String,
}

/// GET /clinics/{clinic_id}/bills/{bill_id}/print: the desk, or the bill's patient once it
/// is issued (audited).
pub async fn print(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, id)): PagePath<(ClinicId, BillId)>,
) -> Result<Response, PageError> {
    let clinic = get_clinic(&state, clinic).await?;
    let caller = Caller::signed_in(&state, me, clinic).await?;
    let d = bills::get_bill(&state, &ctx, &caller, id).await?;
    let b = &d.bill;
    let c = &b.currency;
    let zone = zone_of(caller.clinic());
    let day = |t: jiff::Timestamp| t.to_zoned(zone.clone()).strftime("%-d %B %Y").to_string();
    let totals = super::bills::totals_of(b);
    let clinic = caller.clinic();
    let page = PrintPage {
        clinic: clinic.name.clone(),
        address: clinic.details.address().to_owned(),
        phone: clinic
            .details
            .phone()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        tax_id: b.tax_id.clone(),
        title: if b.tax_id.is_empty() {
            "Invoice"
        } else {
            "Tax invoice"
        },
        number: b.number.clone().unwrap_or_else(|| "Draft".into()),
        date: day(b.issued_at.unwrap_or(b.created_at)),
        patient: b.patient_name.clone(),
        mrn: b.patient_mrn.clone(),
        doctor: b.doctor_name.clone().unwrap_or_default(),
        lines: b
            .content
            .lines
            .iter()
            .map(|l| PrintLine {
                description: l.description.clone(),
                code: l.code.clone(),
                quantity: l.quantity,
                price: money(c, l.unit_price),
                rate: l.tax_rate.to_string(),
                tax: money(c, l.amounts.tax),
                amount: money(c, l.amounts.total),
            })
            .collect(),
        totals,
        receipts: d
            .payments
            .iter()
            .map(|p| {
                let mut how = p.method.as_str().to_uppercase();
                if !p.reference.is_empty() {
                    how.push_str(&format!(" ref. {}", p.reference));
                }
                (day(p.created_at), how, money(c, p.amount))
            })
            .collect(),
        paid: money(c, b.paid),
        balance: money(c, b.due()),
        status: b.status.label(),
        void_reason: b.void_reason.clone(),
        back_href: if caller.can(Capability::Billing) {
            routes::bill(caller.clinic_id(), id)
        } else {
            routes::my_bills()
        },
    };
    Ok(Outcome::OK.render(&page))
}

struct MineRow {
    href: String,
    title: String,
    total: String,
    due: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "my_bills.html")]
struct MinePage {
    nav: Nav,
    rows: Vec<MineRow>,
    due: Vec<String>,
}

/// GET /bills: the signed-in patient's bills from every clinic, what is due first.
pub async fn mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
) -> Result<Response, PageError> {
    let list = bills::my_bills(&state, &ctx, &me).await?;
    let due = list
        .iter()
        .filter(|b| b.due() > 0)
        .map(|b| {
            format!(
                "{} due on bill {}",
                money(&b.currency, b.due()),
                b.number.as_deref().unwrap_or_default()
            )
        })
        .collect();
    let rows = list
        .iter()
        .map(|b| MineRow {
            href: routes::bill_print(b.clinic_id, b.id),
            title: format!(
                "{} · {}{}",
                b.number.as_deref().unwrap_or_default(),
                b.issued_at.unwrap_or(b.created_at).strftime("%-d %b %Y"),
                b.doctor_name
                    .as_deref()
                    .map(|d| format!(" · {d}"))
                    .unwrap_or_default()
            ),
            total: money(&b.currency, b.content.total),
            due: money(&b.currency, b.due()),
            status: if b.status == BillStatus::Void {
                "Void"
            } else {
                b.status.label()
            },
        })
        .collect();
    let page = MinePage {
        nav: nav(&state, &me, "bills").await?,
        rows,
        due,
    };
    Ok(Outcome::OK.render(&page))
}
