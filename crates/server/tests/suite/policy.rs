//! One authorization model, checked as a generated matrix: every operation of the OpenAPI
//! document × every kind of caller, against the table in `policy.tsv`. A new operation
//! without a row fails the test, and so does a row for an operation that is gone.

use crate::backends::each_backend;
use crate::{
    helpers::{PW, Resp, TestApp},
    world::{World, book, desk, second_doctor, world},
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

mod setup;

use setup::{Matrix, build, id_of, ok};

const TABLE: &str = include_str!("policy.tsv");

/// The caller kinds, in the table's column order.
const CALLERS: [&str; 9] = [
    "anonymous",
    "patient_a",
    "patient_b",
    "receptionist",
    "doctor",
    "suspended_doctor",
    "admin",
    "other_admin",
    "platform_admin",
];

/// Operations that end the caller's session: each call gets a fresh one.
const SESSION_ENDING: [&str; 3] = ["logout", "revoke_session", "change_password"];

/// A start in the past: booking or moving to it passes access control and is then refused
/// by the rules, so the matrix books nothing.
const PAST: &str = "2026-11-20T04:30:00Z";

/// One row of the table: whether each caller kind is allowed (`None` for `-`).
struct Row {
    allowed: Vec<Option<bool>>,
}

fn table() -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    for line in TABLE.lines() {
        if line.trim().is_empty() || line.starts_with('#') || line.starts_with("operation_id\t") {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        assert!(cells.len() > CALLERS.len(), "short row: {line}");
        let allowed = cells[1..=CALLERS.len()]
            .iter()
            .map(|c| match *c {
                "y" => Some(true),
                "n" => Some(false),
                "-" => None,
                other => panic!("policy.tsv: {}: bad cell {other:?}", cells[0]),
            })
            .collect::<Vec<_>>();
        if allowed.contains(&None) {
            assert!(
                cells.get(1 + CALLERS.len()).is_some_and(|c| !c.is_empty()),
                "policy.tsv: {}: a `-` needs a comment saying why",
                cells[0]
            );
        }
        let dup = rows.insert(cells[0].to_owned(), Row { allowed });
        assert!(dup.is_none(), "policy.tsv: {} twice", cells[0]);
    }
    rows
}

/// An operation of the OpenAPI document.
struct Op {
    id: String,
    method: Method,
    path: String,
}

fn operations(doc: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            ops.push(Op {
                id: id.to_owned(),
                method: method.to_uppercase().parse().expect("method"),
                path: path.clone(),
            });
        }
    }
    ops.sort_by(|a, b| a.id.cmp(&b.id));
    ops
}

fn rx_item() -> Value {
    json!({"drug": "Paracetamol", "strength": "500 mg", "form": "tablet", "dose": "1 tablet",
        "frequency": "TDS", "duration": "3 days", "route": "oral", "instructions": "after food"})
}

fn bill_item() -> Value {
    json!({"description": "Dressing", "quantity": 1, "unit_price_minor": 10_000})
}

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const BOUNDARY: &str = "policymatrixboundary";

fn multipart() -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\nreport\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(PDF);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload(path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart()))
        .unwrap()
}

/// A body that gets past deserialization, so a use case's own access check is reached.
/// Handlers that check access in their extractor get `{}` (a 422 past the check).
fn body_for(m: &Matrix, op: &str) -> Value {
    let w = &m.w;
    let patient = &m.ids["patient_id"];
    match op {
        "book_appointment" => {
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type, "start": PAST, "reason": "policy matrix"})
        }
        "reschedule_appointment" => json!({"start": PAST}),
        "cancel_appointment" => json!({"reason": "policy matrix"}),
        "suspend_doctor" => json!({"reason": "policy matrix"}),
        "issue_token" => json!({"doctor_id": w.doctor, "patient_id": patient}),
        "transfer_token" => json!({"doctor_id": w.doctor}),
        "create_patient" => {
            json!({"name": "Policy Walkin", "sex": "female", "birth_date": "1990-01-01", "phone": "9845000001"})
        }
        "update_patient" => json!({"name": "Ravi Kumar", "sex": "male", "phone": "9845000002"}),
        "link_patient_account" => json!({"email": "pat@policy.test"}),
        "save_consultation" => json!({"complaints": "Fever", "bp": "120/80", "pulse": "88",
            "temperature": "101.3", "weight": "62.5", "height": "160", "spo2": "97",
            "examination": "", "diagnosis": "Viral fever", "icd10": "", "advice": "",
            "follow_up_date": "", "version": 1}),
        "sign_consultation" => json!({"version": 1}),
        "add_addendum" => json!({"body": "policy matrix"}),
        "create_prescription" => json!({"items": [rx_item()], "notes": ""}),
        "create_bill" => json!({"patient_id": patient, "items": [bill_item()]}),
        "update_bill" => json!({"version": 1, "items": [bill_item()]}),
        "issue_bill" => json!({"version": 1}),
        "void_bill" => json!({"reason": "policy matrix"}),
        "start_online_payment" => json!({"provider": "stripe"}),
        "create_credit_note" | "refund_payment" => {
            json!({"amount_minor": 1, "reason": "policy matrix"})
        }
        "record_payment" => json!({"parts": [{"method": "cash", "amount_minor": 1}]}),
        "open_cash_session" => json!({"opening_float_minor": 0}),
        "close_cash_session" => json!({"counted_cash_minor": 0}),
        "set_billing_settings" => json!({"invoice_prefix": "INV", "year_start_month": 4,
            "rounding": "line", "tax_rates": "0, 5, 12, 18", "desk_discount_limit": "10"}),
        _ => json!({}),
    }
}

