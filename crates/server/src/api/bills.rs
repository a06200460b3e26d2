//! Bills and the billing settings: written and issued by the billing desk, voided by an
//! admin, read by their patient. Amounts are integers in the currency's minor unit.

use super::consultations::Pair;
use super::extract::{ApiJson, ApiPath, ApiQuery, date_param};
use crate::app::scope::Caller;
use crate::{
    app::{
        bills::{self, BillDetail, BillFor, BillInput, LineInput},
        local_time::zone_of,
    },
    auth::{CurrentUser, RequestCtx},
    error::{AppError, AppResult, Problem},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use domain::{AppointmentId, BillId, ConsultationId, PatientId, billing::BillStatus};
use serde::{Deserialize, Serialize};
use store::{
    bills::{Bill, BillFilter},
    payments::PaymentRow,
};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One line of a bill, as billed and as computed.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillLineView {
    pub description: String,
    pub code: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
    /// In percent: `18`, `12.5`.
    pub tax_rate: String,
    pub gross_minor: i64,
    /// The line's own discount and its share of the bill's.
    pub discount_minor: i64,
    pub taxable_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
}

/// A payment towards a bill.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    /// The receipt it was taken on; the parts of one split payment share it.
    pub receipt_id: Uuid,
    /// `cash`, `card`, `upi` or `online`.
    pub method: String,
    pub amount_minor: i64,
    /// What was handed over (cash: amount plus change).
    pub tendered_minor: i64,
    pub reference: String,
    pub refunded_minor: i64,
    pub received_by: Option<String>,
    pub created_at: String,
}

impl From<PaymentRow> for PaymentView {
    fn from(p: PaymentRow) -> Self {
        PaymentView {
            id: p.id.as_uuid(),
            receipt_id: p.receipt_id.as_uuid(),
            method: p.method.as_str().into(),
            amount_minor: p.amount,
            tendered_minor: p.tendered,
            reference: p.reference,
            refunded_minor: p.refunded,
            received_by: p.received_by_name,
            created_at: p.created_at.to_string(),
        }
    }
}

/// A bill. `number` is set once it is issued.
#[derive(Debug, Serialize, ToSchema)]
pub struct BillView {
    pub id: Uuid,
    pub number: Option<String>,
    /// `draft`, `issued`, `partly_paid`, `paid` or `void`.
    pub status: String,
    /// What it bills: `visit` (a visit or a standalone bill), `deposit` (paid ahead at
    /// booking), `late_cancel` or `no_show` (the clinic's fees).
    pub kind: String,
    pub patient_id: Uuid,
    pub patient_name: String,
    pub patient_mrn: String,
    pub appointment_id: Option<Uuid>,
    pub consultation_id: Option<Uuid>,
    pub doctor_id: Option<Uuid>,
    pub doctor_name: Option<String>,
    pub currency: String,
    /// The clinic's tax id when the bill was issued.
    pub tax_id: String,
    /// Lines are empty in lists; a single bill has them.
    pub items: Vec<BillLineView>,
    pub discount_reason: String,
    pub notes: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub paid_minor: i64,
    pub credited_minor: i64,
    pub due_minor: i64,
    pub payments: Vec<PaymentView>,
    /// Corrections, with the refunds they came with.
    pub credit_notes: Vec<CreditNoteView>,
    pub created_at: String,
    pub issued_at: Option<String>,
    pub voided_at: Option<String>,
    pub void_reason: Option<String>,
    /// Send it back with an edit or an issue.
    pub version: i32,
}

/// A credit note on a bill.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditNoteView {
    pub id: Uuid,
    /// `CN/26-27/0001`.
    pub number: String,
    pub amount_minor: i64,
    pub reason: String,
    /// The payment its money was returned from, if any.
    pub refund_of: Option<Uuid>,
    /// The provider's refund id, for an online payment.
    pub refund_ref: Option<String>,
    pub created_at: String,
}

