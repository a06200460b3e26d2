//! Bills, their lines and payments, and each clinic's billing settings. The amounts stored
//! are the ones `domain::billing::totals` computed; the database's checks keep a bill from
//! being paid beyond what is due, whatever writes race (see `schema/billing.rs`).

pub use crate::bill_lists::{BillFilter, list, of_user};
use crate::{StoreError, StoreResult, all_as, exec, get, ms, one_as, ts};
use domain::{
    AppointmentId, BillId, ClinicId, ConsultationId, DoctorId, PatientId, UserId,
    billing::{BillKind, BillStatus, Discount, LineTotal, Percent, Rounding},
};
use jiff::Timestamp;
use sea_orm::{ConnectionTrait, QueryResult, Value};

fn corrupt(e: domain::DomainError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn percent(r: &QueryResult, col: &str) -> StoreResult<Percent> {
    let h: i32 = get(r, col)?;
    u16::try_from(h)
        .map_err(|_| StoreError::Corrupt(format!("{col}: {h}")))
        .and_then(|h| Percent::from_hundredths(h).map_err(corrupt))
}

fn discount(r: &QueryResult) -> StoreResult<Discount> {
    Discount::from_parts(
        &get::<String>(r, "discount_kind")?,
        get(r, "discount_value")?,
    )
    .map_err(corrupt)
}

/// One line of a bill, as billed and as computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub description: String,
    /// HSN or SAC code; empty when none.
    pub code: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub tax_rate: Percent,
    pub discount: Discount,
    pub amounts: LineTotal,
}

/// What a bill's header says and its totals, as written on create and on each draft edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillContent {
    pub rounding: Rounding,
    pub discount: Discount,
    pub discount_reason: String,
    pub notes: String,
    pub subtotal: i64,
    pub discount_total: i64,
    pub tax: i64,
    pub total: i64,
    pub lines: Vec<BillLine>,
}

/// A bill, with its patient's and doctor's names and its lines.
#[derive(Debug, Clone)]
pub struct Bill {
    pub id: BillId,
    pub clinic_id: ClinicId,
    pub patient_id: PatientId,
    pub patient_name: String,
    pub patient_mrn: String,
    pub patient_user_id: Option<UserId>,
    pub appointment_id: Option<AppointmentId>,
    pub encounter_id: Option<ConsultationId>,
    pub doctor_id: Option<DoctorId>,
    pub doctor_name: Option<String>,
    pub kind: BillKind,
    pub status: BillStatus,
    /// The invoice number, once issued.
    pub number: Option<String>,
    pub currency: String,
    /// The clinic's tax id when it was issued.
    pub tax_id: String,
    pub content: BillContent,
    pub paid: i64,
    pub credited: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub issued_at: Option<Timestamp>,
    pub voided_at: Option<Timestamp>,
    pub void_reason: Option<String>,
    pub version: i32,
}

impl Bill {
    /// What is still to be paid.
    pub fn due(&self) -> i64 {
        match self.status {
            BillStatus::Draft | BillStatus::Void => 0,
            _ => self.content.total - self.paid - self.credited,
        }
    }
}

pub(crate) const BILL_SELECT: &str = "SELECT b.*, p.name AS patient_name, p.mrn AS patient_mrn, \
    p.user_id AS patient_user_id, d.name AS doctor_name \
    FROM bills b JOIN patients p ON p.id = b.patient_id \
    LEFT JOIN doctors d ON d.id = b.doctor_id";

fn status(raw: &str) -> StoreResult<BillStatus> {
    [
        BillStatus::Draft,
        BillStatus::Issued,
        BillStatus::PartlyPaid,
        BillStatus::Paid,
        BillStatus::Void,
    ]
    .into_iter()
    .find(|s| s.as_str() == raw)
    .ok_or_else(|| StoreError::Corrupt(format!("bill status {raw}")))
}

fn opt_ts(r: &QueryResult, col: &str) -> StoreResult<Option<Timestamp>> {
    get::<Option<i64>>(r, col)?.map(ts).transpose()
}

