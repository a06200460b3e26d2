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
use domain::{
    BillId, ClinicId,
    billing::{BillKind, BillStatus},
};

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
    let (caller, d) = readable(&state, &ctx, me, clinic, id).await?;
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
    let (caller, d) = readable(&state, &ctx, me, clinic, id).await?;
    Ok(crate::print::invoice_download(caller.clinic(), &d))
}

/// The bill, for whoever may read it: the desk, or its patient once issued (audited).
async fn readable(
    state: &AppState,
    ctx: &RequestCtx,
    me: CurrentUser,
    clinic: ClinicId,
    id: BillId,
) -> Result<(Caller, crate::app::bills::BillDetail), PageError> {
    let clinic = get_clinic(state, clinic).await?;
    let caller = Caller::signed_in(state, me, clinic).await?;
    let d = bills::get_bill(state, ctx, &caller, id).await?;
    Ok((caller, d))
}

/// ` (booking deposit)` after a bill that is not for a visit itself.
fn kind_note(kind: BillKind) -> String {
    match kind {
        BillKind::Visit => String::new(),
        k => format!(" ({})", k.label().to_lowercase()),
    }
}

struct MineRow {
    /// Where "Pay online" leads, when something is due and the clinic takes it online.
    pay_online: Option<String>,
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
    notice: Option<&'static str>,
    /// The install takes payments online.
    online: bool,
}

/// After coming back from the provider's checkout.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct MineQuery {
    pub online: Option<String>,
}

/// GET /bills: the signed-in patient's bills from every clinic, what is due first.
pub async fn mine(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    super::forms::QueryOr(q): super::forms::QueryOr<MineQuery>,
) -> Result<Response, PageError> {
    let online = online_provider(&state).is_some();
    let list = bills::my_bills(&state, &ctx, &me).await?;
    let due = list
        .iter()
        .filter(|b| b.due() > 0)
        .map(|b| {
            format!(
                "{} due on bill {}{}",
                money(&b.currency, b.due()),
                b.number.as_deref().unwrap_or_default(),
                kind_note(b.kind)
            )
        })
        .collect();
    let rows = list
        .iter()
        .map(|b| MineRow {
            pay_online: (online && b.due() > 0)
                .then(|| routes::my_bill_pay_online(b.clinic_id, b.id)),
            href: routes::bill_print(b.clinic_id, b.id),
            title: format!(
                "{}{} · {}{}",
                b.number.as_deref().unwrap_or_default(),
                kind_note(b.kind),
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
        online,
        // The bill is paid when the provider confirms it, not because the browser came back.
        notice: match q.online.as_deref() {
            Some("returned") => Some(
                "Thank you. Your payment shows here as soon as the payment provider confirms it.",
            ),
            Some("cancelled") => Some("The payment was cancelled; nothing was charged."),
            _ => None,
        },
    };
    Ok(Outcome::OK.render(&page))
}

/// GET /bills/{clinic_id}/{bill_id}/pay-online: the bill's patient, on to the provider's
/// checkout for what is due. A link, not a form: the pages' `form-action 'self'` policy
/// keeps forms from leading off the site, and starting a checkout is idempotent (the same
/// bill state gives the same checkout) and moves no money.
pub async fn pay_online(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(me): Page<CurrentUser>,
    PagePath((clinic, id)): PagePath<(ClinicId, BillId)>,
) -> Result<Response, PageError> {
    let clinic = get_clinic(&state, clinic).await?;
    let caller = Caller::patient(me, clinic);
    let provider = online_provider(&state).ok_or(crate::error::AppError::NotFound)?;
    let s = crate::app::online_payments::start_online_payment(&state, &ctx, &caller, id, provider)
        .await?;
    Ok(super::forms::see_other(&s.attempt.redirect_url))
}

/// The provider patients pay through on the pages: Stripe if configured, else Razorpay.
fn online_provider(state: &AppState) -> Option<&'static str> {
    ["stripe", "razorpay"]
        .into_iter()
        .find(|p| state.gateway(p).is_some())
}

/// GET /pay/razorpay/return: Razorpay sends the patient back here with a signed query;
/// a good signature counts as the payment (once), then the patient goes on to `next`.
pub async fn razorpay_return(
    State(state): State<AppState>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(q.as_deref().unwrap_or_default()).unwrap_or_default();
    let next = params
        .iter()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.as_str());
    let next = super::forms::safe_next(next);
    crate::app::online_payments::returned(&state, "razorpay", &params).await?;
    let sep = if next.contains('?') { '&' } else { '?' };
    Ok(super::forms::see_other(&format!(
        "{next}{sep}online=returned"
    )))
}
