//! The invoice on paper, with its receipts (the desk, and the bill's patient once it is
//! issued), and the patient's own "Bills and payments".

use super::{
    error::{Page, PageError, PagePath},
    forms::Outcome,
    layout::{Nav, nav},
};
use crate::app::policy::Capability;
use crate::app::scope::Caller;
use crate::routes;
use crate::{
    app::{bills, clinics::get_clinic},
    auth::{CurrentUser, RequestCtx},
    print::{Invoice, money},
    state::AppState,
};
use askama::Template;
use axum::{extract::State, response::Response};
use domain::{BillId, ClinicId, billing::BillStatus};

#[derive(Template)]
#[template(path = "bill_print.html")]
struct PrintPage {
    inv: Invoice,
    back_href: String,
    pdf_href: String,
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
    let page = PrintPage {
        inv: Invoice::of(caller.clinic(), &d),
        pdf_href: routes::bill_pdf(caller.clinic_id(), id),
        back_href: if caller.can(Capability::Billing) {
            routes::bill(caller.clinic_id(), id)
        } else {
            routes::my_bills()
        },
    };
    Ok(Outcome::OK.render(&page))
}

/// GET /clinics/{clinic_id}/bills/{bill_id}/pdf: the same, as a PDF download.
pub async fn pdf(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, id)): PagePath<(ClinicId, BillId)>,
) -> Result<Response, PageError> {
    let clinic = get_clinic(&state, clinic).await?;
    let caller = Caller::signed_in(&state, me, clinic).await?;
    let d = bills::get_bill(&state, &ctx, &caller, id).await?;
    Ok(crate::print::invoice_download(caller.clinic(), &d))
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
