//! Test support: a fresh, migrated database per test, on SQLite always and on PostgreSQL
//! when `DOCSPOT_TEST_DATABASE_URL` is set. With `DOCSPOT_TEST_REQUIRE_POSTGRES=1` a missing
//! or unreachable PostgreSQL fails the test instead of skipping it.
//!
//! PostgreSQL: each test process creates one database for its run, and each test gets its
//! own schema in it.

use crate::{DbConfig, Store};
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::OnceCell;

/// A database for one test. Keeps its SQLite folder alive while it lives.
pub struct TestDb {
    /// `sqlite` or `postgres`, for assertion messages.
    pub backend: &'static str,
    /// The connection URL, for starting a server process on the same database.
    pub url: String,
    /// The migrated store.
    pub store: Store,
    _dir: Option<tempfile_dir::Dir>,
}

mod tempfile_dir {
    /// A temporary folder removed on drop (kept tiny to avoid a dev-only dependency here).
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn require_postgres() -> bool {
    std::env::var("DOCSPOT_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

static PG_RUN_DB: OnceCell<Option<String>> = OnceCell::const_new();

/// The PostgreSQL database for this test process (created on first use), if configured.
async fn pg_run_url() -> Option<String> {
    PG_RUN_DB
        .get_or_init(|| async {
            let Ok(admin) = std::env::var("DOCSPOT_TEST_DATABASE_URL") else {
                assert!(
                    !require_postgres(),
                    "DOCSPOT_TEST_REQUIRE_POSTGRES=1 but DOCSPOT_TEST_DATABASE_URL is not set"
                );
                return None;
            };
            let name = format!("docspot_test_{}", uuid::Uuid::now_v7().simple());
            let conn = match Database::connect(admin.clone()).await {
                Ok(c) => c,
                Err(e) => panic!("cannot reach PostgreSQL at DOCSPOT_TEST_DATABASE_URL: {e}"),
            };
            drop_stale_databases(&conn).await;
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(b, _)| b)
                .to_owned();
            let run = format!("{base}/{name}");
            // Extensions are per database; create it once here so that the per-test schemas'
            // migrations find it instead of racing to create it.
            let conn = Database::connect(run.clone())
                .await
                .expect("connect to test database");
            conn.execute_unprepared("CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public")
                .await
                .expect("create btree_gist");
            let _ = conn.close().await;
            Some(run)
        })
        .await
        .clone()
}

/// Drops test databases of earlier runs (older than six hours, by the UUIDv7 in their name).
/// Wall-clock time is right here: it compares with the real creation time of other runs.
#[allow(clippy::disallowed_methods)]
async fn drop_stale_databases(conn: &sea_orm::DatabaseConnection) {
    let backend = conn.get_database_backend();
    let sql = "SELECT datname FROM pg_database WHERE datname LIKE 'docspot_test_%'";
    let Ok(rows) = conn
        .query_all_raw(sea_orm::Statement::from_string(backend, sql))
        .await
    else {
        return;
    };
    let cutoff_ms = jiff::Timestamp::now().as_millisecond() - 6 * 3600 * 1000;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created_ms = uuid::Uuid::parse_str(name.trim_start_matches("docspot_test_"))
            .ok()
            .and_then(|u| u.get_timestamp())
            .map(|t| t.to_unix().0 as i64 * 1000);
        if created_ms.is_some_and(|ms| ms < cutoff_ms) {
            let _ = conn
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

async fn migrate(store: &Store, steps: Option<u32>) {
    match steps {
        None => store.migrate().await,
        Some(n) => store.migrate_steps(n).await,
    }
    .expect("migrate");
}

impl TestDb {
    /// A fresh SQLite database in a temporary folder.
    pub async fn sqlite() -> TestDb {
        Self::sqlite_at(None).await
    }

    /// A fresh SQLite database migrated up to `steps` migrations (all with `None`).
    pub async fn sqlite_at(steps: Option<u32>) -> TestDb {
        let dir =
            std::env::temp_dir().join(format!("docspot-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}/docspot.db?mode=rwc", dir.display());
        let store = Store::connect(&DbConfig {
            url: url.clone(),
            max_connections: 8,
        })
        .await
        .expect("sqlite");
        migrate(&store, steps).await;
        TestDb {
            backend: "sqlite",
            url,
            store,
            _dir: Some(tempfile_dir::Dir(dir)),
        }
    }

    /// A fresh schema in this run's PostgreSQL database, if PostgreSQL is configured.
    pub async fn postgres() -> Option<TestDb> {
        Self::postgres_at(None).await
    }

    /// A fresh PostgreSQL schema migrated up to `steps` migrations (all with `None`).
    pub async fn postgres_at(steps: Option<u32>) -> Option<TestDb> {
        let run = pg_run_url().await?;
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let conn = Database::connect(run.clone())
            .await
            .expect("connect to test database");
        conn.execute_unprepared(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create schema");
        let _ = conn.close().await;
        let sep = if run.contains('?') { '&' } else { '?' };
        let url = format!("{run}{sep}options=-c%20search_path%3D{schema}");
        let store = Store::connect(&DbConfig {
            url: url.clone(),
            max_connections: 10,
        })
        .await
        .expect("postgres");
        migrate(&store, steps).await;
        Some(TestDb {
            backend: "postgres",
            url,
            store,
            _dir: None,
        })
    }

    /// SQLite, plus PostgreSQL when configured: run a test body against each.
    pub async fn each() -> Vec<TestDb> {
        Self::each_at(None).await
    }

    /// [`TestDb::each`], migrated up to `steps` migrations (all with `None`).
    pub async fn each_at(steps: Option<u32>) -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite_at(steps).await];
        dbs.extend(TestDb::postgres_at(steps).await);
        dbs
    }

    /// A new clinic (in London, in pounds) with a slug of its own.
    pub async fn clinic(&self) -> crate::clinics::Clinic {
        use domain::{ClinicName, ClinicSlug, Currency, TimeZoneName};
        let slug = format!("c-{}", uuid::Uuid::now_v7().simple());
        crate::clinics::insert(
            self.store.conn(),
            &crate::clinics::NewClinic {
                name: ClinicName::parse("Test Clinic").unwrap(),
                slug: ClinicSlug::parse(&slug[..30]).unwrap(),
                time_zone: TimeZoneName::parse("Europe/London").unwrap(),
                currency: Currency::parse("GBP").unwrap(),
                country: Some("GB".into()),
            },
            jiff::Timestamp::from_millisecond(1_000).unwrap(),
        )
        .await
        .expect("insert a clinic")
    }
}

/// `each_db!(name);` beside `async fn name(db: TestDb) { … }` makes the test cases
/// `name::sqlite` and `name::postgres`, so a failure names its database. Other attributes
/// replace the default `#[tokio::test]`:
/// `each_db!(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] name);`.
///
/// `each_db!(name, steps = N)` gives databases migrated only up to `N` steps (an upgrade
/// test).
///
/// The `postgres` case needs DOCSPOT_TEST_DATABASE_URL: without it the case says so in one
/// line and passes, unless DOCSPOT_TEST_REQUIRE_POSTGRES=1 (CI), which fails it.
#[macro_export]
macro_rules! each_db {
    ($name:ident) => {
        $crate::each_db!(#[tokio::test] $name, steps = None);
    };
    ($name:ident, steps = $steps:expr) => {
        $crate::each_db!(#[tokio::test] $name, steps = $steps);
    };
    ($(#[$meta:meta])+ $name:ident) => {
        $crate::each_db!($(#[$meta])+ $name, steps = None);
    };
    ($(#[$meta:meta])+ $name:ident, steps = $steps:expr) => {
        mod $name {
            // `steps` is written in the test's module.
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])+
            async fn sqlite() {
                super::$name($crate::testing::TestDb::sqlite_at($steps).await).await
            }

            $(#[$meta])+
            async fn postgres() {
                match $crate::testing::TestDb::postgres_at($steps).await {
                    Some(db) => super::$name(db).await,
                    None => eprintln!(
                        "SKIPPED on postgres: DOCSPOT_TEST_DATABASE_URL is not set (CI sets it and DOCSPOT_TEST_REQUIRE_POSTGRES=1)"
                    ),
                }
            }
        }
    };
}
