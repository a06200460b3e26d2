//! Documents for paper: an invoice with its receipts, as the print page and its PDF show
//! it, written once for the pages and the API.

use crate::app::{bills::BillDetail, local_time::zone_of};
use crate::pdf::{Column, Sheet};
use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use domain::{Currency, Money};
use store::{bills::Bill, clinics::Clinic};

/// Money of the bill's currency, as shown.
pub(super) fn money(currency: &str, minor: i64) -> String {
    match Currency::parse(currency) {
        Ok(c) => Money::new(&c, minor).to_string(),
        Err(_) => format!("{currency} {minor}"),
    }
}

/// A bill's figures as both its screen and its print show them: subtotal, discount with its
/// reason, the tax of each rate with what it was charged on, and the total.
pub(super) fn totals_of(b: &Bill) -> Vec<(String, String)> {
    let c = &b.currency;
    let mut totals = vec![("Subtotal".to_owned(), money(c, b.content.subtotal))];
    if b.content.discount_total > 0 {
        totals.push((
            format!("Discount ({})", b.content.discount_reason),
            format!("− {}", money(c, b.content.discount_total)),
        ));
    }
    let mut rates: Vec<_> = b.content.lines.iter().map(|l| l.tax_rate).collect();
    rates.sort_unstable();
    rates.dedup();
    for r in rates.into_iter().filter(|r| r.hundredths() > 0) {
        let (taxable, tax) = b
            .content
            .lines
            .iter()
            .filter(|l| l.tax_rate == r)
            .fold((0, 0), |(a, t), l| {
                (a + l.amounts.taxable, t + l.amounts.tax)
            });
        totals.push((
            format!("Tax at {r} on {}", money(c, taxable)),
            money(c, tax),
        ));
    }
    totals.push(("Total".into(), money(c, b.content.total)));
    totals
}

/// A credit note as its bill lists it: "Credit note CN/26-27/0001 · Overcharged · INR
/// 100.00 refunded".
pub fn credit_note_line(n: &store::credit_notes::CreditNote, currency: &str) -> String {
    format!(
        "Credit note {} · {} · {}{}",
        n.number,
        n.reason,
        money(currency, n.amount),
        if n.refund_of.is_some() {
            " refunded"
        } else {
            ""
        }
    )
}

/// One line of an invoice, as printed.
pub struct PrintLine {
    pub description: String,
    pub code: String,
    pub quantity: u32,
    pub price: String,
    pub rate: String,
    pub tax: String,
    pub amount: String,
}

/// An invoice with its receipts, every figure as printed.
pub struct Invoice {
    pub clinic: String,
    pub address: String,
    pub phone: String,
    pub tax_id: String,
    pub title: &'static str,
    pub number: String,
    pub date: String,
    pub patient: String,
    pub mrn: String,
    pub doctor: String,
    pub lines: Vec<PrintLine>,
    pub totals: Vec<(String, String)>,
    /// (date, method and reference, amount)
    pub receipts: Vec<(String, String, String)>,
    pub paid: String,
    pub balance: String,
    pub status: &'static str,
    pub void_reason: Option<String>,
    /// "CN/26-27/0001 · Overcharged · INR 100.00"
    pub credit_notes: Vec<String>,
}

