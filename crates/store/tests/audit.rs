//! The audit log's hash chains: appends from many writers, a clinic's chains, and `verify`
//! naming what was altered or removed. On SQLite always, on PostgreSQL when
//! DOCSPOT_TEST_DATABASE_URL is set.

use docspot_store as store;
use store::{audit, clinics, each_db, testing::TestDb};

fn t(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
}

/// Three events of one request id, so one chain holds them as its events 1, 2 and 3.
async fn audit_three(db: &TestDb) -> clinics::Clinic {
    let clinic = db.clinic().await;
    for (i, action) in ["a.one", "a.two", "a.three"].iter().enumerate() {
        let tx = db.store.write().await.unwrap();
        audit::append(
            &tx,
            &audit::Actor {
                user: None,
                request_id: "req-three".into(),
                ip: "127.0.0.1".into(),
            },
            audit::Event {
                clinic: Some(clinic.id),
                action,
                target_type: "thing",
                target_id: i.to_string(),
                detail: serde_json::json!({"i": i}),
            },
            t(2_000 + i as i64),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    clinic
}

each_db!(audit_chain_verifies_when_untouched);
async fn audit_chain_verifies_when_untouched(db: TestDb) {
    audit_three(&db).await;
    let v = audit::verify(db.store.conn()).await.unwrap();
    assert_eq!(v, audit::Verdict::Intact(3), "{}", db.backend);
}

each_db!(the_database_refuses_update_and_delete_of_audit_events);
async fn the_database_refuses_update_and_delete_of_audit_events(db: TestDb) {
    audit_three(&db).await;
    let upd = db
        .store
        .execute_unprepared("UPDATE audit_events SET action = 'forged'")
        .await;
    assert!(upd.is_err(), "{}: UPDATE must be refused", db.backend);
    let del = db
        .store
        .execute_unprepared("DELETE FROM audit_events")
        .await;
    assert!(del.is_err(), "{}: DELETE must be refused", db.backend);
    assert_eq!(
        audit::verify(db.store.conn()).await.unwrap(),
        audit::Verdict::Intact(3),
        "{}",
        db.backend
    );
}

async fn drop_guards(db: &TestDb) {
    let sql = if db.backend == "postgres" {
        "DROP TRIGGER audit_events_no_update ON audit_events; DROP TRIGGER audit_events_no_truncate ON audit_events;"
    } else {
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;"
    };
    db.store.execute_unprepared(sql).await.unwrap();
}

/// Three events, the guards dropped, `tamper` run: what `verify` says is broken (seq,
/// event, reason).
async fn broken_after(db: &TestDb, tamper: &str) -> (i64, Option<uuid::Uuid>, String) {
    audit_three(db).await;
    drop_guards(db).await;
    db.store.execute_unprepared(tamper).await.unwrap();
    match audit::verify(db.store.conn()).await.unwrap() {
        audit::Verdict::Broken {
            seq,
            event_id,
            reason,
            ..
        } => (seq, event_id, reason),
        other => panic!("{}: expected broken, got {other:?}", db.backend),
    }
}

each_db!(verify_names_an_edited_event);
async fn verify_names_an_edited_event(db: TestDb) {
    let (seq, event_id, reason) = broken_after(
        &db,
        "UPDATE audit_events SET target_id = 'tampered' WHERE seq = 2",
    )
    .await;
    assert_eq!(seq, 2, "{}", db.backend);
    assert!(event_id.is_some(), "{}", db.backend);
    assert!(reason.contains("altered"), "{}: {reason}", db.backend);
}

each_db!(verify_names_a_deleted_event_in_the_middle);
async fn verify_names_a_deleted_event_in_the_middle(db: TestDb) {
    let (seq, _, reason) = broken_after(&db, "DELETE FROM audit_events WHERE seq = 2").await;
    assert_eq!(seq, 2, "{}", db.backend);
    assert!(reason.contains("missing"), "{}: {reason}", db.backend);
}

each_db!(verify_names_a_deleted_event_at_the_end);
async fn verify_names_a_deleted_event_at_the_end(db: TestDb) {
    let (seq, _, reason) = broken_after(&db, "DELETE FROM audit_events WHERE seq = 3").await;
    assert_eq!(seq, 3, "{}", db.backend);
    assert!(reason.contains("removed"), "{}: {reason}", db.backend);
}

each_db!(concurrent_appends_keep_one_unbroken_chain);
async fn concurrent_appends_keep_one_unbroken_chain(db: TestDb) {
    let clinic = audit_three(&db).await;
    append_at_once(&db, clinic.id, "race", 20, |_| String::new()).await;
    assert_eq!(
        audit::verify(db.store.conn()).await.unwrap(),
        audit::Verdict::Intact(23),
        "{}",
        db.backend
    );
}

async fn rows(c: &sea_orm::DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    use sea_orm::ConnectionTrait;
    c.query_all_raw(sea_orm::Statement::from_string(
        c.get_database_backend(),
        sql,
    ))
    .await
    .unwrap()
}

/// `n` events `action` of one clinic, appended at once by `n` writers, the `i`th as part of
/// request `request(i)`; their target is `i`.
async fn append_at_once(
    db: &TestDb,
    clinic: domain::ClinicId,
    action: &'static str,
    n: i64,
    request: fn(i64) -> String,
) {
    let mut tasks = Vec::new();
    for i in 0..n {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let tx = store.write().await.unwrap();
            let actor = audit::Actor {
                user: None,
                request_id: request(i),
                ip: "127.0.0.1".into(),
            };
            let event = audit::Event::new(action, "t", i).in_clinic(clinic);
            audit::append(&tx, &actor, event, t(5_000 + i))
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

each_db!(a_clinics_requests_spread_over_its_chains_and_verify_walks_them_all);
async fn a_clinics_requests_spread_over_its_chains_and_verify_walks_them_all(db: TestDb) {
    let clinic = audit_three(&db).await;
    append_at_once(&db, clinic.id, "spread", 40, |i| format!("request-{i}")).await;
    let c = db.store.conn();
    let chains: Vec<String> = rows(
        c,
        "SELECT DISTINCT chain FROM audit_events WHERE action = 'spread'",
    )
    .await
    .iter()
    .map(|r| r.try_get("", "chain").unwrap())
    .collect();
    assert!(chains.len() > 4, "{}: {chains:?}", db.backend);
    assert!(
        chains.iter().all(|ch| ch.len() <= 36 + 3
            && ch.starts_with(&clinic.id.to_string())
            && (ch.len() == 36
                || ch.split_once('/').is_some_and(|(_, n)| n
                    .parse::<u64>()
                    .is_ok_and(|n| (1..audit::SHARDS).contains(&n))))),
        "{}: {chains:?}",
        db.backend
    );
    assert_eq!(
        audit::verify(c).await.unwrap(),
        audit::Verdict::Intact(43),
        "{}",
        db.backend
    );
    // The clinic's log reads as one, newest first, across its chains.
    let recent = audit::recent(c, Some(clinic.id), 100).await.unwrap();
    assert_eq!(recent.len(), 43, "{}", db.backend);
    assert!(
        recent.windows(2).all(|w| w[0].at >= w[1].at),
        "{}",
        db.backend
    );
    assert_eq!(recent[0].target_id, "39", "{}", db.backend);

    // An event removed from the middle of a chain other than the first is found.
    let (chain, seq): (String, i64) = {
        let found = rows(
            c,
            "SELECT chain, MAX(seq) AS seq FROM audit_events WHERE chain LIKE '%/%' \
             GROUP BY chain HAVING MAX(seq) >= 2 ORDER BY chain LIMIT 1",
        )
        .await;
        let r = found
            .first()
            .expect("a chain past the first holds two events");
        (
            r.try_get("", "chain").unwrap(),
            r.try_get("", "seq").unwrap(),
        )
    };
    drop_guards(&db).await;
    db.store
        .execute_unprepared(&format!(
            "DELETE FROM audit_events WHERE chain = '{chain}' AND seq = {}",
            seq - 1
        ))
        .await
        .unwrap();
    match audit::verify(c).await.unwrap() {
        audit::Verdict::Broken {
            chain: broken,
            seq: at,
            reason,
            ..
        } => {
            assert_eq!((broken, at), (chain, seq - 1), "{}", db.backend);
            assert!(reason.contains("missing"), "{}: {reason}", db.backend);
        }
        other => panic!("{}: expected broken, got {other:?}", db.backend),
    }
}
