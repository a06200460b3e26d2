//! The clinic the policy matrix runs in: one caller of each kind, signed in, and the ids
//! of one of everything the operations' paths name.

use super::*;

/// A caller kind: the e-mail it signs in with and its access token (none: anonymous).
pub(super) struct Caller {
    pub(super) kind: &'static str,
    pub(super) email: Option<String>,
    pub(super) token: Option<String>,
}

/// Everything the matrix needs: the callers and the ids that fill path parameters.
pub(super) struct Matrix {
    pub(super) w: World,
    pub(super) callers: Vec<Caller>,
    pub(super) ids: BTreeMap<&'static str, String>,
    pub(super) suspended_doctor: String,
}

pub(super) fn ok(r: &Resp, want: StatusCode, what: &str, backend: &str) {
    assert_eq!(r.status, want, "{backend}: {what}: {}", r.text);
}

pub(super) fn id_of(r: &Resp) -> String {
    r.body["id"].as_str().expect("id").to_owned()
}

pub(super) async fn build(app: &TestApp) -> Matrix {
    let b = app.backend;
    let slug = "policy";
    let w = world(app, slug).await;
    let desk_token = desk(app, &w, slug).await;
    let (suspended_doctor, suspended_token) = second_doctor(app, &w, slug).await;
    let r = app
        .post(
            &w.at(&format!("/doctors/{suspended_doctor}/suspend")),
            Some(&w.admin),
            json!({"reason": "policy matrix"}),
        )
        .await;
    ok(&r, StatusCode::OK, "suspend", b);
    // A spare receptionist, for the admin to deactivate.
    let spare = format!("spare@{slug}.test");
    app.join(&w.clinic, &w.admin, &spare, "receptionist", "Spare Desk")
        .await;
    let staff = app.get(&w.at("/staff"), Some(&w.admin)).await;
    ok(&staff, StatusCode::OK, "list staff", b);
    let membership = staff.body["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .find(|m| m["user_email"] == spare.as_str())
        .map(|m| m["id"].as_str().expect("membership id").to_owned())
        .expect("spare membership");
    let patient_b = format!("patb@{slug}.test");
    app.register(&patient_b, "Meera Iyer").await;
    let patient_b_token = app.login(&patient_b).await.0;
    let (_, other_admin) = app
        .clinic_with_admin("policy-other", "admin@policy-other.test")
        .await;
    let platform = app.platform_admin("platform@policy.test").await;

    // Patient A's appointment, which makes their record at the clinic.
    let r = book(app, &w, &w.patient, "2026-11-23T04:30:00Z").await;
    ok(&r, StatusCode::CREATED, "book", b);
    let appointment = id_of(&r);
    let patient = r.body["patient_id"].as_str().expect("patient").to_owned();
    // A token for patient A in the doctor's queue, and a signed consultation with a
    // prescription from it.
    let r = app
        .post(
            &w.at("/queue/tokens"),
            Some(&desk_token),
            json!({"doctor_id": w.doctor, "patient_id": patient}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "issue token", b);
    let token = id_of(&r);
    let status_path = r.body["status_path"].as_str().expect("status path");
    let signature = status_path
        .rsplit('/')
        .next()
        .expect("signature")
        .to_owned();
    let r = app
        .post(
            &w.at(&format!("/queue/tokens/{token}/consultation")),
            Some(&w.doctor_token),
            json!({}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "start consultation", b);
    let consultation = id_of(&r);
    let r = app
        .put(
            &w.at(&format!("/consultations/{consultation}/prescription")),
            Some(&w.doctor_token),
            json!({"items": [rx_item()], "notes": ""}),
        )
        .await;
    ok(&r, StatusCode::OK, "prescription", b);
    let prescription = id_of(&r);
    let r = app
        .get(
            &w.at(&format!("/consultations/{consultation}")),
            Some(&w.doctor_token),
        )
        .await;
    let version = r.body["version"].clone();
    let r = app
        .post(
            &w.at(&format!("/consultations/{consultation}/sign")),
            Some(&w.doctor_token),
            json!({"version": version}),
        )
        .await;
    ok(&r, StatusCode::OK, "sign", b);
    let r = app
        .send(upload(
            &w.at(&format!("/patients/{patient}/documents")),
            &desk_token,
        ))
        .await;
    ok(&r, StatusCode::CREATED, "upload", b);
    let document = id_of(&r);
    // Patient A's visit billed and issued, and the receptionist's open drawer.
    let r = app
        .post(
            &w.at("/bills"),
            Some(&desk_token),
            json!({"appointment_id": appointment}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "bill", b);
    let bill = id_of(&r);
    let r = app
        .post(
            &w.at(&format!("/bills/{bill}/issue")),
            Some(&desk_token),
            json!({"version": r.body["version"]}),
        )
        .await;
    ok(&r, StatusCode::OK, "issue bill", b);
    let r = app
        .post(
            &w.at(&format!("/bills/{bill}/payments")),
            Some(&desk_token),
            json!({"parts": [{"method": "cash", "amount_minor": 100}]}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "pay a little", b);
    let payment = r.body["bill"]["payments"][0]["id"]
        .as_str()
        .expect("payment")
        .to_owned();
    let r = app
        .post(
            &w.at("/cash-sessions"),
            Some(&desk_token),
            json!({"opening_float_minor": 0}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "open drawer", b);
    let cash_session = id_of(&r);
    // A text that failed, for the admins to send again.
    let message = uuid::Uuid::now_v7();
    let c = app.state.store().conn();
    let new = store::messages::NewMessage {
        id: message,
        clinic_id: Some(w.clinic.parse().expect("clinic id")),
        channel: "sms",
        kind: "appointment.booked",
        recipient: "+919812345678",
        body: "policy matrix",
        template: None,
        user: None,
    };
    store::messages::queue(c, &new, app.state.now())
        .await
        .expect("message");
    store::messages::attempted(
        c,
        message,
        store::messages::Status::Failed,
        None,
        Some("policy matrix"),
        app.state.now(),
    )
    .await
    .expect("failed message");
    // A webhook endpoint (on a loopback port nothing listens on) and one delivery to it.
    let r = app
        .post(
            &w.at("/webhooks"),
            Some(&w.admin),
            json!({"url": "https://127.0.0.1:9/hook", "events": ["*"]}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "webhook endpoint", b);
    let endpoint = id_of(&r);
    let r = app
        .post(
            &w.at("/appointments"),
            Some(&patient_b_token),
            json!({"doctor_id": w.doctor, "visit_type_id": w.visit_type,
                "start": "2026-11-23T05:30:00Z"}),
        )
        .await;
    ok(&r, StatusCode::CREATED, "an event for the webhook", b);
    let r = app
        .get(
            &w.at(&format!("/webhooks/{endpoint}/deliveries")),
            Some(&w.admin),
        )
        .await;
    let delivery = r.body[0]["id"].as_str().expect("a delivery").to_owned();

    let ids = BTreeMap::from([
        ("clinic_id", w.clinic.clone()),
        ("doctor_id", w.doctor.clone()),
        ("appointment_id", appointment),
        ("patient_id", patient),
        ("token_id", token),
        ("signature", signature),
        ("consultation_id", consultation),
        ("prescription_id", prescription),
        ("document_id", document),
        ("membership_id", membership),
        ("bill_id", bill),
        ("payment_id", payment),
        ("cash_session_id", cash_session),
        ("message_id", message.to_string()),
        ("endpoint_id", endpoint),
        ("delivery_id", delivery),
        ("provider", "twilio".to_owned()),
    ]);
    let signed_in = |kind, email: String, token: &str| Caller {
        kind,
        email: Some(email),
        token: Some(token.to_owned()),
    };
    let callers = vec![
        Caller {
            kind: "anonymous",
            email: None,
            token: None,
        },
        signed_in("patient_a", format!("pat@{slug}.test"), &w.patient),
        signed_in("patient_b", patient_b, &patient_b_token),
        signed_in("receptionist", format!("desk@{slug}.test"), &desk_token),
        signed_in("doctor", format!("doc@{slug}.test"), &w.doctor_token),
        signed_in(
            "suspended_doctor",
            format!("doc2@{slug}.test"),
            &suspended_token,
        ),
        signed_in("admin", format!("admin@{slug}.test"), &w.admin),
        signed_in(
            "other_admin",
            "admin@policy-other.test".to_owned(),
            &other_admin,
        ),
        signed_in(
            "platform_admin",
            "platform@policy.test".to_owned(),
            &platform,
        ),
    ];
    assert_eq!(
        callers.iter().map(|c| c.kind).collect::<Vec<_>>(),
        CALLERS,
        "callers in the table's order"
    );
    Matrix {
        w,
        callers,
        ids,
        suspended_doctor,
    }
}
