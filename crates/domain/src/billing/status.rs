//! Where a bill stands, and what a payment at the desk does to it: methods, split payments,
//! cash tendered and change due.

use crate::DomainError;

/// A bill's state. Issued bills are never deleted: a mistake is voided (with a reason) or
/// corrected by a credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillStatus {
    /// Being written; lines may change; no invoice number yet.
    Draft,
    /// Has its invoice number; nothing paid yet.
    Issued,
    /// Some of it is paid.
    PartlyPaid,
    /// Paid in full.
    Paid,
    /// Cancelled after issue, with a reason; kept.
    Void,
}

impl BillStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            BillStatus::Draft => "draft",
            BillStatus::Issued => "issued",
            BillStatus::PartlyPaid => "partly_paid",
            BillStatus::Paid => "paid",
            BillStatus::Void => "void",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            BillStatus::Draft => "Draft",
            BillStatus::Issued => "Issued",
            BillStatus::PartlyPaid => "Partly paid",
            BillStatus::Paid => "Paid",
            BillStatus::Void => "Void",
        }
    }

    /// Whether its lines may still change.
    pub fn is_editable(self) -> bool {
        self == BillStatus::Draft
    }

    /// Issuing a draft. A bill of zero (a free visit is billed too) is paid at once.
    pub fn issue(self, total: i64) -> Result<BillStatus, DomainError> {
        match self {
            BillStatus::Draft if total == 0 => Ok(BillStatus::Paid),
            BillStatus::Draft => Ok(BillStatus::Issued),
            other => Err(refused(other, "issued")),
        }
    }

    /// Voiding, with a reason: an issued bill that nothing has been paid on. One with
    /// payments is corrected by a credit note and a refund instead.
    pub fn void(self, reason: &str) -> Result<BillStatus, DomainError> {
        if reason.trim().is_empty() {
            return Err(DomainError::field("reason", "Say why the bill is void."));
        }
        match self {
            BillStatus::Issued => Ok(BillStatus::Void),
            BillStatus::Draft => Err(DomainError::field(
                "status",
                "A draft is deleted, not voided.",
            )),
            other => Err(refused(other, "voided")),
        }
    }

    /// The state once `paid` of `total` is paid (after a payment or a refund).
    pub fn after_payments(self, paid: i64, total: i64) -> Result<BillStatus, DomainError> {
        match self {
            BillStatus::Issued | BillStatus::PartlyPaid | BillStatus::Paid => Ok(match paid {
                p if p <= 0 => BillStatus::Issued,
                p if p < total => BillStatus::PartlyPaid,
                _ => BillStatus::Paid,
            }),
            other => Err(refused(other, "paid")),
        }
    }
}

fn refused(from: BillStatus, what: &str) -> DomainError {
    DomainError::field(
        "status",
        format!("A {} bill cannot be {what}.", from.label().to_lowercase()),
    )
}

/// How money was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    Cash,
    /// A card terminal; its reference is kept.
    Card,
    /// UPI; the UTR is kept.
    Upi,
    /// Through the online payment provider.
    Online,
}

impl PaymentMethod {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Upi => "upi",
            PaymentMethod::Online => "online",
        }
    }

    /// Whether the desk must record the payment's reference (terminal slip, UTR).
    pub fn needs_reference(self) -> bool {
        matches!(self, PaymentMethod::Card | PaymentMethod::Upi)
    }
}

/// One part of a payment at the desk: so much by one method. For cash, `amount` is what
/// was handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub method: PaymentMethod,
    pub amount: i64,
    pub reference: String,
}

/// What a (split) payment settles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// What each part pays towards the bill, in the order given (cash last gives change).
    pub applied: Vec<i64>,
    /// Cash to hand back.
    pub change: i64,
    /// Still due after it.
    pub due: i64,
}

