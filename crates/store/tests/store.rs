//! Store suite: runs on SQLite always and on PostgreSQL when DOCSPOT_TEST_DATABASE_URL is set.

use docspot_store as store;
use domain::{ClinicName, ClinicSlug, Currency, Email, PersonName, TimeZoneName};
use store::{audit, clinics, each_db, jobs, testing::TestDb, users};

fn t(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
}

/// Three events of one request id, so one chain holds them as its events 1, 2 and 3.
async fn audit_three(db: &TestDb) -> clinics::Clinic {
    let c = db.store.conn();
    let clinic = clinics::insert(
        c,
        &clinics::NewClinic {
            name: ClinicName::parse("Test Clinic").unwrap(),
            slug: ClinicSlug::parse(&format!("c-{}", uuid::Uuid::now_v7().simple())[..30]).unwrap(),
            time_zone: TimeZoneName::parse("Europe/London").unwrap(),
            currency: Currency::parse("GBP").unwrap(),
            country: Some("GB".into()),
        },
        t(1_000),
    )
    .await
    .unwrap();
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

each_db!(verify_names_an_edited_event);
async fn verify_names_an_edited_event(db: TestDb) {
    audit_three(&db).await;
    drop_guards(&db).await;
    db.store
        .execute_unprepared("UPDATE audit_events SET target_id = 'tampered' WHERE seq = 2")
        .await
        .unwrap();
    match audit::verify(db.store.conn()).await.unwrap() {
        audit::Verdict::Broken {
            seq,
            event_id,
            reason,
            ..
        } => {
            assert_eq!(seq, 2, "{}", db.backend);
            assert!(event_id.is_some(), "{}", db.backend);
            assert!(reason.contains("altered"), "{}: {reason}", db.backend);
        }
        other => panic!("{}: expected broken, got {other:?}", db.backend),
    }
}

each_db!(verify_names_a_deleted_event_in_the_middle);
async fn verify_names_a_deleted_event_in_the_middle(db: TestDb) {
    audit_three(&db).await;
    drop_guards(&db).await;
    db.store
        .execute_unprepared("DELETE FROM audit_events WHERE seq = 2")
        .await
        .unwrap();
    match audit::verify(db.store.conn()).await.unwrap() {
        audit::Verdict::Broken { seq, reason, .. } => {
            assert_eq!(seq, 2, "{}", db.backend);
            assert!(reason.contains("missing"), "{}: {reason}", db.backend);
        }
        other => panic!("{}: expected broken, got {other:?}", db.backend),
    }
}

each_db!(verify_names_a_deleted_event_at_the_end);
async fn verify_names_a_deleted_event_at_the_end(db: TestDb) {
    audit_three(&db).await;
    drop_guards(&db).await;
    db.store
        .execute_unprepared("DELETE FROM audit_events WHERE seq = 3")
        .await
        .unwrap();
    match audit::verify(db.store.conn()).await.unwrap() {
        audit::Verdict::Broken { seq, reason, .. } => {
            assert_eq!(seq, 3, "{}", db.backend);
            assert!(reason.contains("removed"), "{}: {reason}", db.backend);
        }
        other => panic!("{}: expected broken, got {other:?}", db.backend),
    }
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

each_db!(a_due_job_is_claimed_by_exactly_one_of_many_workers);
async fn a_due_job_is_claimed_by_exactly_one_of_many_workers(db: TestDb) {
    let c = db.store.conn();
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            jobs::enqueue(
                c,
                None,
                "email",
                &serde_json::json!({"i": i}),
                t(1_000),
                t(1_000),
            )
            .await
            .unwrap(),
        );
    }
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let tx = store.write().await.unwrap();
                let job = jobs::claim(&tx, t(2_000), jiff::SignedDuration::from_mins(5))
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                match job {
                    Some(j) => mine.push(j.id),
                    None => break mine,
                }
            }
        }));
    }
    let mut claimed = Vec::new();
    for task in tasks {
        claimed.extend(task.await.unwrap());
    }
    claimed.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(
        claimed, expected,
        "{}: every job claimed exactly once",
        db.backend
    );
}

each_db!(an_expired_lease_is_reclaimed_and_a_failed_job_waits_for_its_retry_time);
async fn an_expired_lease_is_reclaimed_and_a_failed_job_waits_for_its_retry_time(db: TestDb) {
    let c = db.store.conn();
    let id = jobs::enqueue(c, None, "email", &serde_json::json!({}), t(1_000), t(1_000))
        .await
        .unwrap();
    let lease = jiff::SignedDuration::from_secs(60);
    assert!(jobs::claim(c, t(1_000), lease).await.unwrap().is_some());
    assert!(
        jobs::claim(c, t(30_000), lease).await.unwrap().is_none(),
        "{}: leased",
        db.backend
    );
    let again = jobs::claim(c, t(61_001), lease)
        .await
        .unwrap()
        .expect("lease ran out");
    assert_eq!(again.attempts, 2, "{}", db.backend);
    jobs::fail(c, id, "smtp down", Some(t(100_000)), t(61_001))
        .await
        .unwrap();
    assert!(
        jobs::claim(c, t(99_999), lease).await.unwrap().is_none(),
        "{}: not before retry time",
        db.backend
    );
    assert!(
        jobs::claim(c, t(100_000), lease).await.unwrap().is_some(),
        "{}: due at retry time",
        db.backend
    );
    jobs::complete(c, id, t(100_001)).await.unwrap();
    assert_eq!(
        jobs::status(c, id).await.unwrap().unwrap().0,
        "done",
        "{}",
        db.backend
    );
}

