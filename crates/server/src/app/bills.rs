//! Bills: proposed from a visit (the visit type's price, else the doctor's fee) or written
//! from scratch, edited while a draft, issued with the next invoice number of the clinic's
//! financial year, voided with a reason. Every change is audited and issuing and voiding
//! are domain events. Patients read their own issued bills.

use super::{
    billing_settings::{rate_refused, settings_in},
    events,
    local_time::date_of,
    policy::Capability,
    scope::Caller,
};
use crate::{
    auth::{CurrentUser, extract::RequestCtx},
    error::{AppError, AppResult},
    state::AppState,
};
use domain::{
    AppointmentId, BillId, ConsultationId, Event, PatientId,
    billing::{
        self, BillStatus, BillingSettings, Discount, FinancialYear, Line, MAX_LINES, Percent,
    },
    values::bounded_text,
};
use serde_json::json;
use store::{
    Conn, StoreError, audit,
    bills::{self, Bill, BillContent, BillFilter, BillLine, NewBill, PaymentRow},
    invoices::{self, Series},
};

/// One line as typed (the desk's form and the API's body).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LineInput {
    #[schema(max_length = 200)]
    pub description: String,
    /// HSN or SAC code, up to 8 digits.
    #[schema(max_length = 8)]
    pub code: String,
    /// 1 to 10,000.
    pub quantity: u32,
    /// In the currency's minor unit (paise).
    pub unit_price_minor: i64,
    /// One of the clinic's rates, in percent: `18`, `12.5`; empty is 0%.
    #[schema(max_length = 6)]
    pub tax_rate: String,
    /// An amount off this line, in minor units.
    pub discount_minor: i64,
    /// Or a percentage off it.
    #[schema(max_length = 6)]
    pub discount_percent: String,
}

/// A bill's lines, discount and notes as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct BillInput {
    #[schema(max_items = 200)]
    pub items: Vec<LineInput>,
    /// An amount off the whole bill, in minor units.
    pub discount_minor: i64,
    /// Or a percentage off it.
    #[schema(max_length = 6)]
    pub discount_percent: String,
    /// Why there is a discount; required with one.
    #[schema(max_length = 200)]
    pub discount_reason: String,
    #[schema(max_length = 500)]
    pub notes: String,
}

/// What a new bill is for.
#[derive(Debug, Clone, Copy)]
pub enum BillFor {
    Appointment(AppointmentId),
    Consultation(ConsultationId),
    /// A standalone bill (pharmacy, a procedure) of a registered patient.
    Patient(PatientId),
}

/// A bill with its payments.
#[derive(Debug, Clone)]
pub struct BillDetail {
    pub bill: Bill,
    pub payments: Vec<PaymentRow>,
    pub credit_notes: Vec<store::credit_notes::CreditNote>,
}

fn discount_of(field: &str, minor: i64, percent: &str) -> AppResult<Discount> {
    match (minor, percent.trim()) {
        (0, "") => Ok(Discount::None),
        (m, "") if m > 0 => Ok(Discount::Amount(m)),
        (0, p) => Percent::parse(p)
            .map(Discount::Percent)
            .map_err(|e| AppError::field(field, e.message)),
        (m, "") => Err(AppError::field(
            field,
            format!("A discount cannot be negative ({m})."),
        )),
        _ => Err(AppError::field(
            field,
            "Give a discount as an amount or a percentage, not both.",
        )),
    }
}

