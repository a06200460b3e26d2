//! Taking money at the desk, the cash drawer, and the collection report.

use super::bills::BillView;
use super::consultations::Pair;
use super::extract::{ApiJson, ApiPath, ApiQuery, date_param};
use crate::app::scope::Caller;
use crate::{
    app::{
        booking::Idempotency,
        cash::{self, CloseOut},
        payments::{self, PartInput},
    },
    auth::RequestCtx,
    error::{AppError, AppResult, Problem},
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use domain::{BillId, CashSessionId, billing::PaymentMethod};
use serde::{Deserialize, Serialize};
use store::cash::Counted;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A payment, split into up to 4 parts by method.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    #[schema(max_items = 4)]
    pub parts: Vec<PartInput>,
}

/// What a payment did: the bill after it, its receipt, and the change to hand back.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptView {
    pub receipt_id: Uuid,
    pub change_minor: i64,
    pub bill: BillView,
}

/// Take a payment on an issued bill (the billing desk): cash, card or UPI, or a split of
/// them; cash beyond what is due is change. Send `Idempotency-Key` so a retry returns the
/// first receipt; a payment that would pay more than is due is refused.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/payments", operation_id = "record_payment", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = PaymentRequest,
    responses((status = 201, body = ReceiptView), (status = 200, body = ReceiptView, description = "A retry with the same Idempotency-Key"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn record_payment(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    headers: HeaderMap,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<PaymentRequest>,
) -> AppResult<(StatusCode, Json<ReceiptView>)> {
    let idem = super::appointments::idempotency_key(&headers)?.map(|key| Idempotency {
        key,
        request_hash: store::token_hash(&format!(
            "{}\n{id}\n{}",
            caller.clinic_id(),
            serde_json::to_string(&b).unwrap_or_default()
        )),
    });
    let t = payments::record_payment(
        &state,
        &ctx,
        &caller,
        BillId::from_uuid(id),
        &b.parts,
        idem.as_ref(),
    )
    .await?;
    let status = if t.replay {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(ReceiptView {
            receipt_id: t.receipt.as_uuid(),
            change_minor: t.change,
            bill: t.detail.into(),
        }),
    ))
}

/// One method's line of a drawer's close-out.
#[derive(Debug, Serialize, ToSchema)]
pub struct DrawerLine {
    /// `cash`, `card` or `upi`.
    pub method: String,
    /// Cash: the float plus cash taken; others: what was taken.
    pub expected_minor: i64,
    pub counted_minor: Option<i64>,
    pub variance_minor: Option<i64>,
}

/// A cash drawer session.
#[derive(Debug, Serialize, ToSchema)]
pub struct CashSessionView {
    pub id: Uuid,
    pub receptionist: String,
    pub opened_at: String,
    pub opening_float_minor: i64,
    pub closed_at: Option<String>,
    pub note: String,
    pub lines: Vec<DrawerLine>,
}

impl From<CloseOut> for CashSessionView {
    fn from(o: CloseOut) -> Self {
        let lines = o
            .lines
            .iter()
            .map(|(m, e, c)| DrawerLine {
                method: m.as_str().into(),
                expected_minor: *e,
                counted_minor: *c,
                variance_minor: o.variance(*m),
            })
            .collect();
        let s = o.session;
        CashSessionView {
            id: s.id.as_uuid(),
            receptionist: s.user_name,
            opened_at: s.opened_at.to_string(),
            opening_float_minor: s.opening_float,
            closed_at: s.closed_at.map(|t| t.to_string()),
            note: s.note,
            lines,
        }
    }
}

/// The float a drawer opens with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDrawerRequest {
    pub opening_float_minor: i64,
}