impl BillView {
    fn of(b: Bill, payments: Vec<PaymentRow>) -> Self {
        let due = b.due();
        BillView {
            id: b.id.as_uuid(),
            number: b.number,
            status: b.status.as_str().into(),
            kind: b.kind.as_str().into(),
            patient_id: b.patient_id.as_uuid(),
            patient_name: b.patient_name,
            patient_mrn: b.patient_mrn,
            appointment_id: b.appointment_id.map(|a| a.as_uuid()),
            consultation_id: b.encounter_id.map(|e| e.as_uuid()),
            doctor_id: b.doctor_id.map(|d| d.as_uuid()),
            doctor_name: b.doctor_name,
            currency: b.currency,
            tax_id: b.tax_id,
            items: b
                .content
                .lines
                .into_iter()
                .map(|l| BillLineView {
                    description: l.description,
                    code: l.code,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price,
                    tax_rate: l.tax_rate.to_string().trim_end_matches('%').into(),
                    gross_minor: l.amounts.gross,
                    discount_minor: l.amounts.discount,
                    taxable_minor: l.amounts.taxable,
                    tax_minor: l.amounts.tax,
                    total_minor: l.amounts.total,
                })
                .collect(),
            discount_reason: b.content.discount_reason,
            notes: b.content.notes,
            subtotal_minor: b.content.subtotal,
            discount_minor: b.content.discount_total,
            tax_minor: b.content.tax,
            total_minor: b.content.total,
            paid_minor: b.paid,
            credited_minor: b.credited,
            due_minor: due,
            payments: payments.into_iter().map(Into::into).collect(),
            credit_notes: Vec::new(),
            created_at: b.created_at.to_string(),
            issued_at: b.issued_at.map(|t| t.to_string()),
            voided_at: b.voided_at.map(|t| t.to_string()),
            void_reason: b.void_reason,
            version: b.version,
        }
    }
}

impl From<BillDetail> for BillView {
    fn from(d: BillDetail) -> Self {
        let mut v = BillView::of(d.bill, d.payments);
        v.credit_notes = d
            .credit_notes
            .into_iter()
            .map(|n| CreditNoteView {
                id: n.id,
                number: n.number,
                amount_minor: n.amount,
                reason: n.reason,
                refund_of: n.refund_of.map(|p| p.as_uuid()),
                refund_ref: n.refund_ref,
                created_at: n.created_at.to_string(),
            })
            .collect();
        v
    }
}

/// A new bill: for an appointment, a consultation or a patient (exactly one). For a visit,
/// leave `items` empty to take the proposed consultation line.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBillRequest {
    pub appointment_id: Option<Uuid>,
    pub consultation_id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    #[serde(default)]
    #[schema(max_items = 200)]
    pub items: Vec<LineInput>,
    /// An amount off the whole bill, in minor units.
    #[serde(default)]
    pub discount_minor: i64,
    /// Or a percentage off it.
    #[serde(default)]
    #[schema(max_length = 6)]
    pub discount_percent: String,
    /// Why there is a discount; required with one.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub discount_reason: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub notes: String,
}

/// Start a draft bill (the billing desk). One live bill per appointment: a second is 409.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills", operation_id = "create_bill", tag = "billing",
    params(("clinic_id" = Uuid, Path)),
    request_body = CreateBillRequest,
    responses((status = 201, body = BillView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_bill(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiJson(b): ApiJson<CreateBillRequest>,
) -> AppResult<(StatusCode, Json<BillView>)> {
    let what = match (b.appointment_id, b.consultation_id, b.patient_id) {
        (Some(a), None, None) => BillFor::Appointment(AppointmentId::from_uuid(a)),
        (None, Some(e), None) => BillFor::Consultation(ConsultationId::from_uuid(e)),
        (None, None, Some(p)) => BillFor::Patient(PatientId::from_uuid(p)),
        _ => {
            return Err(AppError::field(
                "appointment_id",
                "Give exactly one of appointment_id, consultation_id and patient_id.",
            ));
        }
    };
    let input = BillInput {
        items: b.items,
        discount_minor: b.discount_minor,
        discount_percent: b.discount_percent,
        discount_reason: b.discount_reason,
        notes: b.notes,
    };
    let d = bills::create_bill(&state, &ctx, &caller, what, Some(&input)).await?;
    Ok((StatusCode::CREATED, Json(d.into())))
}

/// One bill: the billing desk, or its patient once issued (audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}", operation_id = "get_bill", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    responses((status = 200, body = BillView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_bill(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
) -> AppResult<Json<BillView>> {
    let d = bills::get_bill(&state, &ctx, &caller, BillId::from_uuid(id)).await?;
    Ok(Json(d.into()))
}

/// A draft's new content, with the version it was read at.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBillRequest {
    pub version: i32,
    #[schema(max_items = 200)]
    pub items: Vec<LineInput>,
    #[serde(default)]
    pub discount_minor: i64,
    #[serde(default)]
    #[schema(max_length = 6)]
    pub discount_percent: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub discount_reason: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub notes: String,
}

