//! Billing: each clinic's billing settings, bills with their lines, payments at the desk and
//! cash drawer sessions. Amounts are BIGINT minor units of the bill's currency; rates are
//! INTEGER hundredths of a percent.
//!
//! The database holds the money rules that must never break, whatever the code does: a
//! bill is never paid beyond what is due on it (`paid + credited <= total`), a payment is
//! never refunded beyond itself, an issued bill's number is unique in its clinic, a UPI
//! UTR or online payment reference is recorded once, one live bill per appointment and kind
//! (its visit, deposit or fee), and one open drawer per receptionist.

use super::uuid_type;
use sea_orm::DbBackend;

/// The billing tables.
pub fn billing(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE billing_settings (
    clinic_id {uuid} PRIMARY KEY REFERENCES clinics(id),
    tax_id TEXT NOT NULL CHECK (length(tax_id) <= 20),
    invoice_prefix TEXT NOT NULL CHECK (length(invoice_prefix) BETWEEN 1 AND 6),
    year_start_month INTEGER NOT NULL CHECK (year_start_month BETWEEN 1 AND 12),
    rounding TEXT NOT NULL CHECK (rounding IN ('line', 'bill')),
    tax_rates TEXT NOT NULL CHECK (length(tax_rates) <= 100),
    consultation_tax_rate INTEGER NOT NULL CHECK (consultation_tax_rate BETWEEN 0 AND 10000),
    desk_discount_limit INTEGER NOT NULL CHECK (desk_discount_limit BETWEEN 0 AND 10000),
    upi_vpa TEXT NOT NULL CHECK (length(upi_vpa) <= 100),
    upi_payee TEXT NOT NULL CHECK (length(upi_payee) <= 100),
    updated_at BIGINT NOT NULL
);

CREATE TABLE bills (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    patient_id {uuid} NOT NULL REFERENCES patients(id),
    appointment_id {uuid} REFERENCES appointments(id),
    encounter_id {uuid} REFERENCES encounters(id),
    doctor_id {uuid} REFERENCES doctors(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'issued', 'partly_paid', 'paid', 'void')),
    number TEXT CHECK (length(number) <= 16),
    currency TEXT NOT NULL,
    rounding TEXT NOT NULL CHECK (rounding IN ('line', 'bill')),
    discount_kind TEXT NOT NULL CHECK (discount_kind IN ('none', 'amount', 'percent')),
    discount_value BIGINT NOT NULL CHECK (discount_value >= 0),
    discount_reason TEXT NOT NULL,
    subtotal BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL CHECK (total >= 0),
    paid BIGINT NOT NULL CHECK (paid >= 0),
    credited BIGINT NOT NULL CHECK (credited >= 0),
    notes TEXT NOT NULL,
    tax_id TEXT NOT NULL,
    created_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    issued_at BIGINT,
    voided_at BIGINT,
    void_reason TEXT,
    version INTEGER NOT NULL,
    CONSTRAINT bills_not_overpaid CHECK (paid + credited <= total),
    CONSTRAINT bills_number_when_issued CHECK ((number IS NULL) = (status = 'draft')),
    CONSTRAINT bills_number_key UNIQUE (clinic_id, number)
);
CREATE INDEX bills_clinic_idx ON bills (clinic_id, created_at);
CREATE INDEX bills_patient_idx ON bills (patient_id, created_at);
CREATE UNIQUE INDEX bills_appointment_key ON bills (appointment_id)
    WHERE appointment_id IS NOT NULL AND status <> 'void';

CREATE TABLE bill_lines (
    bill_id {uuid} NOT NULL REFERENCES bills(id),
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 200),
    description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    code TEXT NOT NULL CHECK (length(code) <= 8),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price BIGINT NOT NULL CHECK (unit_price >= 0),
    tax_rate INTEGER NOT NULL CHECK (tax_rate BETWEEN 0 AND 10000),
    discount_kind TEXT NOT NULL CHECK (discount_kind IN ('none', 'amount', 'percent')),
    discount_value BIGINT NOT NULL CHECK (discount_value >= 0),
    gross BIGINT NOT NULL,
    discount BIGINT NOT NULL,
    taxable BIGINT NOT NULL,
    tax BIGINT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (bill_id, position)
);

CREATE TABLE cash_sessions (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    user_id {uuid} NOT NULL REFERENCES users(id),
    opened_at BIGINT NOT NULL,
    opening_float BIGINT NOT NULL CHECK (opening_float >= 0),
    closed_at BIGINT,
    counted_cash BIGINT CHECK (counted_cash >= 0),
    counted_card BIGINT CHECK (counted_card >= 0),
    counted_upi BIGINT CHECK (counted_upi >= 0),
    note TEXT NOT NULL
);
CREATE UNIQUE INDEX cash_sessions_open_key ON cash_sessions (clinic_id, user_id)
    WHERE closed_at IS NULL;
