//! Write transactions on both databases, and SQLite's group commit: writers queued behind
//! one another share a commit, each is answered only once that commit is durable, and one
//! that fails or is abandoned takes only its own work back.

use docspot_store as store;
use sea_orm::{ConnectionTrait, Statement};
use store::{StoreError, each_db, testing::TestDb};

async fn table(db: &TestDb) {
    db.store
        .execute_unprepared("CREATE TABLE w (n BIGINT PRIMARY KEY, v TEXT NOT NULL UNIQUE)")
        .await
        .unwrap();
}

async fn insert<C: ConnectionTrait>(c: &C, n: i64, v: &str) -> Result<(), StoreError> {
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        "INSERT INTO w (n, v) VALUES ($1, $2)",
        vec![n.into(), v.into()],
    ))
    .await?;
    Ok(())
}

async fn present(db: &TestDb) -> Vec<i64> {
    let c = db.store.conn();
    c.query_all_raw(Statement::from_string(
        c.get_database_backend(),
        "SELECT n FROM w ORDER BY n",
    ))
    .await
    .unwrap()
    .iter()
    .map(|r| r.try_get::<i64>("", "n").unwrap())
    .collect()
}

/// Whether row `n` is visible to a reader (another connection), i.e. committed.
async fn visible(store: &store::Store, n: i64) -> bool {
    let c = store.conn();
    c.query_one_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        "SELECT n FROM w WHERE n = $1",
        vec![n.into()],
    ))
    .await
    .unwrap()
    .is_some()
}

/// A first writer holds the turn (its row 0 written) while `n` writers, each running `each`
/// in a task of its own, queue up behind it; then the first commits. What each gave, in order.
async fn behind_a_first<T, Fut>(
    db: &TestDb,
    first_value: &str,
    n: i64,
    each: impl Fn(store::Store, i64) -> Fut,
) -> Vec<T>
where
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let first = db.store.write().await.unwrap();
    insert(&first, 0, first_value).await.unwrap();
    let tasks: Vec<_> = (1..=n)
        .map(|i| tokio::spawn(each(db.store.clone(), i)))
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    assert!(visible(&db.store, 0).await);
    let mut gave = Vec::new();
    for t in tasks {
        gave.push(t.await.unwrap());
    }
    gave
}

each_db!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    writers_queued_behind_one_share_its_commit_and_each_is_durable_when_answered
);
async fn writers_queued_behind_one_share_its_commit_and_each_is_durable_when_answered(db: TestDb) {
    table(&db).await;
    let before = db.store.write_stats();
    // The first holds the turn while thirty queue up behind it.
    behind_a_first(&db, "first", 30, |store, n| async move {
        let tx = store.write().await.unwrap();
        insert(&tx, n, &format!("v{n}")).await.unwrap();
        tx.commit().await.unwrap();
        // Answered: so committed, and seen by any other connection.
        assert!(
            visible(&store, n).await,
            "{n} answered before it was durable"
        );
    })
    .await;
    assert_eq!(present(&db).await, (0..=30).collect::<Vec<_>>());
    if let (Some(before), Some(after)) = (before, db.store.write_stats()) {
        let (txs, commits) = (
            after.transactions - before.transactions,
            after.commits - before.commits,
        );
        assert_eq!(txs, 31, "{}", db.backend);
        assert!(
            commits <= 3,
            "{}: 31 queued writers took {commits} commits",
            db.backend
        );
    }
}

each_db!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_writer_that_fails_or_is_abandoned_in_a_group_takes_back_only_its_own_work
);
async fn a_writer_that_fails_or_is_abandoned_in_a_group_takes_back_only_its_own_work(db: TestDb) {
    table(&db).await;
    let stored = behind_a_first(&db, "taken", 24, |store, n| async move {
        let tx = store.write().await.unwrap();
        let refused = |e: StoreError| {
            assert!(e.to_string().to_lowercase().contains("unique"), "{e}");
        };
        match n % 6 {
            // Fails at its first statement (its savepoint goes with it): what it reads
            // next sees the work of the writers before it (here the first's row).
            0 => {
                refused(insert(&tx, n, "taken").await.unwrap_err());
                tx.rollback().await.unwrap();
                assert!(
                    visible(&store, 0).await,
                    "{n} read before the writers ahead"
                );
                false
            }
            // Fails halfway: its first insert goes back with it.
            1 => {
                insert(&tx, 1000 + n, &format!("own {n}")).await.unwrap();
                refused(insert(&tx, n, "taken").await.unwrap_err());
                tx.rollback().await.unwrap();
                assert!(visible(&store, 0).await);
                false
            }
            // Abandoned (a dropped request), before its first statement and after it.
            2 => {
                drop(tx);
                false
            }
            3 => {
                insert(&tx, 1000 + n, &format!("own {n}")).await.unwrap();
                drop(tx);
                false
            }
            _ => {
                insert(&tx, 1000 + n, &format!("own {n}")).await.unwrap();
                insert(&tx, n, &format!("v{n}")).await.unwrap();
                tx.commit().await.unwrap();
                true
            }
        }
    })
    .await;
    let mut want = vec![0];
    let mut kept = Vec::new();
    for (n, stored) in (1..=24).zip(stored) {
        if stored {
            want.push(n);
            kept.push(1000 + n);
        }
    }
    want.extend(kept);
    assert_eq!(present(&db).await, want, "{}", db.backend);

    // Nothing is left open: another connection can write at once.
    let other = store::Store::connect(&store::DbConfig {
        url: db.url.clone(),
        max_connections: 1,
    })
    .await
    .unwrap();
    let tx = other.write().await.unwrap();
    insert(&tx, 5000, "other").await.unwrap();
    tx.commit().await.unwrap();
    assert!(visible(&db.store, 5000).await);
    other.close().await.unwrap();
}