/// The path of `op` with its parameters filled; per-call resources are made here, so that
/// a call that archives, removes or signs out never changes what a later call sees.
async fn path_for(app: &TestApp, m: &Matrix, op: &Op, n: usize, session: Option<&str>) -> String {
    let w = &m.w;
    let mut ids = m.ids.clone();
    match op.id.as_str() {
        "suspend_doctor" => {
            // Suspending the suspended doctor again leaves every caller as it was.
            ids.insert("doctor_id", m.suspended_doctor.clone());
        }
        "delete_webhook_endpoint" => {
            let r = app
                .post(
                    &w.at("/webhooks"),
                    Some(&w.admin),
                    json!({"url": format!("https://127.0.0.1:9/hook{n}"), "events": ["*"]}),
                )
                .await;
            ok(&r, StatusCode::CREATED, "webhook endpoint", app.backend);
            ids.insert("endpoint_id", id_of(&r));
        }
        "archive_visit_type" => {
            let r = app
                .post(
                    &w.at("/visit-types"),
                    Some(&w.doctor_token),
                    json!({"name": format!("Policy visit {n}"), "duration_min": 15, "price_minor": 100}),
                )
                .await;
            ok(&r, StatusCode::CREATED, "visit type", app.backend);
            ids.insert("visit_type_id", id_of(&r));
        }
        "remove_schedule_exception" => {
            let r = app
                .post(
                    &w.at(&format!("/doctors/{}/leave", w.doctor)),
                    Some(&w.doctor_token),
                    json!({"from": format!("2027-01-{:02}", n + 1), "note": "policy matrix"}),
                )
                .await;
            ok(&r, StatusCode::CREATED, "leave", app.backend);
            ids.insert("exception_id", id_of(&r));
        }
        _ => {}
    }
    let session = session.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    ids.insert("session_id", session);
    // Nobody's device: the owner check is tested in push.rs.
    ids.insert("subscription_id", uuid::Uuid::now_v7().to_string());
    let mut path = op.path.clone();
    for (name, value) in &ids {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    assert!(
        !path.contains('{'),
        "{}: no value for a parameter of {path}",
        op.id
    );
    if op.id == "search_patients" {
        path.push_str("?q=ravi");
    }
    path
}

each_backend!(every_operation_answers_every_kind_of_caller_as_the_policy_table_says);
async fn every_operation_answers_every_kind_of_caller_as_the_policy_table_says(app: TestApp) {
    let table = table();

    let b = app.backend;
    let doc = app.get("/api/v1/openapi.json", None).await;
    ok(&doc, StatusCode::OK, "openapi", b);
    let ops = operations(&doc.body);
    let published: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
    let listed: BTreeSet<&str> = table.keys().map(String::as_str).collect();
    let unlisted: Vec<_> = published.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&published).collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "policy.tsv is out of date: operations without a row {unlisted:?}; rows for operations that no longer exist {gone:?}"
    );

    let m = build(&app).await;
    let mut mismatches = Vec::new();
    let mut calls = 0;
    for op in &ops {
        let row = &table[&op.id];
        for (i, caller) in m.callers.iter().enumerate() {
            let Some(expected) = row.allowed[i] else {
                continue;
            };
            calls += 1;
            let (token, session) = match (&caller.email, SESSION_ENDING.contains(&op.id.as_str())) {
                (Some(email), true) => {
                    let r = app.login_with(email, PW).await;
                    ok(&r, StatusCode::OK, "fresh login", b);
                    (
                        r.body["access_token"].as_str().map(str::to_owned),
                        r.body["session_id"].as_str().map(str::to_owned),
                    )
                }
                _ => (caller.token.clone(), None),
            };
            let path = path_for(&app, &m, op, i, session.as_deref()).await;
            let req = if op.id == "upload_document" {
                let mut req = upload(&path, token.as_deref().unwrap_or(""));
                if token.is_none() {
                    req.headers_mut().remove(header::AUTHORIZATION);
                }
                req
            } else {
                let body = (op.method == Method::POST || op.method == Method::PUT)
                    .then(|| body_for(&m, &op.id));
                TestApp::req(op.method.clone(), &path, token.as_deref(), body.as_ref())
            };
            let r = app.send(req).await;
            assert!(
                !r.status.is_server_error(),
                "{b}: {} as {}: {} {}",
                op.id,
                caller.kind,
                r.status,
                r.text
            );
            let allowed = !matches!(r.status.as_u16(), 401 | 403 | 404);
            if allowed != expected {
                mismatches.push(format!(
                    "{:<26} {:<17} {:<8} {:<8} {}",
                    op.id,
                    caller.kind,
                    if expected { "allowed" } else { "refused" },
                    if allowed { "allowed" } else { "refused" },
                    r.status.as_u16()
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{b}: {} of {calls} calls disagree with policy.tsv:\n{:<26} {:<17} {:<8} {:<8} status\n{}",
        mismatches.len(),
        "operation",
        "caller",
        "expected",
        "got",
        mismatches.join("\n")
    );
}