CREATE INDEX cash_sessions_clinic_idx ON cash_sessions (clinic_id, opened_at);

CREATE TABLE payments (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    bill_id {uuid} NOT NULL REFERENCES bills(id),
    receipt_id {uuid} NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'upi', 'online')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    tendered BIGINT NOT NULL CHECK (tendered >= amount),
    reference TEXT NOT NULL CHECK (length(reference) <= 64),
    refunded BIGINT NOT NULL CHECK (refunded >= 0),
    cash_session_id {uuid} REFERENCES cash_sessions(id),
    received_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    CONSTRAINT payments_not_overrefunded CHECK (refunded <= amount)
);
CREATE INDEX payments_bill_idx ON payments (bill_id, created_at);
CREATE INDEX payments_clinic_idx ON payments (clinic_id, created_at);
CREATE INDEX payments_receipt_idx ON payments (receipt_id);
CREATE INDEX payments_session_idx ON payments (cash_session_id);
CREATE UNIQUE INDEX payments_reference_key ON payments (clinic_id, method, reference)
    WHERE method IN ('upi', 'online');
"#
    )
}

/// Online payments: each attempt to pay a bill through a provider (a Stripe Checkout
/// Session, a Razorpay Order), and every provider event handled, recorded in the
/// transaction of its effect so a repeated or retried event has none.
pub fn online_payments(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE online_payments (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    bill_id {uuid} NOT NULL REFERENCES bills(id),
    provider TEXT NOT NULL CHECK (provider IN ('stripe', 'razorpay')),
    provider_ref TEXT NOT NULL CHECK (length(provider_ref) BETWEEN 1 AND 255),
    amount BIGINT NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('started', 'paid', 'expired', 'excess')),
    redirect_url TEXT NOT NULL,
    payment_ref TEXT,
    payment_id {uuid} REFERENCES payments(id),
    started_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT online_payments_provider_ref_key UNIQUE (provider, provider_ref)
);
CREATE INDEX online_payments_bill_idx ON online_payments (bill_id, created_at);

CREATE TABLE provider_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
    kind TEXT NOT NULL,
    clinic_id {uuid} REFERENCES clinics(id),
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
"#
    )
}

/// Credit notes: corrections of an issued bill, numbered in their own series, each with
/// the refund it came with (the payment it returns money from).
pub fn credit_notes(backend: DbBackend) -> String {
    let uuid = uuid_type(backend);
    format!(
        r#"
CREATE TABLE credit_notes (
    id {uuid} PRIMARY KEY,
    clinic_id {uuid} NOT NULL REFERENCES clinics(id),
    bill_id {uuid} NOT NULL REFERENCES bills(id),
    number TEXT NOT NULL CHECK (length(number) <= 16),
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    refund_of {uuid} REFERENCES payments(id),
    refund_ref TEXT,
    created_by {uuid} REFERENCES users(id),
    created_at BIGINT NOT NULL,
    CONSTRAINT credit_notes_number_key UNIQUE (clinic_id, number)
);
CREATE INDEX credit_notes_bill_idx ON credit_notes (bill_id, created_at);
"#
    )
}

/// Charges a visit brings by itself: a deposit at booking per visit type, and the clinic's
/// late-cancellation and no-show fees. A bill now has a kind; an appointment has at most
/// one live bill of each kind (its deposit, its visit, its fee).
pub fn visit_charges(_backend: DbBackend) -> String {
    r#"
ALTER TABLE bills ADD COLUMN kind TEXT NOT NULL DEFAULT 'visit'
    CHECK (kind IN ('visit', 'deposit', 'late_cancel', 'no_show'));
DROP INDEX bills_appointment_key;
CREATE UNIQUE INDEX bills_appointment_key ON bills (appointment_id, kind)
    WHERE appointment_id IS NOT NULL AND status <> 'void';
ALTER TABLE visit_types ADD COLUMN deposit_minor BIGINT NOT NULL DEFAULT 0
    CHECK (deposit_minor >= 0);
ALTER TABLE billing_settings ADD COLUMN late_cancel_hours INTEGER NOT NULL DEFAULT 24
    CHECK (late_cancel_hours BETWEEN 0 AND 720);
ALTER TABLE billing_settings ADD COLUMN late_cancel_fee BIGINT NOT NULL DEFAULT 0
    CHECK (late_cancel_fee >= 0);
ALTER TABLE billing_settings ADD COLUMN no_show_fee BIGINT NOT NULL DEFAULT 0
    CHECK (no_show_fee >= 0);
"#
    .to_owned()
}
