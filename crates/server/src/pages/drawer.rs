//! The receptionist's cash drawer (open with a float, close with what was counted, the
//! close-out with its variance) and the collection report with its CSV download.

use super::{
    error::{Page, PageError, PagePath},
    forms::{Errors, Label, Outcome, PageForm, QueryOr, failure, see_other},
    layout::{Nav, nav},
};
use crate::print::money;
use crate::routes;
use crate::{
    app::{
        cash::{self, CloseOut},
        local_time::{date_of, parse_date, zone_of},
    },
    auth::{
        RequestCtx,
        extract::{BillingDesk, ClinicScope},
    },
    error::AppError,
    state::AppState,
};
use askama::Template;
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use domain::{CashSessionId, ClinicId, Currency, Money, billing::PaymentMethod};
use serde::Deserialize;
use store::cash::Counted;

const FIELDS: &[Label] = &[
    ("opening_float_minor", "Opening float"),
    ("float", "Opening float"),
    ("counted_cash_minor", "Cash counted"),
    ("counted_card_minor", "Card slips"),
    ("counted_upi_minor", "UPI received"),
    ("note", "Note"),
];

/// One method of a close-out, as shown.
struct Line {
    method: &'static str,
    expected: String,
    counted: String,
    variance: String,
}

fn lines(o: &CloseOut, currency: &str) -> Vec<Line> {
    o.lines
        .iter()
        .map(|(m, e, c)| Line {
            method: match m {
                PaymentMethod::Cash => "Cash",
                PaymentMethod::Card => "Card",
                PaymentMethod::Upi => "UPI",
                PaymentMethod::Online => "Online",
            },
            expected: money(currency, *e),
            counted: c.map(|c| money(currency, c)).unwrap_or_default(),
            variance: o
                .variance(*m)
                .map(|v| money(currency, v))
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "drawer.html")]
struct DrawerPage {
    nav: Nav,
    clinic_id: ClinicId,
    open: Option<(CashSessionId, String)>,
    lines: Vec<Line>,
    closed: Option<String>,
    errors: Errors,
    float: String,
    hint: String,
}

/// After a close: the session shown.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DrawerQuery {
    pub closed: Option<String>,
}

async fn page(
    state: &AppState,
    caller: &crate::app::scope::Caller,
    closed: Option<CashSessionId>,
    errors: Errors,
) -> Result<DrawerPage, PageError> {
    let currency = caller.clinic().currency.as_str().to_owned();
    let zone = zone_of(caller.clinic());
    let at = |t: jiff::Timestamp| {
        t.to_zoned(zone.clone())
            .strftime("%-d %b %H:%M")
            .to_string()
    };
    let mine = cash::my_drawer(state, caller).await?;
    let (open, mut shown) = match &mine {
        Some(o) => (
            Some((
                o.session.id,
                format!(
                    "Open since {} with a float of {}.",
                    at(o.session.opened_at),
                    money(&currency, o.session.opening_float)
                ),
            )),
            lines(o, &currency),
        ),
        None => (None, Vec::new()),
    };
    let mut closed_text = None;
    if let Some(id) = closed {
        let o = cash::drawer(state, caller, id).await?;
        shown = lines(&o, &currency);
        closed_text = Some(format!(
            "Closed at {}. {}",
            o.session.closed_at.map(at).unwrap_or_default(),
            o.session.note
        ));
    }
    Ok(DrawerPage {
        nav: nav(state, caller.person()?, "billing").await?,
        clinic_id: caller.clinic_id(),
        open,
        lines: shown,
        closed: closed_text,
        errors,
        float: String::new(),
        hint: format!(
            "In {currency}, {}",
            Money::input_hint(&caller.clinic().currency)
        ),
    })
}

/// GET /clinics/{clinic_id}/drawer.
pub async fn show(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    QueryOr(q): QueryOr<DrawerQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let closed = q.closed.and_then(|c| c.parse().ok());
    let p = page(&state, &caller, closed, Errors::default()).await?;
    Ok(Outcome::OK.render(&p))
}

/// The open and close forms, amounts as typed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DrawerForm {
    pub float: String,
    pub cash: String,
    pub card: String,
    pub upi: String,
    pub note: String,
}

fn amount(currency: &Currency, field: &str, raw: &str) -> Result<i64, AppError> {
    if raw.trim().is_empty() {
        return Ok(0);
    }
    Money::parse(currency, raw)
        .map(|m| m.minor())
        .map_err(|e| AppError::field(field, e.message))
}

async fn refused(
    state: &AppState,
    caller: &crate::app::scope::Caller,
    e: AppError,
    form: DrawerForm,
) -> Result<Response, PageError> {
    let (outcome, errors) = failure(e, FIELDS)?;
    let mut p = page(state, caller, None, errors).await?;
    p.float = form.float;
    Ok(outcome.render(&p))
}