/// Applies a split payment to `due`: non-cash parts apply in full and may not exceed what
/// is due; cash covers the rest, and what cash exceeds it by is change. Refused: no part,
/// a part of zero or less, a card or UPI part without its reference, or non-cash parts
/// above what is due.
pub fn settle(due: i64, parts: &[Payment]) -> Result<Settlement, DomainError> {
    if parts.is_empty() {
        return Err(DomainError::field(
            "payments",
            "Enter how the patient pays.",
        ));
    }
    if due <= 0 {
        return Err(DomainError::field(
            "payments",
            "Nothing is due on this bill.",
        ));
    }
    let mut left = due;
    let mut applied = vec![0; parts.len()];
    for (i, p) in parts.iter().enumerate() {
        if p.amount <= 0 {
            return Err(DomainError::field(
                "payments",
                "Each part must be more than zero.",
            ));
        }
        if p.method.needs_reference() && p.reference.trim().is_empty() {
            return Err(DomainError::field(
                "payments",
                format!("Enter the {} reference.", p.method.as_str().to_uppercase()),
            ));
        }
        if p.method != PaymentMethod::Cash {
            if p.amount > left {
                return Err(DomainError::field(
                    "payments",
                    "Card, UPI and online parts cannot be more than what is due.",
                ));
            }
            applied[i] = p.amount;
            left -= p.amount;
        }
    }
    let mut change = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.method == PaymentMethod::Cash {
            let used = p.amount.min(left);
            applied[i] = used;
            left -= used;
            change += p.amount - used;
        }
    }
    Ok(Settlement {
        applied,
        change,
        due: left,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(method: PaymentMethod, amount: i64) -> Payment {
        Payment {
            method,
            amount,
            reference: "R1".into(),
        }
    }

    #[test]
    fn a_bill_is_issued_paid_in_parts_and_never_deleted() {
        let s = BillStatus::Draft.issue(50_000).unwrap();
        assert_eq!(s, BillStatus::Issued);
        let s = s.after_payments(20_000, 50_000).unwrap();
        assert_eq!(s, BillStatus::PartlyPaid);
        assert_eq!(s.after_payments(50_000, 50_000).unwrap(), BillStatus::Paid);
        assert!(
            s.void("wrong patient").is_err(),
            "paid in part: credit note instead"
        );
        assert_eq!(
            BillStatus::Issued.void("wrong patient").unwrap(),
            BillStatus::Void
        );
        assert!(
            BillStatus::Issued.void(" ").is_err(),
            "a reason is required"
        );
        assert!(BillStatus::Void.after_payments(1, 10).is_err());
        assert!(BillStatus::Paid.issue(1).is_err());
        assert_eq!(BillStatus::Draft.issue(0).unwrap(), BillStatus::Paid);
        assert!(BillStatus::Draft.is_editable() && !BillStatus::Issued.is_editable());
    }

    #[test]
    fn cash_tops_up_a_split_payment_and_gives_change() {
        // INR 750 due: INR 500 by UPI, INR 300 cash handed over → INR 50 change.
        let s = settle(
            75_000,
            &[
                pay(PaymentMethod::Cash, 30_000),
                pay(PaymentMethod::Upi, 50_000),
            ],
        )
        .unwrap();
        assert_eq!(s.applied, [25_000, 50_000]);
        assert_eq!((s.change, s.due), (5_000, 0));
        let part = settle(75_000, &[pay(PaymentMethod::Card, 20_000)]).unwrap();
        assert_eq!((part.change, part.due), (0, 55_000));
    }

    #[test]
    fn bad_payments_are_refused() {
        assert!(settle(100, &[]).is_err());
        assert!(settle(0, &[pay(PaymentMethod::Cash, 1)]).is_err());
        assert!(settle(100, &[pay(PaymentMethod::Cash, 0)]).is_err());
        assert!(settle(100, &[pay(PaymentMethod::Card, 101)]).is_err());
        let mut upi = pay(PaymentMethod::Upi, 50);
        upi.reference = String::new();
        assert!(settle(100, &[upi]).unwrap_err().message.contains("UPI"));
    }
}