/// Checks what was typed and computes the bill: lines at the clinic's rates, a reason for
/// any discount, and the desk's discount limit unless the caller may correct bills.
pub(super) fn compose(
    caller: &Caller,
    s: &BillingSettings,
    input: &BillInput,
) -> AppResult<BillContent> {
    if input.items.len() > MAX_LINES {
        return Err(AppError::field(
            "items",
            format!("A bill has at most {MAX_LINES} lines."),
        ));
    }
    let mut lines = Vec::with_capacity(input.items.len());
    let mut domain_lines = Vec::with_capacity(input.items.len());
    for (i, l) in input.items.iter().enumerate() {
        let n = i + 1;
        let at = |e: domain::DomainError| {
            AppError::field("items", format!("Line {n}: {} {}", e.field, e.message))
        };
        let description = bounded_text("description", &l.description, 200, true).map_err(at)?;
        let code = l.code.trim().to_owned();
        if code.len() > 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::field(
                "items",
                format!("Line {n}: an HSN/SAC code is up to 8 digits."),
            ));
        }
        let rate = match l.tax_rate.trim() {
            "" => Percent::ZERO,
            r => Percent::parse(r).map_err(at)?,
        };
        if !s.offers(rate) {
            return Err(rate_refused(n));
        }
        let discount = discount_of("items", l.discount_minor, &l.discount_percent)?;
        domain_lines.push(Line {
            quantity: l.quantity,
            unit_price: l.unit_price_minor,
            tax_rate: rate,
            discount,
        });
        lines.push(BillLine {
            description,
            code,
            quantity: l.quantity,
            unit_price: l.unit_price_minor,
            tax_rate: rate,
            discount,
            amounts: Default::default(),
        });
    }
    let discount = discount_of("discount", input.discount_minor, &input.discount_percent)?;
    let t = billing::totals(&domain_lines, discount, s.rounding)
        .map_err(|e| AppError::field(e.field, e.message))?;
    for (l, amounts) in lines.iter_mut().zip(&t.lines) {
        l.amounts = *amounts;
    }
    let reason = bounded_text("discount_reason", &input.discount_reason, 200, false)
        .map_err(|e| AppError::field(e.field, e.message))?;
    if t.discount > 0 && reason.is_empty() {
        return Err(AppError::field(
            "discount_reason",
            "Say why the bill is discounted.",
        ));
    }
    // The limit's amount, rounded as a discount of that percentage is.
    let limit = (2 * i128::from(t.subtotal) * i128::from(s.desk_discount_limit.hundredths())
        + 10_000)
        / 20_000;
    if i128::from(t.discount) > limit && !caller.can(Capability::CorrectBills) {
        return Err(AppError::field(
            "discount",
            format!(
                "The desk may discount up to {}; a larger discount needs an admin.",
                s.desk_discount_limit
            ),
        ));
    }
    let notes = bounded_text("notes", &input.notes, 500, false)
        .map_err(|e| AppError::field(e.field, e.message))?;
    Ok(BillContent {
        rounding: s.rounding,
        discount,
        discount_reason: reason,
        notes,
        subtotal: t.subtotal,
        discount_total: t.discount,
        tax: t.tax,
        total: t.total,
        lines,
    })
}

/// The visit's consultation line: the visit type's price, or the doctor's fee when the visit
/// type is free of charge or there is none (a walk-in).
async fn visit_line<C: Conn>(
    c: &C,
    caller: &Caller,
    s: &BillingSettings,
    doctor: domain::DoctorId,
    visit_type: Option<domain::VisitTypeId>,
) -> AppResult<LineInput> {
    let clinic = caller.clinic_id();
    let d = store::doctors::find(c, clinic, doctor)
        .await?
        .ok_or(AppError::NotFound)?;
    let vt = match visit_type {
        Some(v) => store::visit_types::find_visit_type(c, clinic, v).await?,
        None => None,
    };
    let (what, price) = match vt {
        Some(v) if v.price_minor > 0 => (v.name, v.price_minor),
        Some(v) => (v.name, d.fee_minor),
        None => ("Consultation".to_owned(), d.fee_minor),
    };
    Ok(LineInput {
        description: format!("{what} with {}", d.name)
            .chars()
            .take(200)
            .collect(),
        quantity: 1,
        unit_price_minor: price,
        tax_rate: s
            .consultation_tax_rate
            .to_string()
            .trim_end_matches('%')
            .into(),
        ..LineInput::default()
    })
}

fn conflict(e: StoreError, message: &str) -> AppError {
    match e {
        StoreError::Conflict(_) => AppError::Conflict(message.into()),
        other => other.into(),
    }
}