/// POST /clinics/{clinic_id}/drawer: open the caller's drawer with a float.
pub async fn open(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    PageForm(form): PageForm<DrawerForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let currency = caller.clinic().currency.clone();
    let result = match amount(&currency, "float", &form.float) {
        Ok(f) => cash::open_drawer(&state, &ctx, &caller, f)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&routes::drawer(caller.clinic_id()))),
        Err(e) => refused(&state, &caller, e, form).await,
    }
}

/// POST /clinics/{clinic_id}/drawer/{id}/close: close with what was counted.
pub async fn close(
    State(state): State<AppState>,
    ctx: RequestCtx,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    PagePath((_, id)): PagePath<(ClinicId, CashSessionId)>,
    PageForm(form): PageForm<DrawerForm>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let currency = caller.clinic().currency.clone();
    let counted = (|| {
        Ok::<_, AppError>(Counted {
            cash: amount(&currency, "counted_cash_minor", &form.cash)?,
            card: amount(&currency, "counted_card_minor", &form.card)?,
            upi: amount(&currency, "counted_upi_minor", &form.upi)?,
        })
    })();
    let result = match counted {
        Ok(c) => cash::close_drawer(&state, &ctx, &caller, id, c, &form.note)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "{}?closed={id}",
            routes::drawer(caller.clinic_id())
        ))),
        Err(e) => refused(&state, &caller, e, form).await,
    }
}

#[derive(Template)]
#[template(path = "collections.html")]
struct CollectionsPage {
    nav: Nav,
    clinic_id: ClinicId,
    from: String,
    to: String,
    total: String,
    by_method: Vec<(&'static str, String)>,
    by_doctor: Vec<(String, String)>,
    by_day: Vec<(String, String)>,
    sessions: Vec<(String, String)>,
    csv_href: String,
    alert: Option<String>,
}

/// The report's dates; `format=csv` downloads it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
}

/// GET /clinics/{clinic_id}/reports/collections.
pub async fn collections(
    State(state): State<AppState>,
    Page(scope): Page<ClinicScope<BillingDesk>>,
    QueryOr(q): QueryOr<ReportQuery>,
) -> Result<Response, PageError> {
    let caller = scope.into_caller();
    let today = date_of(caller.clinic(), state.now());
    let day = |v: &Option<String>, field| match v.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_date(field, s).map(Some),
        None => Ok(None),
    };
    let (from, to, alert) = match (day(&q.from, "from"), day(&q.to, "to")) {
        (Ok(f), Ok(t)) => {
            let f = f.unwrap_or(today);
            (f, t.unwrap_or(f), None)
        }
        (Err(e), _) | (_, Err(e)) => (today, today, Some(e.message)),
    };
    let (report, from, to, alert) = match cash::collection(&state, &caller, from, to).await {
        Ok(r) => (r, from, to, alert),
        Err(AppError::Validation(list)) => {
            let msg = list.first().map(|e| e.message.clone());
            let r = cash::collection(&state, &caller, today, today).await?;
            (r, today, today, msg)
        }
        Err(e) => return Err(e.into()),
    };
    if q.format.as_deref() == Some("csv") {
        let name = format!("attachment; filename=\"collections-{from}-{to}.csv\"");
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, name),
            ],
            report.csv(),
        )
            .into_response());
    }
    let c = caller.clinic().currency.as_str().to_owned();
    let zone = zone_of(caller.clinic());
    let mut sessions = Vec::new();
    for s in &report.sessions {
        let o = cash::close_out(state.store().conn(), s.clone()).await?;
        let variance = o
            .variance(PaymentMethod::Cash)
            .map(|v| format!("cash variance {}", money(&c, v)))
            .unwrap_or_else(|| "still open".into());
        sessions.push((
            format!(
                "{} · opened {}",
                s.user_name,
                s.opened_at.to_zoned(zone.clone()).strftime("%-d %b %H:%M")
            ),
            variance,
        ));
    }
    let page = CollectionsPage {
        nav: nav(&state, caller.person()?, "billing").await?,
        clinic_id: caller.clinic_id(),
        from: from.to_string(),
        to: to.to_string(),
        total: money(&c, report.total()),
        by_method: [
            ("Cash", PaymentMethod::Cash),
            ("Card", PaymentMethod::Card),
            ("UPI", PaymentMethod::Upi),
            ("Online", PaymentMethod::Online),
        ]
        .into_iter()
        .map(|(l, m)| (l, money(&c, report.by_method(m))))
        .collect(),
        by_doctor: report
            .by_doctor()
            .into_iter()
            .map(|(d, a)| (d, money(&c, a)))
            .collect(),
        by_day: report
            .by_day
            .iter()
            .map(|(d, a)| (d.strftime("%a %-d %b %Y").to_string(), money(&c, *a)))
            .collect(),
        sessions,
        csv_href: format!(
            "{}?from={from}&to={to}&format=csv",
            routes::collections(caller.clinic_id())
        ),
        alert,
    };
    Ok(Outcome::OK.render(&page))
}