impl Invoice {
    /// The invoice of `d`, issued by `clinic`.
    pub fn of(clinic: &Clinic, d: &BillDetail) -> Self {
        let b = &d.bill;
        let c = &b.currency;
        let zone = zone_of(clinic);
        let day = |t: jiff::Timestamp| t.to_zoned(zone.clone()).strftime("%-d %B %Y").to_string();
        Invoice {
            clinic: clinic.name.clone(),
            address: clinic.details.address().to_owned(),
            phone: clinic
                .details
                .phone()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            tax_id: b.tax_id.clone(),
            title: if b.tax_id.is_empty() {
                "Invoice"
            } else {
                "Tax invoice"
            },
            number: b.number.clone().unwrap_or_else(|| "Draft".into()),
            date: day(b.issued_at.unwrap_or(b.created_at)),
            patient: b.patient_name.clone(),
            mrn: b.patient_mrn.clone(),
            doctor: b.doctor_name.clone().unwrap_or_default(),
            lines: b
                .content
                .lines
                .iter()
                .map(|l| PrintLine {
                    description: l.description.clone(),
                    code: l.code.clone(),
                    quantity: l.quantity,
                    price: money(c, l.unit_price),
                    rate: l.tax_rate.to_string(),
                    tax: money(c, l.amounts.tax),
                    amount: money(c, l.amounts.total),
                })
                .collect(),
            totals: totals_of(b),
            receipts: d
                .payments
                .iter()
                .map(|p| {
                    let mut how = p.method.as_str().to_uppercase();
                    if !p.reference.is_empty() {
                        how.push_str(&format!(" ref. {}", p.reference));
                    }
                    (day(p.created_at), how, money(c, p.amount))
                })
                .collect(),
            paid: money(c, b.paid),
            balance: money(c, b.due()),
            status: b.status.label(),
            void_reason: b.void_reason.clone(),
            credit_notes: d
                .credit_notes
                .iter()
                .map(|n| {
                    format!(
                        "Credit note {} · {} · {}{}",
                        n.number,
                        n.reason,
                        money(c, n.amount),
                        if n.refund_of.is_some() {
                            " refunded"
                        } else {
                            ""
                        }
                    )
                })
                .collect(),
        }
    }

    /// The invoice as a PDF.
    pub fn pdf(&self) -> Vec<u8> {
        let mut s = Sheet::new();
        s.title(&self.clinic);
        for l in [&self.address, &self.phone] {
            if !l.is_empty() {
                s.text(l);
            }
        }
        if !self.tax_id.is_empty() {
            s.text(&format!("GSTIN / Tax id: {}", self.tax_id));
        }
        s.gap();
        s.title(&format!("{} {}", self.title, self.number));
        if let Some(r) = &self.void_reason {
            s.bold(&format!("VOID: {r}"));
        }
        s.text(&format!("Date: {}", self.date));
        s.text(&format!("Patient: {} · MRN {}", self.patient, self.mrn));
        if !self.doctor.is_empty() {
            s.text(&format!("Doctor: {}", self.doctor));
        }
        s.gap();
        let cols = [
            Column { x: 0.0, chars: 38 },
            Column { x: 200.0, chars: 8 },
            Column { x: 245.0, chars: 5 },
            Column {
                x: 275.0,
                chars: 15,
            },
            Column { x: 355.0, chars: 7 },
            Column {
                x: 395.0,
                chars: 14,
            },
        ];
        s.row(
            &cols,
            &["Item", "HSN/SAC", "Qty", "Unit price", "Tax", "Amount"],
            true,
        );
        s.rule();
        for l in &self.lines {
            let q = l.quantity.to_string();
            s.row(
                &cols,
                &[&l.description, &l.code, &q, &l.price, &l.rate, &l.amount],
                false,
            );
        }
        s.rule();
        let two = [
            Column { x: 0.0, chars: 60 },
            Column {
                x: 395.0,
                chars: 20,
            },
        ];
        for (label, amount) in &self.totals {
            s.row(&two, &[label, amount], label == "Total");
        }
        s.gap();
        s.title("Receipt");
        if self.receipts.is_empty() {
            s.text("No payment yet.");
        }
        for (when, how, amount) in &self.receipts {
            s.row(&two, &[&format!("{when} · {how}"), amount], false);
        }
        for n in &self.credit_notes {
            s.text(n);
        }
        s.rule();
        s.row(&two, &["Paid", &self.paid], false);
        s.row(&two, &["Balance due", &self.balance], true);
        s.row(&two, &["Status", self.status], false);
        s.finish(&format!(
            "{} {} · {}",
            self.title, self.number, self.patient
        ))
    }
}

