//! An issued bill as the desk's screen shows it: its lines and figures, its payments and
//! credit notes, the UPI QR code for what is due, and which corrections the viewer may make.

use super::queue_status::qr_svg;
use crate::app::{bills::BillDetail, local_time::zone_of, policy::Capability, scope::Caller};
use crate::print::{money, totals_of};
use domain::{
    Currency, Money,
    billing::{BillStatus, BillingSettings, upi_link},
};

/// An issued bill's figures and what the desk can do with it.
pub(super) struct Issued {
    pub(super) lines: Vec<Shown>,
    pub(super) totals: Vec<(String, String)>,
    pub(super) payments: Vec<(String, String, String)>,
    pub(super) due: i64,
    pub(super) due_text: String,
    /// The amount due as the cash field starts.
    pub(super) due_input: String,
    pub(super) can_void: bool,
    /// Admins correct: credit notes, and refunds of these payments (id, what).
    pub(super) can_correct: bool,
    pub(super) refundable: Vec<(String, String)>,
    pub(super) credit_notes: Vec<String>,
    pub(super) qr: Option<String>,
    pub(super) upi: Option<String>,
    pub(super) pay_key: String,
}

pub(super) struct Shown {
    pub(super) description: String,
    pub(super) code: String,
    pub(super) quantity: u32,
    pub(super) price: String,
    pub(super) tax: String,
    pub(super) total: String,
}

fn shown(d: &BillDetail) -> Vec<Shown> {
    let c = &d.bill.currency;
    d.bill
        .content
        .lines
        .iter()
        .map(|l| Shown {
            description: l.description.clone(),
            code: l.code.clone(),
            quantity: l.quantity,
            price: money(c, l.unit_price),
            tax: format!("{}", l.tax_rate),
            total: money(c, l.amounts.total),
        })
        .collect()
}

pub(super) fn issued_view(caller: &Caller, s: &BillingSettings, d: &BillDetail) -> Issued {
    let b = &d.bill;
    let c = &b.currency;
    let mut totals = totals_of(b);
    totals.push(("Paid".into(), money(c, b.paid)));
    let due = b.due();
    let currency = Currency::parse(c).ok();
    let due_input = currency
        .as_ref()
        .map(|cur| Money::new(cur, due).major_input())
        .unwrap_or_default();
    let upi = (due > 0 && c == "INR" && !s.upi_vpa.is_empty()).then(|| {
        upi_link(
            &s.upi_vpa,
            &s.upi_payee,
            &currency
                .as_ref()
                .map(|cur| {
                    let m = Money::new(cur, due).major_input();
                    if m.contains('.') {
                        m
                    } else {
                        format!("{m}.00")
                    }
                })
                .unwrap_or_default(),
            b.number.as_deref().unwrap_or_default(),
        )
    });
    let qr = upi
        .as_deref()
        .and_then(|l| qr_svg(l, "UPI QR code to pay this bill"));
    Issued {
        lines: shown(d),
        totals,
        payments: d
            .payments
            .iter()
            .map(|p| {
                let mut what = p.method.as_str().to_uppercase();
                if !p.reference.is_empty() {
                    what.push_str(&format!(" · {}", p.reference));
                }
                (
                    p.created_at
                        .to_zoned(zone_of(caller.clinic()))
                        .strftime("%-d %b %H:%M")
                        .to_string(),
                    what,
                    money(c, p.amount),
                )
            })
            .collect(),
        due,
        due_text: money(c, due),
        due_input,
        can_void: caller.can(Capability::CorrectBills)
            && b.status == BillStatus::Issued
            && b.paid == 0,
        can_correct: caller.can(Capability::CorrectBills) && b.status != BillStatus::Void,
        refundable: d
            .payments
            .iter()
            .filter(|p| p.amount > p.refunded)
            .map(|p| {
                (
                    p.id.to_string(),
                    format!(
                        "{} {} (refundable {})",
                        p.method.as_str().to_uppercase(),
                        p.reference,
                        money(c, p.amount - p.refunded)
                    ),
                )
            })
            .collect(),
        credit_notes: d
            .credit_notes
            .iter()
            .map(|n| crate::print::credit_note_line(n, c))
            .collect(),
        qr,
        upi,
        pay_key: store::new_token(),
    }
}