/// Rewrite a draft bill (the billing desk); 409 once it is issued or someone else changed it.
#[utoipa::path(put, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}", operation_id = "update_bill", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    request_body = UpdateBillRequest,
    responses((status = 200, body = BillView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn update_bill(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<UpdateBillRequest>,
) -> AppResult<Json<BillView>> {
    let id = BillId::from_uuid(id);
    let input = BillInput {
        items: b.items,
        discount_minor: b.discount_minor,
        discount_percent: b.discount_percent,
        discount_reason: b.discount_reason,
        notes: b.notes,
    };
    let d = bills::update_bill(&state, &ctx, &caller, id, b.version, &input).await?;
    Ok(Json(d.into()))
}

/// The version a bill was read at.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    pub version: i32,
}

/// Issue a draft: it gets the next invoice number of the clinic's financial year.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/issue", operation_id = "issue_bill", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    request_body = IssueRequest,
    responses((status = 200, body = BillView), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn issue_bill(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<IssueRequest>,
) -> AppResult<Json<BillView>> {
    let d = bills::issue_bill(&state, &ctx, &caller, BillId::from_uuid(id), b.version).await?;
    Ok(Json(d.into()))
}

/// Why a bill is voided.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidRequest {
    #[schema(max_length = 200)]
    pub reason: String,
}

/// Void an issued bill nothing was paid on (a clinic admin); it is kept, marked void.
#[utoipa::path(post, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/void", operation_id = "void_bill", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    request_body = VoidRequest,
    responses((status = 200, body = BillView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn void_bill(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
    ApiJson(b): ApiJson<VoidRequest>,
) -> AppResult<Json<BillView>> {
    let d = bills::void_bill(&state, &ctx, &caller, BillId::from_uuid(id), &b.reason).await?;
    Ok(Json(d.into()))
}

/// Bill list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BillQuery {
    pub patient_id: Option<Uuid>,
    /// `draft`, `issued`, `partly_paid`, `paid` or `void`.
    pub status: Option<String>,
    /// Only bills with something due.
    pub unpaid: Option<bool>,
    /// First local date created.
    pub from: Option<String>,
    /// Last local date created.
    pub to: Option<String>,
    /// At most 200; default 50.
    pub limit: Option<u32>,
}

fn status_of(raw: &str) -> AppResult<BillStatus> {
    [
        BillStatus::Draft,
        BillStatus::Issued,
        BillStatus::PartlyPaid,
        BillStatus::Paid,
        BillStatus::Void,
    ]
    .into_iter()
    .find(|s| s.as_str() == raw)
    .ok_or_else(|| AppError::field("status", "must be draft, issued, partly_paid, paid or void"))
}

/// The clinic's bills, newest first, without their lines (the billing desk).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/bills", operation_id = "list_bills", tag = "billing",
    params(("clinic_id" = Uuid, Path), BillQuery),
    responses((status = 200, body = Vec<BillView>), (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_bills(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<BillQuery>,
) -> AppResult<Json<Vec<BillView>>> {
    let zone = zone_of(caller.clinic());
    let at = |d: jiff::civil::Date| {
        d.to_zoned(zone.clone())
            .map(|z| z.timestamp())
            .map_err(|_| AppError::field("from", "is outside the calendar"))
    };
    let from = date_param("from", &q.from)?.map(at).transpose()?;
    let to = match date_param("to", &q.to)? {
        Some(d) => Some(at(d
            .tomorrow()
            .map_err(|_| AppError::field("to", "is outside the calendar"))?)?),
        None => None,
    };
    let filter = BillFilter {
        patient: q.patient_id.map(PatientId::from_uuid),
        status: q.status.as_deref().map(status_of).transpose()?,
        from,
        to,
        unpaid: q.unpaid.unwrap_or(false),
    };
    let list = bills::list_bills(&state, &caller, &filter, q.limit.unwrap_or(50)).await?;
    Ok(Json(
        list.into_iter().map(|b| BillView::of(b, vec![])).collect(),
    ))
}

/// The signed-in patient's issued bills from every clinic, newest first (audited).
#[utoipa::path(get, path = "/api/v1/me/bills", operation_id = "list_my_bills", tag = "me",
    responses((status = 200, body = Vec<BillView>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_my_bills(
    State(state): State<AppState>,
    ctx: RequestCtx,
    me: CurrentUser,
) -> AppResult<Json<Vec<BillView>>> {
    let list = bills::my_bills(&state, &ctx, &me).await?;
    Ok(Json(
        list.into_iter().map(|b| BillView::of(b, vec![])).collect(),
    ))
}

/// The invoice and its receipts as a PDF: the billing desk, or the bill's patient once it is
/// issued (audited).
#[utoipa::path(get, path = "/api/v1/clinics/{clinic_id}/bills/{bill_id}/pdf", operation_id = "download_bill_pdf", tag = "billing",
    params(("clinic_id" = Uuid, Path), ("bill_id" = Uuid, Path)),
    responses((status = 200, description = "The invoice as PDF, an attachment", content_type = "application/pdf"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn download_bill_pdf(
    State(state): State<AppState>,
    ctx: RequestCtx,
    caller: Caller,
    ApiPath((_, id)): Pair,
) -> AppResult<axum::response::Response> {
    let d = bills::get_bill(&state, &ctx, &caller, BillId::from_uuid(id)).await?;
    Ok(crate::print::invoice_download(caller.clinic(), &d))
}
