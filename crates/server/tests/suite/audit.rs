//! Audit events from the API and `docspot audit verify` on the real binary.

use crate::backends::each_backend;
use crate::helpers::{self, TestApp};

each_backend!(writes_are_audited_with_actor_request_id_and_ip);
async fn writes_are_audited_with_actor_request_id_and_ip(app: TestApp) {
    let r = app.register("aud@example.com", "Aud").await;
    let rid = r.headers["x-request-id"].to_str().unwrap().to_owned();
    let events = store::audit::recent(app.state.store().conn(), None, 10)
        .await
        .unwrap();
    let reg = events
        .iter()
        .find(|e| e.action == "user.register")
        .expect("register audited");
    assert_eq!(reg.request_id, rid, "{}", app.backend);
    assert_eq!(reg.ip, "10.0.0.1", "{}", app.backend);
    assert_eq!(
        reg.actor_user_id.map(|u| u.to_string()),
        r.body["id"].as_str().map(str::to_owned)
    );
    assert_eq!(reg.hash.len(), 64);
}

/// `docspot ARGS` on the SQLite database in `data_dir`.
fn docspot(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    helpers::docspot(
        args,
        &[("DOCSPOT_DATA_DIR", &data_dir.display().to_string())],
        None,
    )
}

#[tokio::test]
async fn audit_verify_passes_then_names_an_edited_and_a_deleted_row() {
    let dir = std::env::temp_dir().join(format!("docspot-cli-{}", uuid::Uuid::now_v7().simple()));
    let out = docspot(&dir, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let data_dir = dir.display().to_string();
    let created = helpers::docspot(
        &["user", "create-admin", "--email", "root@cli.test"],
        &[("DOCSPOT_DATA_DIR", &data_dir)],
        Some(
            "a long enough admin password
",
        ),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let url = format!("sqlite://{}/docspot.db?mode=rwc", dir.display());
    let store = store::Store::connect(&store::DbConfig {
        url,
        max_connections: 1,
    })
    .await
    .unwrap();
    let state = docspot_server::state::AppState::new(
        store.clone(),
        std::sync::Arc::new(domain::SystemClock),
        docspot_server::state::Settings::from_args(
            &docspot_server::config::ServeArgs::defaults(),
            "",
            dir.clone(),
        ),
    );
    for i in 0..3 {
        docspot_server::app::accounts::create_platform_admin(
            &state,
            &format!("extra{i}@cli.test"),
            "Extra",
            "another long password",
        )
        .await
        .unwrap();
    }
    let ok = docspot(&dir, &["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        String::from_utf8_lossy(&ok.stdout).contains("4 events verified"),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    store
        .execute_unprepared(
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
        )
        .await
        .unwrap();
    store
        .execute_unprepared("UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 2")
        .await
        .unwrap();
    let edited = docspot(&dir, &["audit", "verify"]);
    assert!(!edited.status.success());
    let msg = String::from_utf8_lossy(&edited.stderr);
    assert!(msg.contains("event #2") && msg.contains("altered"), "{msg}");

    store
        .execute_unprepared("UPDATE audit_events SET ip = 'local' WHERE seq = 2")
        .await
        .unwrap();
    assert!(
        docspot(&dir, &["audit", "verify"]).status.success(),
        "restored row verifies again"
    );
    store
        .execute_unprepared("DELETE FROM audit_events WHERE seq = 3")
        .await
        .unwrap();
    let deleted = docspot(&dir, &["audit", "verify"]);
    assert!(!deleted.status.success());
    let msg = String::from_utf8_lossy(&deleted.stderr);
    assert!(msg.contains("event #3") && msg.contains("missing"), "{msg}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn create_admin_refuses_a_weak_password_and_prints_no_secret() {
    let dir = std::env::temp_dir().join(format!("docspot-cli-{}", uuid::Uuid::now_v7().simple()));
    let data_dir = dir.display().to_string();
    let out = helpers::docspot(
        &["user", "create-admin", "--email", "weak@cli.test"],
        &[("DOCSPOT_DATA_DIR", &data_dir)],
        Some(
            "password123
",
        ),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("password"), "{err}");
    assert!(
        !err.contains("password123"),
        "the password is never echoed: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
