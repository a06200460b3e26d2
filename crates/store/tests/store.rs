//! Store suite: runs on SQLite always and on PostgreSQL when DOCSPOT_TEST_DATABASE_URL is set.

use docspot_store as store;
use domain::{Email, PersonName};
use store::{each_db, jobs, testing::TestDb, users};

fn t(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap()
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
    let clinic = db.clinic().await;
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

each_db!(a_session_read_with_a_clinic_gives_that_clinic_and_the_callers_roles_in_good_standing);
async fn a_session_read_with_a_clinic_gives_that_clinic_and_the_callers_roles_in_good_standing(
    db: TestDb,
) {
    use domain::{ClinicId, Role};
    use store::{clinics, memberships, sessions};
    let c = db.store.conn();
    let (a, b) = (db.clinic().await, db.clinic().await);
    let email = Email::parse("rita@example.com").unwrap();
    let user = users::insert(
        c,
        users::NewUser {
            email: &email,
            name: &PersonName::parse("Rita").unwrap(),
            password_hash: None,
            is_platform_admin: false,
            is_patient: false,
        },
        t(1),
    )
    .await
    .unwrap();
    let tokens = sessions::TokenPair {
        access_hash: "access",
        access_expires_at: t(10_000),
        refresh_hash: "refresh",
    };
    sessions::create(c, user.id, &tokens, t(20_000), "test", "127.0.0.1", t(2))
        .await
        .unwrap();
    for role in [Role::Receptionist, Role::Admin] {
        memberships::grant(c, a.id, user.id, role, t(3))
            .await
            .unwrap();
    }
    let gone = memberships::grant(c, b.id, user.id, Role::Receptionist, t(3))
        .await
        .unwrap();
    assert!(memberships::deactivate(c, b.id, gone).await.unwrap());

    let at = |clinic: Option<ClinicId>| sessions::identify_at(c, "access", t(5), clinic);
    let roles = |found: &(clinics::Clinic, Vec<Role>)| {
        let mut r: Vec<&str> = found.1.iter().map(|r| r.as_str()).collect();
        r.sort_unstable();
        r
    };
    // The clinic and roles read with the session are those `find_with_roles` reads.
    for (clinic, expected) in [(&a, vec!["admin", "receptionist"]), (&b, vec![])] {
        let (session, who, read) = at(Some(clinic.id)).await.unwrap().expect("a live session");
        assert_eq!(
            (session.user_id, who.id),
            (user.id, user.id),
            "{}",
            db.backend
        );
        let read = read.expect("asked for").expect("the clinic exists");
        let alone = clinics::find_with_roles(c, clinic.id, user.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            format!("{:?}", read.0),
            format!("{:?}", clinic),
            "{}",
            db.backend
        );
        assert_eq!(
            format!("{:?}", alone.0),
            format!("{:?}", clinic),
            "{}",
            db.backend
        );
        assert_eq!(
            (roles(&read), roles(&alone)),
            (expected.clone(), expected),
            "{}",
            db.backend
        );
    }
    // No such clinic: the session still, and no clinic; no clinic asked: none read.
    let (_, _, read) = at(Some(ClinicId::new())).await.unwrap().unwrap();
    assert!(matches!(read, Some(None)), "{}", db.backend);
    let (_, _, read) = at(None).await.unwrap().unwrap();
    assert!(read.is_none(), "{}", db.backend);
    // An unknown or expired token reads nothing, whichever clinic is asked for.
    let wrong = sessions::identify_at(c, "other", t(5), Some(a.id))
        .await
        .unwrap();
    assert!(wrong.is_none(), "{}", db.backend);
    let late = sessions::identify_at(c, "access", t(10_001), Some(a.id))
        .await
        .unwrap();
    assert!(late.is_none(), "{}", db.backend);
}

each_db!(a_persons_patient_records_are_found_by_their_account_through_an_index);
async fn a_persons_patient_records_are_found_by_their_account_through_an_index(db: TestDb) {
    use sea_orm::{ConnectionTrait, Statement};
    let tx = db.store.write().await.unwrap();
    let backend = tx.get_database_backend();
    let (explain, column) = match db.backend {
        // An empty table is read whole by choice; asked not to, the planner shows whether
        // an index serves the query at all.
        "postgres" => {
            tx.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
            ("EXPLAIN", "QUERY PLAN")
        }
        _ => ("EXPLAIN QUERY PLAN", "detail"),
    };
    let plan: Vec<String> = tx
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("{explain} SELECT id FROM patients WHERE user_id = $1"),
            vec![uuid::Uuid::now_v7().into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", column).unwrap())
        .collect();
    tx.rollback().await.unwrap();
    assert!(
        plan.iter().any(|l| l.contains("patients_user_idx")),
        "{}: {plan:?}",
        db.backend
    );
}