/// Open the caller's cash drawer; the cash, card and UPI payments they take count towards
/// it until it is closed. One already open is 409.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/cash-sessions", operation_id = "open_cash_session", tag = "billing",
    params(("clinic_id" = Uuid, Path)),
    request_body = OpenDrawerRequest,
    responses((status = 201, body = CashSessionView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn open_cash_session(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiJson(b): ApiJson<OpenDrawerRequest>,
) -> AppResult<(StatusCode, Json<CashSessionView>)> {
    let o = cash::open_drawer(&state, &ctx, &caller, b.opening_float_minor).await?;
    Ok((StatusCode::CREATED, Json(o.into())))
}

/// What was counted at the close, per method.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseDrawerRequest {
    pub counted_cash_minor: i64,
    #[serde(default)]
    pub counted_card_minor: i64,
    #[serde(default)]
    pub counted_upi_minor: i64,
    #[serde(default)]
    #[schema(max_length = 300)]
    pub note: String,
}

/// Close a drawer with what was counted (its receptionist or an admin): the answer shows
/// expected against counted per method and the variance.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/cash-sessions/{cash_session_id}/close", operation_id = "close_cash_session", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("cash_session_id" = Uuid, Path)),
    request_body = CloseDrawerRequest,
    responses((status = 200, body = CashSessionView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn close_cash_session(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<CloseDrawerRequest>,
) -> AppResult<Json<CashSessionView>> {
    let counted = Counted {
        cash: b.counted_cash_minor,
        card: b.counted_card_minor,
        upi: b.counted_upi_minor,
    };
    let o = cash::close_drawer(
        &state,
        &ctx,
        &caller,
        CashSessionId::from_uuid(id),
        counted,
        &b.note,
    )
    .await?;
    Ok(Json(o.into()))
}

/// The report's dates and form.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First local date; default today.
    pub from: Option<String>,
    /// Last local date; default `from`; at most 92 days after it.
    pub to: Option<String>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// What one doctor's bills took by one method.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionCell {
    pub doctor_id: Option<Uuid>,
    pub doctor_name: Option<String>,
    pub method: String,
    pub payments: i64,
    pub amount_minor: i64,
}

/// What the clinic took over a range of days.
#[derive(Debug, Serialize, ToSchema)]
pub struct CollectionView {
    pub from: String,
    pub to: String,
    pub total_minor: i64,
    pub cash_minor: i64,
    pub card_minor: i64,
    pub upi_minor: i64,
    pub online_minor: i64,
    pub cells: Vec<CollectionCell>,
    /// What was taken each local day that took anything.
    pub by_day: Vec<DayTotal>,
    pub sessions: Vec<CashSessionView>,
}

/// One day's takings.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayTotal {
    /// `YYYY-MM-DD`, the clinic's local date.
    pub date: String,
    pub amount_minor: i64,
}

/// The collection report (the billing desk): per doctor and per method, with the drawer
/// sessions opened in the range; `format=csv` downloads it as CSV.
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/reports/collections", operation_id = "get_collection_report", tag = "billing",
    params(("clinic_id" = Uuid, Path), ReportQuery),
    responses((status = 200, body = CollectionView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_collection_report(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> AppResult<Response> {
    let today = crate::app::local_time::date_of(caller.clinic(), state.now());
    let from = date_param("from", &q.from)?.unwrap_or(today);
    let to = date_param("to", &q.to)?.unwrap_or(from);
    let r = cash::collection(&state, &caller, from, to).await?;
    match q.format.as_deref() {
        None | Some("json") => {}
        Some("csv") => {
            let name = format!("attachment; filename=\"collections-{from}-{to}.csv\"");
            return Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                r.csv(),
            )
                .into_response());
        }
        Some(_) => return Err(AppError::field("format", "must be json or csv")),
    }
    let mut sessions = Vec::with_capacity(r.sessions.len());
    for s in &r.sessions {
        sessions.push(
            cash::close_out(state.store().conn(), s.clone())
                .await?
                .into(),
        );
    }
    let view = CollectionView {
        from: from.to_string(),
        to: to.to_string(),
        total_minor: r.total(),
        cash_minor: r.by_method(PaymentMethod::Cash),
        card_minor: r.by_method(PaymentMethod::Card),
        upi_minor: r.by_method(PaymentMethod::Upi),
        online_minor: r.by_method(PaymentMethod::Online),
        cells: r
            .cells
            .into_iter()
            .map(|c| CollectionCell {
                doctor_id: c.doctor_id.map(|d| d.as_uuid()),
                doctor_name: c.doctor_name,
                method: c.method.as_str().into(),
                payments: c.payments,
                amount_minor: c.amount,
            })
            .collect(),
        by_day: r
            .by_day
            .iter()
            .map(|(d, a)| DayTotal {
                date: d.to_string(),
                amount_minor: *a,
            })
            .collect(),
        sessions,
    };
    Ok(Json(view).into_response())
}