pub(crate) fn bill_row(r: &QueryResult) -> StoreResult<Bill> {
    let uuid = |col| get::<Option<uuid::Uuid>>(r, col);
    Ok(Bill {
        id: BillId::from_uuid(get(r, "id")?),
        clinic_id: ClinicId::from_uuid(get(r, "clinic_id")?),
        patient_id: PatientId::from_uuid(get(r, "patient_id")?),
        patient_name: get(r, "patient_name")?,
        patient_mrn: get(r, "patient_mrn")?,
        patient_user_id: uuid("patient_user_id")?.map(UserId::from_uuid),
        appointment_id: uuid("appointment_id")?.map(AppointmentId::from_uuid),
        encounter_id: uuid("encounter_id")?.map(ConsultationId::from_uuid),
        doctor_id: uuid("doctor_id")?.map(DoctorId::from_uuid),
        doctor_name: get(r, "doctor_name")?,
        kind: BillKind::parse(&get::<String>(r, "kind")?)
            .ok_or_else(|| StoreError::Corrupt("bill kind".into()))?,
        status: status(&get::<String>(r, "status")?)?,
        number: get(r, "number")?,
        currency: get(r, "currency")?,
        tax_id: get(r, "tax_id")?,
        content: BillContent {
            rounding: Rounding::parse(&get::<String>(r, "rounding")?).map_err(corrupt)?,
            discount: discount(r)?,
            discount_reason: get(r, "discount_reason")?,
            notes: get(r, "notes")?,
            subtotal: get(r, "subtotal")?,
            discount_total: get(r, "discount")?,
            tax: get(r, "tax")?,
            total: get(r, "total")?,
            lines: Vec::new(),
        },
        paid: get(r, "paid")?,
        credited: get(r, "credited")?,
        created_at: ts(get(r, "created_at")?)?,
        updated_at: ts(get(r, "updated_at")?)?,
        issued_at: opt_ts(r, "issued_at")?,
        voided_at: opt_ts(r, "voided_at")?,
        void_reason: get(r, "void_reason")?,
        version: get(r, "version")?,
    })
}

fn line_row(r: &QueryResult) -> StoreResult<BillLine> {
    Ok(BillLine {
        description: get(r, "description")?,
        code: get(r, "code")?,
        quantity: u32::try_from(get::<i32>(r, "quantity")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        unit_price: get(r, "unit_price")?,
        tax_rate: percent(r, "tax_rate")?,
        discount: discount(r)?,
        amounts: LineTotal {
            gross: get(r, "gross")?,
            discount: get(r, "discount")?,
            taxable: get(r, "taxable")?,
            tax: get(r, "tax")?,
            total: get(r, "total")?,
        },
    })
}

/// Who and what a new bill is for.
#[derive(Debug, Clone)]
pub struct NewBill {
    pub id: BillId,
    pub clinic_id: ClinicId,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    pub encounter_id: Option<ConsultationId>,
    pub doctor_id: Option<DoctorId>,
    pub kind: BillKind,
    pub currency: String,
    pub created_by: Option<UserId>,
}

async fn write_lines<C: ConnectionTrait>(
    c: &C,
    bill: BillId,
    lines: &[BillLine],
) -> StoreResult<()> {
    exec(
        c,
        "DELETE FROM bill_lines WHERE bill_id = $1",
        vec![bill.as_uuid().into()],
    )
    .await?;
    for (i, l) in lines.iter().enumerate() {
        let (kind, value) = l.discount.parts();
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        exec(
            c,
            "INSERT INTO bill_lines (bill_id, position, description, code, quantity, \
             unit_price, tax_rate, discount_kind, discount_value, gross, discount, taxable, \
             tax, total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            vec![
                bill.as_uuid().into(),
                position.into(),
                l.description.clone().into(),
                l.code.clone().into(),
                i32::try_from(l.quantity).unwrap_or(i32::MAX).into(),
                l.unit_price.into(),
                i32::from(l.tax_rate.hundredths()).into(),
                kind.into(),
                value.into(),
                l.amounts.gross.into(),
                l.amounts.discount.into(),
                l.amounts.taxable.into(),
                l.amounts.tax.into(),
                l.amounts.total.into(),
            ],
        )
        .await?;
    }
    Ok(())
}

fn content_values(b: &BillContent) -> Vec<Value> {
    let (kind, value) = b.discount.parts();
    vec![
        b.rounding.as_str().into(),
        kind.into(),
        value.into(),
        b.discount_reason.clone().into(),
        b.subtotal.into(),
        b.discount_total.into(),
        b.tax.into(),
        b.total.into(),
        b.notes.clone().into(),
    ]
}

/// Writes a new draft bill. A second live bill of one kind for one appointment is
/// `Conflict("bills_appointment_key")`.
pub async fn insert<C: ConnectionTrait>(
    c: &C,
    b: &NewBill,
    content: &BillContent,
    now: Timestamp,
) -> StoreResult<()> {
    let mut values = vec![
        b.id.as_uuid().into(),
        b.clinic_id.as_uuid().into(),
        b.patient_id.as_uuid().into(),
        b.appointment_id.map(|a| a.as_uuid()).into(),
        b.encounter_id.map(|e| e.as_uuid()).into(),
        b.doctor_id.map(|d| d.as_uuid()).into(),
        b.currency.clone().into(),
        b.created_by.map(|u| u.as_uuid()).into(),
        ms(now).into(),
    ];
    values.extend(content_values(content));
    values.push(b.kind.as_str().into());
    exec(
        c,
        "INSERT INTO bills (id, clinic_id, patient_id, appointment_id, encounter_id, doctor_id, \
         currency, created_by, created_at, updated_at, status, number, tax_id, paid, credited, \
         version, rounding, discount_kind, discount_value, discount_reason, subtotal, discount, \
         tax, total, notes, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 'draft', NULL, \
         '', 0, 0, 1, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
        values,
    )
    .await?;
    write_lines(c, b.id, &content.lines).await
}

