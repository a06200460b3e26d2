//! Clinics, invitations, staff lists, tenancy isolation.

use crate::helpers::{PW, TestApp};
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn only_platform_admins_create_clinics_and_bad_input_names_every_field() {
    for app in TestApp::each().await {
        let root = app.platform_admin("root@docspot.test").await;
        app.register("p@example.com", "Patient").await;
        let (patient, _) = app.login("p@example.com").await;
        let body = json!({"name": "Sunrise", "slug": "sunrise", "time_zone": "Asia/Kolkata", "currency": "INR", "admin_email": "boss@sunrise.test"});
        let r = app
            .post("/api/v1/clinics", Some(&patient), body.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", app.backend);
        assert_eq!(
            app.post("/api/v1/clinics", None, body.clone()).await.status,
            StatusCode::UNAUTHORIZED
        );

        let bad = app
            .post("/api/v1/clinics", Some(&root), json!({"name": "", "slug": "-x", "time_zone": "Mars/Base", "currency": "RUPEE", "admin_email": "nope"}))
            .await;
        assert_eq!(
            bad.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        let mut fields: Vec<_> = bad.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            ["admin_email", "currency", "name", "slug", "time_zone"]
        );

        let ok = app.post("/api/v1/clinics", Some(&root), body.clone()).await;
        assert_eq!(
            ok.status,
            StatusCode::CREATED,
            "{}: {}",
            app.backend,
            ok.text
        );
        assert_eq!(ok.body["time_zone"], "Asia/Kolkata");
        let dup = app.post("/api/v1/clinics", Some(&root), body).await;
        assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(dup.body["errors"][0]["field"], "slug");

        let mails = app.deliver_mail().await;
        assert_eq!(
            mails.len(),
            1,
            "{}: one invite; the failed duplicate enqueued nothing",
            app.backend
        );
        assert!(mails[0].1.contains("To: boss@sunrise.test"));
        let list = app.get("/api/v1/clinics", Some(&root)).await;
        assert_eq!(list.body.as_array().unwrap().len(), 1);
        assert_eq!(
            app.get("/api/v1/clinics", Some(&patient))
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            0,
            "{}",
            app.backend
        );
    }
}

#[tokio::test]
async fn an_invited_receptionist_sets_a_password_once_and_joins_the_clinic() {
    for app in TestApp::each().await {
        let (clinic, admin) = app.clinic_with_admin("alpha", "admin@alpha.test").await;
        let r = app
            .post(
                &format!("/api/v1/clinics/{clinic}/invites"),
                Some(&admin),
                json!({"email": "desk@alpha.test", "role": "receptionist"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "{}: {}",
            app.backend,
            r.text
        );
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
        let ok = app
            .post(
                "/api/v1/invites/accept",
                None,
                json!({"token": token, "name": "Desk", "password": PW}),
            )
            .await;
        assert_eq!(
            ok.status,
            StatusCode::NO_CONTENT,
            "{}: weak attempt did not use up the link: {}",
            app.backend,
            ok.text
        );
        let again = app
            .post(
                "/api/v1/invites/accept",
                None,
                json!({"token": token, "name": "Desk", "password": PW}),
            )
            .await;
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
}

#[tokio::test]
async fn invitations_expire_after_seven_days() {
    for app in TestApp::each().await {
        let (clinic, admin) = app.clinic_with_admin("beta", "admin@beta.test").await;
        app.post(
            &format!("/api/v1/clinics/{clinic}/invites"),
            Some(&admin),
            json!({"email": "doc@beta.test", "role": "doctor"}),
        )
        .await;
        let token = app
            .link_token_sent_to("doc@beta.test", "/invite?token=")
            .await;
        app.advance(jiff::SignedDuration::from_hours(24 * 7 + 1));
        let r = app
            .post(
                "/api/v1/invites/accept",
                None,
                json!({"token": token, "name": "Doc", "password": PW}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        assert_eq!(r.body["errors"][0]["field"], "token");
    }
}

#[tokio::test]
async fn someone_with_an_account_accepts_with_their_own_password_and_holds_roles_in_two_clinics() {
    for app in TestApp::each().await {
        let (a, admin_a) = app.clinic_with_admin("gamma", "admin@gamma.test").await;
        let (b, admin_b) = app.clinic_with_admin("delta", "admin@delta.test").await;
        app.post(
            &format!("/api/v1/clinics/{a}/invites"),
            Some(&admin_a),
            json!({"email": "roam@doc.test", "role": "doctor"}),
        )
        .await;
        let t1 = app
            .link_token_sent_to("roam@doc.test", "/invite?token=")
            .await;
        app.post(
            "/api/v1/invites/accept",
            None,
            json!({"token": t1, "name": "Dr Roam", "password": PW}),
        )
        .await;
        app.post(
            &format!("/api/v1/clinics/{b}/invites"),
            Some(&admin_b),
            json!({"email": "roam@doc.test", "role": "doctor"}),
        )
        .await;
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
        assert_eq!(
            ok.status,
            StatusCode::NO_CONTENT,
            "{}: {}",
            app.backend,
            ok.text
        );
        let (tok, _) = app.login("roam@doc.test").await;
        let me = app.get("/api/v1/me", Some(&tok)).await;
        assert_eq!(
            me.body["memberships"].as_array().unwrap().len(),
            2,
            "{}",
            app.backend
        );
    }
}

#[tokio::test]
async fn a_clinic_a_admin_gets_404_on_clinic_b_exactly_as_on_a_missing_clinic() {
    for app in TestApp::each().await {
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
            app.post(
                &format!("/api/v1/clinics/{b}/invites"),
                Some(&admin_a),
                json!({"email": "x@y.test", "role": "doctor"}),
            )
            .await,
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
            assert_eq!(
                p.status,
                StatusCode::NOT_FOUND,
                "{}: {}",
                app.backend,
                p.text
            );
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
}

#[tokio::test]
async fn deactivating_staff_ends_their_access_but_never_removes_the_last_admin() {
    for app in TestApp::each().await {
        let (clinic, admin) = app.clinic_with_admin("north", "admin@north.test").await;
        app.post(
            &format!("/api/v1/clinics/{clinic}/invites"),
            Some(&admin),
            json!({"email": "second@north.test", "role": "admin"}),
        )
        .await;
        let t = app
            .link_token_sent_to("second@north.test", "/invite?token=")
            .await;
        app.post(
            "/api/v1/invites/accept",
            None,
            json!({"token": t, "name": "Second", "password": PW}),
        )
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
        assert_eq!(
            r.status,
            StatusCode::NO_CONTENT,
            "{}: {}",
            app.backend,
            r.text
        );
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
}

#[tokio::test]
async fn a_user_with_roles_in_two_clinics_switches_between_them_and_cannot_switch_into_a_third() {
    use axum::{
        body::Body,
        http::{Method, Request, header},
    };
    for app in TestApp::each().await {
        let (a, admin_a) = app.clinic_with_admin("sw-a", "admin@sw-a.test").await;
        let (b, admin_b) = app.clinic_with_admin("sw-b", "admin@sw-b.test").await;
        let (c, _) = app.clinic_with_admin("sw-c", "admin@sw-c.test").await;
        for (clinic, admin) in [(&a, &admin_a), (&b, &admin_b)] {
            app.post(
                &format!("/api/v1/clinics/{clinic}/invites"),
                Some(admin),
                json!({"email": "two@sw.test", "role": "doctor"}),
            )
            .await;
            let t = app
                .link_token_sent_to("two@sw.test", "/invite?token=")
                .await;
            let r = app
                .post(
                    "/api/v1/invites/accept",
                    None,
                    json!({"token": t, "name": "Dr Two", "password": PW}),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::NO_CONTENT,
                "{}: {}",
                app.backend,
                r.text
            );
        }
        let login = app.login_with("two@sw.test", PW).await;
        let access = login.body["access_token"].as_str().unwrap().to_owned();
        let session: domain::SessionId =
            login.body["session_id"].as_str().unwrap().parse().unwrap();
        let switch = |clinic: &str| {
            Request::builder()
                .method(Method::POST)
                .uri("/switch-clinic")
                .header(header::COOKIE, format!("ds_access={access}"))
                .header("sec-fetch-site", "same-origin")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("clinic_id={clinic}")))
                .unwrap()
        };
        let r = app.send(switch(&b)).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{}: {}",
            app.backend,
            r.text
        );
        let active = |s: Option<store::sessions::Session>| {
            s.and_then(|s| s.active_clinic_id).map(|c| c.to_string())
        };
        assert_eq!(
            active(
                store::sessions::find(app.state.store().conn(), session)
                    .await
                    .unwrap()
            ),
            Some(b.clone()),
            "{}",
            app.backend
        );
        let r = app.send(switch(&c)).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{}: not a member of the third clinic",
            app.backend
        );
        assert_eq!(
            active(
                store::sessions::find(app.state.store().conn(), session)
                    .await
                    .unwrap()
            ),
            Some(b.clone()),
            "{}: unchanged",
            app.backend
        );
        assert_eq!(
            app.audit_count("session.switch_clinic").await,
            1,
            "{}",
            app.backend
        );
    }
}