/// `bytes` as a PDF download named `name`.
pub fn pdf_download(name: &str, bytes: Vec<u8>) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}.pdf\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The invoice of `d` as a PDF download, named by its number.
pub fn invoice_download(clinic: &Clinic, d: &BillDetail) -> Response {
    let inv = Invoice::of(clinic, d);
    pdf_download(&format!("invoice-{}", inv.number), inv.pdf())
}

/// A prescription as a PDF: clinic, doctor and registration, patient, date, diagnosis, the
/// medicines, notes, advice, follow-up and the signature line.
pub fn prescription_pdf(
    p: &store::consultations::Prescription,
    patient_line: &str,
    date: &str,
) -> Vec<u8> {
    let mut s = Sheet::new();
    s.title(&p.clinic_name);
    let mut doctor = p.doctor_name.clone();
    if !p.doctor_registration.is_empty() {
        doctor.push_str(&format!(" · Reg. no. {}", p.doctor_registration));
    }
    s.text(&doctor);
    if p.signed_at.is_none() {
        s.bold("Draft: not valid until the doctor signs the consultation.");
    }
    s.rule();
    s.bold(&p.patient_name);
    s.text(patient_line);
    s.text(&format!("Date: {date}"));
    if !p.diagnosis.is_empty() {
        s.text(&format!("Diagnosis: {}", p.diagnosis));
    }
    s.gap();
    s.title("Rx");
    let cols = [
        Column { x: 0.0, chars: 4 },
        Column { x: 20.0, chars: 30 },
        Column {
            x: 180.0,
            chars: 14,
        },
        Column {
            x: 255.0,
            chars: 12,
        },
        Column {
            x: 320.0,
            chars: 10,
        },
        Column {
            x: 375.0,
            chars: 26,
        },
    ];
    s.row(
        &cols,
        &["#", "Medicine", "Dose", "How often", "For", "Instructions"],
        true,
    );
    s.rule();
    for (i, m) in p.items.iter().enumerate() {
        let n = (i + 1).to_string();
        let name = [&m.drug, &m.strength, &m.form]
            .iter()
            .filter(|x| !x.is_empty())
            .map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let how = [&m.route, &m.instructions]
            .iter()
            .filter(|x| !x.is_empty())
            .map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        s.row(
            &cols,
            &[&n, &name, &m.dose, &m.frequency, &m.duration, &how],
            false,
        );
    }
    s.rule();
    for (label, text) in [("", &p.notes), ("Advice: ", &p.advice)] {
        if !text.is_empty() {
            s.text(&format!("{label}{text}"));
        }
    }
    if let Some(f) = &p.follow_up_date {
        s.text(&format!("Follow-up: {f}"));
    }
    s.gap();
    s.gap();
    s.text("Signature ______________________");
    s.text(&p.doctor_name);
    s.finish(&format!("Prescription · {} · {date}", p.patient_name))
}

impl Invoice {
    /// The invoice and receipt as the text of an e-mail, ending with where to open it.
    pub fn email_text(&self, link: &str) -> String {
        let mut t = format!(
            "{}\n{} {} · {}\nPatient: {} · MRN {}\n",
            self.clinic, self.title, self.number, self.date, self.patient, self.mrn
        );
        if !self.tax_id.is_empty() {
            t.push_str(&format!("GSTIN / Tax id: {}\n", self.tax_id));
        }
        t.push('\n');
        for l in &self.lines {
            t.push_str(&format!(
                "{} × {} @ {} (tax {}): {}\n",
                l.quantity, l.description, l.price, l.rate, l.amount
            ));
        }
        t.push('\n');
        for (label, amount) in &self.totals {
            t.push_str(&format!("{label}: {amount}\n"));
        }
        t.push_str("\nReceipt\n");
        for (when, how, amount) in &self.receipts {
            t.push_str(&format!("{when} · {how} · {amount}\n"));
        }
        for n in &self.credit_notes {
            t.push_str(&format!("{n}\n"));
        }
        t.push_str(&format!(
            "Paid: {}\nBalance due: {}\n\nOpen, print or download it: {link}\n",
            self.paid, self.balance
        ));
        t
    }
}