/// Replaces a draft's content if it is still at `version`; false when it moved on (edited
/// or issued meanwhile).
pub async fn update_draft<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: BillId,
    version: i32,
    content: &BillContent,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut values = content_values(content);
    values.extend([
        ms(now).into(),
        clinic.as_uuid().into(),
        id.as_uuid().into(),
        version.into(),
    ]);
    let n = exec(
        c,
        "UPDATE bills SET rounding = $1, discount_kind = $2, discount_value = $3, \
         discount_reason = $4, subtotal = $5, discount = $6, tax = $7, total = $8, notes = $9, \
         updated_at = $10, version = version + 1 \
         WHERE clinic_id = $11 AND id = $12 AND version = $13 AND status = 'draft'",
        values,
    )
    .await?;
    if n == 1 {
        write_lines(c, id, &content.lines).await?;
    }
    Ok(n == 1)
}

/// Gives a draft at `version` its number and status; false when it moved on.
#[allow(clippy::too_many_arguments)]
pub async fn issue<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: BillId,
    version: i32,
    number: &str,
    tax_id: &str,
    status: BillStatus,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE bills SET number = $1, tax_id = $2, status = $3, issued_at = $4, \
         updated_at = $4, version = version + 1 \
         WHERE clinic_id = $5 AND id = $6 AND version = $7 AND status = 'draft'",
        vec![
            number.into(),
            tax_id.into(),
            status.as_str().into(),
            ms(now).into(),
            clinic.as_uuid().into(),
            id.as_uuid().into(),
            version.into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Voids an issued bill nothing has been paid on; false when that no longer holds.
pub async fn void<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: BillId,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "UPDATE bills SET status = 'void', void_reason = $1, voided_at = $2, updated_at = $2, \
         version = version + 1 \
         WHERE clinic_id = $3 AND id = $4 AND status = 'issued' AND paid = 0",
        vec![
            reason.into(),
            ms(now).into(),
            clinic.as_uuid().into(),
            id.as_uuid().into(),
        ],
    )
    .await?;
    Ok(n == 1)
}

/// Deletes a draft (it never had a number); false when it is no longer a draft.
pub async fn delete_draft<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: BillId,
) -> StoreResult<bool> {
    let n = exec(
        c,
        "DELETE FROM bills WHERE clinic_id = $1 AND id = $2 AND status = 'draft' \
         AND NOT EXISTS (SELECT 1 FROM payments WHERE bill_id = $2)",
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
    )
    .await?;
    if n == 1 {
        exec(
            c,
            "DELETE FROM bill_lines WHERE bill_id = $1",
            vec![id.as_uuid().into()],
        )
        .await?;
    }
    Ok(n == 1)
}

/// One bill of `clinic`, with its lines.
pub async fn find<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    id: BillId,
) -> StoreResult<Option<Bill>> {
    let bill = one_as(
        c,
        &format!("{BILL_SELECT} WHERE b.clinic_id = $1 AND b.id = $2"),
        vec![clinic.as_uuid().into(), id.as_uuid().into()],
        bill_row,
    )
    .await?;
    let Some(mut bill) = bill else {
        return Ok(None);
    };
    bill.content.lines = all_as(
        c,
        "SELECT * FROM bill_lines WHERE bill_id = $1 ORDER BY position",
        vec![id.as_uuid().into()],
        line_row,
    )
    .await?;
    Ok(Some(bill))
}

/// The live (not void) bill of `kind` of an appointment, if any.
pub async fn of_appointment<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    appointment: AppointmentId,
    kind: BillKind,
) -> StoreResult<Option<BillId>> {
    one_as(
        c,
        "SELECT id FROM bills WHERE clinic_id = $1 AND appointment_id = $2 AND kind = $3 \
         AND status <> 'void'",
        vec![
            clinic.as_uuid().into(),
            appointment.as_uuid().into(),
            kind.as_str().into(),
        ],
        |r| Ok(BillId::from_uuid(get(r, "id")?)),
    )
    .await
}

/// Moves the live bills of `kind` of an appointment to the one that replaced it (a
/// rescheduled visit keeps its deposit); how many moved.
pub async fn move_to<C: ConnectionTrait>(
    c: &C,
    clinic: ClinicId,
    from: AppointmentId,
    to: AppointmentId,
    kind: BillKind,
    now: Timestamp,
) -> StoreResult<u64> {
    exec(
        c,
        "UPDATE bills SET appointment_id = $1, updated_at = $2, version = version + 1 \
         WHERE clinic_id = $3 AND appointment_id = $4 AND kind = $5 AND status <> 'void'",
        vec![
            to.as_uuid().into(),
            ms(now).into(),
            clinic.as_uuid().into(),
            from.as_uuid().into(),
            kind.as_str().into(),
        ],
    )
    .await
}