async fn log<C: Conn>(
    c: &C,
    ctx: &RequestCtx,
    caller: &Caller,
    action: &str,
    id: BillId,
    detail: serde_json::Value,
    now: jiff::Timestamp,
) -> AppResult<()> {
    audit::append(
        c,
        &caller.actor(ctx),
        audit::Event::new(action, "bill", id)
            .in_clinic(caller.clinic_id())
            .detail(detail),
        now,
    )
    .await?;
    Ok(())
}

fn totals_detail(b: &BillContent) -> serde_json::Value {
    json!({"lines": b.lines.len(), "total": b.total, "discount": b.discount_total,
        "discount_reason": b.discount_reason})
}

/// A bill with its payments, in the caller's transaction.
pub(super) async fn detail<C: Conn>(c: &C, caller: &Caller, id: BillId) -> AppResult<BillDetail> {
    let bill = bills::find(c, caller.clinic_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let payments = bills::payments_of(c, id).await?;
    let credit_notes = store::credit_notes::of_bill(c, id).await?;
    Ok(BillDetail {
        bill,
        payments,
        credit_notes,
    })
}

/// Starts a draft bill for a visit or a patient. For a visit, `input` may be left out to
/// take the proposed consultation line. One live bill per appointment: a second is 409.
pub async fn create_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    what: BillFor,
    input: Option<&BillInput>,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let c = state.store().conn();
    let s = settings_in(c, caller).await?;
    let clinic = caller.clinic_id();
    let (patient, appointment, consultation, doctor, proposed) = match what {
        BillFor::Appointment(a) => {
            let a = store::appointments::find(c, clinic, a)
                .await?
                .ok_or(AppError::NotFound)?;
            let line = visit_line(c, caller, &s, a.doctor_id, Some(a.visit_type_id)).await?;
            (
                a.patient_id,
                Some(a.id),
                None,
                Some(a.doctor_id),
                Some(line),
            )
        }
        BillFor::Consultation(e) => {
            let e = store::consultations::find(c, clinic, e)
                .await?
                .ok_or(AppError::NotFound)?;
            let vt = match e.appointment_id {
                Some(a) => store::appointments::find(c, clinic, a)
                    .await?
                    .map(|a| a.visit_type_id),
                None => None,
            };
            let line = visit_line(c, caller, &s, e.doctor_id, vt).await?;
            (
                e.patient_id,
                e.appointment_id,
                Some(e.id),
                Some(e.doctor_id),
                Some(line),
            )
        }
        BillFor::Patient(p) => {
            store::patients::find(c, clinic, p)
                .await?
                .ok_or(AppError::NotFound)?;
            (p, None, None, None, None)
        }
    };
    let given = input.filter(|i| !i.items.is_empty());
    let content = match (given, proposed) {
        (Some(i), _) => compose(caller, &s, i)?,
        (None, Some(line)) => compose(
            caller,
            &s,
            &BillInput {
                items: vec![line],
                ..input.cloned().unwrap_or_default()
            },
        )?,
        (None, None) => return Err(AppError::field("items", "Add at least one line.")),
    };
    let bill = NewBill {
        id: BillId::new(),
        clinic_id: clinic,
        patient_id: patient,
        appointment_id: appointment,
        encounter_id: consultation,
        doctor_id: doctor,
        currency: caller.clinic().currency.as_str().to_owned(),
        created_by: caller.user_id(),
    };
    let tx = state.store().write().await?;
    bills::insert(&tx, &bill, &content, now)
        .await
        .map_err(|e| conflict(e, "This visit already has a bill; open it instead."))?;
    log(
        &tx,
        ctx,
        caller,
        "bill.create",
        bill.id,
        totals_detail(&content),
        now,
    )
    .await?;
    let d = detail(&tx, caller, bill.id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// The live bill of a visit, or a new draft proposed from it (the desk's "Bill" button).
pub async fn bill_for_visit(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    appointment: AppointmentId,
) -> AppResult<BillId> {
    caller.require(Capability::Billing)?;
    let c = state.store().conn();
    if let Some(id) = bills::of_appointment(c, caller.clinic_id(), appointment).await? {
        return Ok(id);
    }
    match create_bill(state, ctx, caller, BillFor::Appointment(appointment), None).await {
        Ok(d) => Ok(d.bill.id),
        // Someone at the next desk billed it meanwhile: theirs is the bill.
        Err(AppError::Conflict(m)) => bills::of_appointment(c, caller.clinic_id(), appointment)
            .await?
            .ok_or(AppError::Conflict(m)),
        Err(e) => Err(e),
    }
}

/// Rewrites a draft that is still at `version` (409 once someone else changed it).
pub async fn update_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    version: i32,
    input: &BillInput,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let s = settings_in(state.store().conn(), caller).await?;
    let content = compose(caller, &s, input)?;
    let tx = state.store().write().await?;
    let b = detail(&tx, caller, id).await?.bill;
    if !b.status.is_editable() {
        return Err(AppError::Conflict(format!(
            "This bill is {}; only a draft can be changed.",
            b.status.label().to_lowercase()
        )));
    }
    if !bills::update_draft(&tx, caller.clinic_id(), id, version, &content, now).await? {
        return Err(AppError::Conflict(
            "Someone changed this bill meanwhile; reload it and try again.".into(),
        ));
    }
    log(
        &tx,
        ctx,
        caller,
        "bill.update",
        id,
        totals_detail(&content),
        now,
    )
    .await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// Issues a draft at `version`: it takes the next invoice number of the clinic's financial
/// year (drawn in this transaction, so a failed issue leaves no gap) and the clinic's tax
/// id, and is due from now on. A bill of zero is paid at once.
pub async fn issue_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    version: i32,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    let now = state.now();
    let tx = state.store().write().await?;
    let s = settings_in(&tx, caller).await?;
    let b = detail(&tx, caller, id).await?.bill;
    let status = b
        .status
        .issue(b.content.total)
        .map_err(|e| AppError::Conflict(e.message))?;
    let year = FinancialYear::containing(date_of(caller.clinic(), now), s.year_start_month)
        .map_err(|e| AppError::field(e.field, e.message))?;
    let seq = invoices::next_number(&tx, caller.clinic_id(), Series::Invoice, year.start()).await?;
    let number = billing::invoice_number(&s.invoice_prefix, &year, seq)
        .map_err(|e| AppError::Conflict(e.message))?;
    if !bills::issue(
        &tx,
        caller.clinic_id(),
        id,
        version,
        &number,
        &s.tax_id,
        status,
        now,
    )
    .await?
    {
        return Err(AppError::Conflict(
            "Someone changed this bill meanwhile; reload it and try again.".into(),
        ));
    }
    log(
        &tx,
        ctx,
        caller,
        "bill.issue",
        id,
        json!({"number": number, "total": b.content.total}),
        now,
    )
    .await?;
    events::record(
        &tx,
        caller.clinic_id(),
        caller.user_id(),
        Event::BillIssued {
            bill: id,
            patient: b.patient_id,
            number,
            total: b.content.total,
        },
        now,
    )
    .await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// Voids an issued bill nothing was paid on, with a reason (the role the policy names;
/// audited). A bill with payments is corrected by a credit note instead.
pub async fn void_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
    reason: &str,
) -> AppResult<BillDetail> {
    caller.require(Capability::Billing)?;
    if !caller.can(Capability::CorrectBills) {
        return Err(AppError::Forbidden(
            "Only a clinic admin can void a bill.".into(),
        ));
    }
    let reason = bounded_text("reason", reason, 200, true)
        .map_err(|e| AppError::field(e.field, e.message))?;
    let now = state.now();
    let tx = state.store().write().await?;
    let b = detail(&tx, caller, id).await?.bill;
    b.status.void(&reason).map_err(|e| match e.field {
        "reason" => AppError::field("reason", e.message),
        _ => AppError::Conflict(e.message),
    })?;
    if !bills::void(&tx, caller.clinic_id(), id, &reason, now).await? {
        return Err(AppError::Conflict(
            "A payment was taken on this bill meanwhile; it cannot be voided.".into(),
        ));
    }
    log(
        &tx,
        ctx,
        caller,
        "bill.void",
        id,
        json!({"reason": reason}),
        now,
    )
    .await?;
    events::record(
        &tx,
        caller.clinic_id(),
        caller.user_id(),
        Event::BillVoided {
            bill: id,
            patient: b.patient_id,
        },
        now,
    )
    .await?;
    let d = detail(&tx, caller, id).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// One bill: the billing desk, or its patient once it is issued (anyone else: 404).
/// Audited like any record read.
pub async fn get_bill(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
) -> AppResult<BillDetail> {
    let now = state.now();
    let tx = state.store().write().await?;
    let d = detail(&tx, caller, id).await?;
    let own = caller.is_user(d.bill.patient_user_id) && d.bill.status != BillStatus::Draft;
    if !own {
        caller.require(Capability::Billing)?;
    }
    log(&tx, ctx, caller, "bill.read", id, json!({}), now).await?;
    store::commit(tx).await?;
    Ok(d)
}

/// The clinic's bills, newest first (the billing desk).
pub async fn list_bills(
    state: &AppState,
    caller: &Caller,
    filter: &BillFilter,
    limit: u32,
) -> AppResult<Vec<Bill>> {
    caller.require(Capability::Billing)?;
    Ok(bills::list(
        state.store().conn(),
        caller.clinic_id(),
        filter,
        limit.clamp(1, 200),
    )
    .await?)
}

/// The signed-in patient's issued bills from every clinic, newest first (audited).
pub async fn my_bills(
    state: &AppState,
    ctx: &RequestCtx,
    me: &CurrentUser,
) -> AppResult<Vec<Bill>> {
    let now = state.now();
    let tx = state.store().write().await?;
    let list = bills::of_user(&tx, me.id(), 200).await?;
    audit::append(
        &tx,
        &ctx.actor(Some(me.id())),
        audit::Event::new("bill.list", "user", me.id()).detail(json!({"count": list.len()})),
        now,
    )
    .await?;
    store::commit(tx).await?;
    Ok(list)
}

/// E-mails the invoice and its receipt to the patient (the billing desk; audited): to the
/// address on their record, else their account's. Refused when there is none.
pub async fn email_receipt(
    state: &AppState,
    ctx: &RequestCtx,
    caller: &Caller,
    id: BillId,
) -> AppResult<String> {
    caller.require(Capability::Billing)?;
    let c = state.store().conn();
    let d = detail(c, caller, id).await?;
    if matches!(d.bill.status, BillStatus::Draft) {
        return Err(AppError::Conflict(
            "Issue the bill before sending it.".into(),
        ));
    }
    let patient = store::patients::find(c, caller.clinic_id(), d.bill.patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let account = match patient.user_id {
        Some(u) => store::users::find(c, u).await?.map(|u| u.email),
        None => None,
    };
    let to = patient.details.email.clone().or(account).ok_or_else(|| {
        AppError::field(
            "email",
            "The patient has no e-mail address on record; add one first.",
        )
    })?;
    let inv = crate::print::Invoice::of(caller.clinic(), &d);
    let link = format!(
        "{}{}",
        state.settings().public_url,
        crate::routes::bill_print(caller.clinic_id(), id)
    );
    let email = super::mail::Email::text(
        &to,
        format!("{} {} from {}", inv.title, inv.number, inv.clinic),
        inv.email_text(&link),
    );
    let now = state.now();
    let tx = state.store().write().await?;
    super::mail::enqueue(&tx, Some(caller.clinic_id()), &email, now).await?;
    log(&tx, ctx, caller, "bill.email", id, json!({"to": to}), now).await?;
    store::commit(tx).await?;
    Ok(to)
}
