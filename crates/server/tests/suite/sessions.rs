//! Sessions: token rotation and reuse, expiry, logout, listing and revoking.

use crate::backends::each_backend;
use crate::helpers::TestApp;
use axum::http::StatusCode;
use serde_json::json;

each_backend!(refresh_rotates_and_reusing_a_spent_refresh_token_revokes_the_family);
async fn refresh_rotates_and_reusing_a_spent_refresh_token_revokes_the_family(app: TestApp) {
    app.register("c@example.com", "C").await;
    let (access1, refresh1) = app.login("c@example.com").await;

    let r = app.refresh(&refresh1).await;
    assert_eq!(r.status, StatusCode::OK, "{}: {}", app.backend, r.text);
    let access2 = r.body["access_token"].as_str().unwrap().to_owned();
    let refresh2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    assert_eq!(app.me_status(&access2).await, StatusCode::OK);
    assert_eq!(
        app.me_status(&access1).await,
        StatusCode::UNAUTHORIZED,
        "{}: old access replaced",
        app.backend
    );

    // An attacker replays the first refresh token: the whole family dies.
    let replay = app.refresh(&refresh1).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", app.backend);
    assert_eq!(replay.problem(), "unauthorized");
    assert_eq!(
        app.me_status(&access2).await,
        StatusCode::UNAUTHORIZED,
        "{}: family revoked",
        app.backend
    );
    let r = app.refresh(&refresh2).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "{}: newest refresh token revoked too",
        app.backend
    );
}

each_backend!(logout_kills_the_access_token_at_once);
async fn logout_kills_the_access_token_at_once(app: TestApp) {
    app.register("d@example.com", "D").await;
    let (access, refresh) = app.login("d@example.com").await;
    assert_eq!(
        app.post("/api/v1/auth/logout", Some(&access), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.me_status(&access).await,
        StatusCode::UNAUTHORIZED,
        "{}",
        app.backend
    );
    let r = app.refresh(&refresh).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", app.backend);
}

each_backend!(access_tokens_expire_after_fifteen_minutes_and_refresh_renews_them);
async fn access_tokens_expire_after_fifteen_minutes_and_refresh_renews_them(app: TestApp) {
    app.register("e@example.com", "E").await;
    let (access, refresh) = app.login("e@example.com").await;
    app.advance(jiff::SignedDuration::from_mins(14));
    assert_eq!(app.me_status(&access).await, StatusCode::OK);
    app.advance(jiff::SignedDuration::from_mins(2));
    assert_eq!(
        app.me_status(&access).await,
        StatusCode::UNAUTHORIZED,
        "{}",
        app.backend
    );
    let r = app.refresh(&refresh).await;
    assert_eq!(r.status, StatusCode::OK, "{}", app.backend);
    assert_eq!(
        app.me_status(r.body["access_token"].as_str().unwrap())
            .await,
        StatusCode::OK
    );
}

each_backend!(users_list_and_revoke_their_own_sessions_only);
async fn users_list_and_revoke_their_own_sessions_only(app: TestApp) {
    app.register("f@example.com", "F").await;
    app.register("g@example.com", "G").await;
    let (phone, _) = app.login("f@example.com").await;
    let (laptop, _) = app.login("f@example.com").await;
    let (other, _) = app.login("g@example.com").await;

    let list = app.get("/api/v1/me/sessions", Some(&laptop)).await;
    assert_eq!(list.status, StatusCode::OK);
    let sessions = list.body.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{}", app.backend);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let g_sessions = app.get("/api/v1/me/sessions", Some(&other)).await;
    let g_id = g_sessions.body[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .delete(&format!("/api/v1/me/sessions/{g_id}"), Some(&laptop))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "{}: another user's session reads as missing",
        app.backend
    );
    assert_eq!(app.me_status(&other).await, StatusCode::OK);

    assert_eq!(
        app.delete(&format!("/api/v1/me/sessions/{phone_id}"), Some(&laptop))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.me_status(&phone).await,
        StatusCode::UNAUTHORIZED,
        "{}",
        app.backend
    );
    assert_eq!(app.me_status(&laptop).await, StatusCode::OK);
    assert_eq!(
        app.delete("/api/v1/me/sessions/not-a-uuid", Some(&laptop))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
