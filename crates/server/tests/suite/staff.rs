//! Staff: invitations, staff lists, deactivation, tenancy isolation.

use crate::backends::each_backend;
use crate::helpers::{PW, TestApp};
use axum::http::StatusCode;
use serde_json::json;

each_backend!(an_invited_receptionist_sets_a_password_once_and_joins_the_clinic);
async fn an_invited_receptionist_sets_a_password_once_and_joins_the_clinic(app: TestApp) {
    let (clinic, admin) = app.clinic_with_admin("alpha", "admin@alpha.test").await;
    let r = app
        .invite(&clinic, &admin, "desk@alpha.test", "receptionist")
        .await;
    app.expect(&r, StatusCode::ACCEPTED);
    let token = app
        .link_token_sent_to("desk@alpha.test", "/invite?token=")
        .await;

    let weak = app
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": token, "name": "Desk", "password": "short"}),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = app.accept(&token, "Desk", PW).await;
    assert_eq!(
        ok.status,
        StatusCode::NO_CONTENT,
        "{}: weak attempt did not use up the link: {}",
        app.backend,
        ok.text
    );
    let again = app.accept(&token, "Desk", PW).await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}: single use",
        app.backend
    );

    let (desk, _) = app.login("desk@alpha.test").await;
    let me = app.get("/api/v1/me", Some(&desk)).await;
    assert_eq!(
        me.body["memberships"][0]["role"], "receptionist",
        "{}",
        app.backend
    );
    assert_eq!(me.body["memberships"][0]["clinic_id"], clinic.as_str());

    let staff = app
        .get(&format!("/api/v1/clinics/{clinic}/staff"), Some(&admin))
        .await;
    assert_eq!(staff.status, StatusCode::OK);
    assert_eq!(
        staff.body["staff"].as_array().unwrap().len(),
        2,
        "{}",
        app.backend
    );
    assert!(
        app.audit_count("membership.list").await >= 1,
        "{}: staff reads are audited",
        app.backend
    );
    assert_eq!(
        app.get(&format!("/api/v1/clinics/{clinic}/staff"), Some(&desk))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "{}: receptionists are not admins",
        app.backend
    );
}

each_backend!(invitations_expire_after_seven_days);
async fn invitations_expire_after_seven_days(app: TestApp) {
    let (clinic, admin) = app.clinic_with_admin("beta", "admin@beta.test").await;
    app.invite(&clinic, &admin, "doc@beta.test", "doctor").await;
    let token = app
        .link_token_sent_to("doc@beta.test", "/invite?token=")
        .await;
    app.advance(jiff::SignedDuration::from_hours(24 * 7 + 1));
    let r = app.accept(&token, "Doc", PW).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        app.backend
    );
    assert_eq!(r.body["errors"][0]["field"], "token");
}

each_backend!(
    someone_with_an_account_accepts_with_their_own_password_and_holds_roles_in_two_clinics
);
async fn someone_with_an_account_accepts_with_their_own_password_and_holds_roles_in_two_clinics(
    app: TestApp,
) {
    let (a, admin_a) = app.clinic_with_admin("gamma", "admin@gamma.test").await;
    let (b, admin_b) = app.clinic_with_admin("delta", "admin@delta.test").await;
    app.join(&a, &admin_a, "roam@doc.test", "doctor", "Dr Roam")
        .await;
    app.invite(&b, &admin_b, "roam@doc.test", "doctor").await;
    let t2 = app
        .link_token_sent_to("roam@doc.test", "/invite?token=")
        .await;
    let wrong = app
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": t2, "password": "somebody else's pw"}),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        app.backend
    );
    assert_eq!(wrong.body["errors"][0]["field"], "password");
    let ok = app
        .post(
            "/api/v1/invites/accept",
            None,
            json!({"token": t2, "password": PW}),
        )
        .await;
    app.expect(&ok, StatusCode::NO_CONTENT);
    let (tok, _) = app.login("roam@doc.test").await;
    let me = app.get("/api/v1/me", Some(&tok)).await;
    assert_eq!(
        me.body["memberships"].as_array().unwrap().len(),
        2,
        "{}",
        app.backend
    );
}

each_backend!(a_clinic_a_admin_gets_404_on_clinic_b_exactly_as_on_a_missing_clinic);
async fn a_clinic_a_admin_gets_404_on_clinic_b_exactly_as_on_a_missing_clinic(app: TestApp) {
    let (_a, admin_a) = app.clinic_with_admin("east", "admin@east.test").await;
    let (b, admin_b) = app.clinic_with_admin("west", "admin@west.test").await;
    let staff_b = app
        .get(&format!("/api/v1/clinics/{b}/staff"), Some(&admin_b))
        .await;
    let member_b = staff_b.body["staff"][0]["id"].as_str().unwrap().to_owned();

    let missing = uuid::Uuid::now_v7();
    let probes = [
        app.get(&format!("/api/v1/clinics/{b}/staff"), Some(&admin_a))
            .await,
        app.invite(&b, &admin_a, "x@y.test", "doctor").await,
        app.post(
            &format!("/api/v1/clinics/{b}/staff/{member_b}/deactivate"),
            Some(&admin_a),
            json!({}),
        )
        .await,
    ];
    let absent = app
        .get(&format!("/api/v1/clinics/{missing}/staff"), Some(&admin_a))
        .await;
    for p in &probes {
        app.expect(p, StatusCode::NOT_FOUND);
        assert_eq!(
            p.body["detail"], absent.body["detail"],
            "{}: indistinguishable from a missing clinic",
            app.backend
        );
    }
    assert_eq!(
        app.get("/api/v1/clinics/not-a-uuid/staff", Some(&admin_a))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let still = app
        .get(&format!("/api/v1/clinics/{b}/staff"), Some(&admin_b))
        .await;
    assert_eq!(
        still.body["staff"][0]["is_active"], true,
        "{}: nothing changed in clinic B",
        app.backend
    );
    assert_eq!(
        app.deliver_mail()
            .await
            .iter()
            .filter(|(_, m)| m.contains("x@y.test"))
            .count(),
        0
    );
}

each_backend!(deactivating_staff_ends_their_access_but_never_removes_the_last_admin);
async fn deactivating_staff_ends_their_access_but_never_removes_the_last_admin(app: TestApp) {
    let (clinic, admin) = app.clinic_with_admin("north", "admin@north.test").await;
    app.join(&clinic, &admin, "second@north.test", "admin", "Second")
        .await;
    let (second, _) = app.login("second@north.test").await;

    let staff = app
        .get(&format!("/api/v1/clinics/{clinic}/staff"), Some(&admin))
        .await;
    let id_of = |email: &str| {
        staff.body["staff"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (first_id, second_id) = (id_of("admin@north.test"), id_of("second@north.test"));
    let r = app
        .post(
            &format!("/api/v1/clinics/{clinic}/staff/{second_id}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    app.expect(&r, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/clinics/{clinic}/staff"), Some(&second))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "{}",
        app.backend
    );

    let last = app
        .post(
            &format!("/api/v1/clinics/{clinic}/staff/{first_id}/deactivate"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", app.backend);
    assert_eq!(last.problem(), "conflict");
    assert_eq!(
        app.get(&format!("/api/v1/clinics/{clinic}/staff"), Some(&admin))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.audit_count("membership.deactivate").await,
        1,
        "{}",
        app.backend
    );
}