each_db!(a_job_is_stuck_once_its_lease_runs_out_unfinished_and_not_while_queued);
async fn a_job_is_stuck_once_its_lease_runs_out_unfinished_and_not_while_queued(db: TestDb) {
    let c = db.store.conn();
    let later = jobs::enqueue(
        c,
        None,
        "email",
        &serde_json::json!({}),
        t(500_000),
        t(1_000),
    )
    .await
    .unwrap();
    let now = jobs::enqueue(c, None, "email", &serde_json::json!({}), t(1_000), t(1_000))
        .await
        .unwrap();
    let lease = jiff::SignedDuration::from_secs(60);
    assert!(jobs::claim(c, t(1_000), lease).await.unwrap().is_some());
    assert!(
        jobs::stuck(c, t(61_000)).await.unwrap().is_empty(),
        "{}: its lease holds",
        db.backend
    );
    let stuck = jobs::stuck(c, jiff::Timestamp::MAX).await.unwrap();
    assert_eq!(
        stuck.iter().map(|j| j.id).collect::<Vec<_>>(),
        [now],
        "{}: only the claimed one, not the one queued for later",
        db.backend
    );
    assert_eq!(stuck[0].lease_until, Some(t(61_000)), "{}", db.backend);
    jobs::fail(c, now, "smtp down", None, t(2_000))
        .await
        .unwrap();
    assert!(
        jobs::stuck(c, jiff::Timestamp::MAX)
            .await
            .unwrap()
            .is_empty()
    );
    let failed = jobs::in_status(c, "failed", 10).await.unwrap();
    assert_eq!(failed.len(), 1, "{}", db.backend);
    assert_eq!(failed[0].last_error.as_deref(), Some("smtp down"));
    let queued = jobs::in_status(c, "queued", 10).await.unwrap();
    assert_eq!(queued.iter().map(|j| j.id).collect::<Vec<_>>(), [later]);
}

each_db!(emails_are_unique_case_insensitively_and_conflicts_are_named);
async fn emails_are_unique_case_insensitively_and_conflicts_are_named(db: TestDb) {
    let c = db.store.conn();
    let name = PersonName::parse("Ana").unwrap();
    let mk = |e: &str| Email::parse(e).unwrap();
    let a = mk("ana@example.com");
    users::insert(
        c,
        users::NewUser {
            email: &a,
            name: &name,
            password_hash: None,
            is_platform_admin: false,
            is_patient: true,
        },
        t(1),
    )
    .await
    .unwrap();
    let b = mk("ANA@example.com");
    let err = users::insert(
        c,
        users::NewUser {
            email: &b,
            name: &name,
            password_hash: None,
            is_platform_admin: false,
            is_patient: true,
        },
        t(2),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, store::StoreError::Conflict(n) if n == "users_email_key"),
        "{}: {err:?}",
        db.backend
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_full_sync_and_foreign_keys() {
    let db = TestDb::sqlite().await;
    use sea_orm::ConnectionTrait;
    let c = db.store.conn();
    let q = |sql: &'static str| async move {
        let row = c
            .query_one_raw(sea_orm::Statement::from_string(
                c.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .map(|v| v.to_string())
            .or_else(|_| row.try_get_by_index::<String>(0))
            .unwrap()
    };
    assert_eq!(q("PRAGMA journal_mode").await, "wal");
    assert_eq!(q("PRAGMA synchronous").await, "2", "FULL");
    assert_eq!(q("PRAGMA foreign_keys").await, "1");
}

each_db!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    forty_concurrent_invoices_get_consecutive_numbers_and_a_failed_one_takes_none
);
async fn forty_concurrent_invoices_get_consecutive_numbers_and_a_failed_one_takes_none(db: TestDb) {
    use store::invoices::{Series, next_number};
    let clinic = audit_three(&db).await;
    let year: jiff::civil::Date = "2026-04-01".parse().unwrap();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let tx = store.write().await.unwrap();
            let n = next_number(&tx, clinic.id, Series::Invoice, year)
                .await
                .unwrap();
            // Every fifth issue fails after taking its number.
            if i % 5 == 4 {
                drop(tx);
                None
            } else {
                tx.commit().await.unwrap();
                Some(n)
            }
        }));
    }
    let mut issued = Vec::new();
    for task in tasks {
        issued.extend(task.await.unwrap());
    }
    issued.sort_unstable();
    assert_eq!(
        issued,
        (1..=32).collect::<Vec<u32>>(),
        "{}: consecutive, none reused, none lost to a failure",
        db.backend
    );
    // Each series and each financial year counts on its own.
    let c = db.store.conn();
    assert_eq!(
        next_number(c, clinic.id, Series::CreditNote, year)
            .await
            .unwrap(),
        1
    );
    let next_year: jiff::civil::Date = "2027-04-01".parse().unwrap();
    assert_eq!(
        next_number(c, clinic.id, Series::Invoice, next_year)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        next_number(c, clinic.id, Series::Invoice, year)
            .await
            .unwrap(),
        33
    );
}