each_db!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    a_lone_writer_commits_on_its_own_and_its_rollback_leaves_nothing
);
async fn a_lone_writer_commits_on_its_own_and_its_rollback_leaves_nothing(db: TestDb) {
    table(&db).await;
    let before = db.store.write_stats();
    for n in 1..=5 {
        let tx = db.store.write().await.unwrap();
        insert(&tx, n, &format!("v{n}")).await.unwrap();
        tx.commit().await.unwrap();
        assert!(visible(&db.store, n).await);
    }
    let tx = db.store.write().await.unwrap();
    insert(&tx, 6, "gone").await.unwrap();
    drop(tx);
    assert_eq!(present(&db).await, vec![1, 2, 3, 4, 5]);
    if let (Some(before), Some(after)) = (before, db.store.write_stats()) {
        assert_eq!(after.transactions - before.transactions, 5);
        assert_eq!(after.commits - before.commits, 5);
    }
}

each_db!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    writers_whose_requests_are_dropped_while_committing_do_not_take_the_others_work
);
async fn writers_whose_requests_are_dropped_while_committing_do_not_take_the_others_work(
    db: TestDb,
) {
    table(&db).await;
    let mut answered = vec![0];
    let gave = behind_a_first(&db, "first", 20, |store, n| async move {
        let tx = store.write().await.unwrap();
        insert(&tx, n, &format!("v{n}")).await.unwrap();
        // Every other request goes away while its commit is under way (a client that
        // hangs up), after 80 µs to 0.8 ms, so that some go while releasing their
        // savepoint and the last while the group's COMMIT runs: it goes on without them.
        let wait = match n % 2 {
            0 => std::time::Duration::from_micros(40 * n as u64),
            _ => std::time::Duration::from_secs(30),
        };
        match tokio::time::timeout(wait, tx.commit()).await {
            Ok(result) => {
                result.unwrap();
                Some(n)
            }
            Err(_) => None,
        }
    })
    .await;
    answered.extend(gave.into_iter().flatten());
    let rows = present(&db).await;
    for n in &answered {
        assert!(
            rows.contains(n),
            "{}: {n} answered but not stored",
            db.backend
        );
    }
    for n in (1..=20).filter(|n| n % 2 == 1) {
        assert!(
            answered.contains(&n),
            "{}: {n} waited and failed",
            db.backend
        );
    }
    // Nothing is left open.
    let tx = db.store.write().await.unwrap();
    insert(&tx, 5000, "after").await.unwrap();
    tx.commit().await.unwrap();
    assert!(visible(&db.store, 5000).await);
}

/// SQLite only: PostgreSQL has no such setting.
#[tokio::test]
async fn sqlites_writer_keeps_its_savepoint_journals_in_memory() {
    let db = TestDb::sqlite_at(None).await;
    let temp_store =
        |r: Option<sea_orm::QueryResult>| r.unwrap().try_get_by_index::<i64>(0).unwrap();
    let pragma = || Statement::from_string(sea_orm::DbBackend::Sqlite, "PRAGMA temp_store");
    let tx = db.store.write().await.unwrap();
    // 2: MEMORY.
    assert_eq!(temp_store(tx.query_one_raw(pragma()).await.unwrap()), 2);
    tx.commit().await.unwrap();
    // The readers keep the default (0: as compiled, files), for large sorts.
    let read = db.store.conn().query_one_raw(pragma()).await.unwrap();
    assert_eq!(temp_store(read), 0);
}
