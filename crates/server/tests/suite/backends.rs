//! One test body, two named cases: `each_backend!(name)` runs `async fn name(app: TestApp)`
//! (or `name(db: TestDb)`) as `name::sqlite` and `name::postgres`, so a failure names its
//! database and `cargo test booking::name::postgres` runs one case.
//!
//! The body stays an ordinary function, so rustfmt, clippy and the editor see it as any
//! other code. Its parameter says what it gets: a `TestApp` on a fresh database, or the
//! `TestDb` itself (to build the app with changed settings, `TestApp::with(db, |s| …)`, or
//! to reach the store without an app).
//!
//! The `postgres` case needs DOCSPOT_TEST_DATABASE_URL. Without it the case says so in one
//! line and passes (local development), unless DOCSPOT_TEST_REQUIRE_POSTGRES=1 (CI), which
//! makes a missing or unreachable PostgreSQL fail the case.

use crate::helpers::TestApp;
use store::testing::TestDb;

/// What a test body takes as its argument, built on one fresh database.
pub trait OnBackend: Sized {
    fn on(db: TestDb) -> impl Future<Output = Self>;
}

impl OnBackend for TestApp {
    async fn on(db: TestDb) -> TestApp {
        TestApp::new(db).await
    }
}

impl OnBackend for TestDb {
    async fn on(db: TestDb) -> TestDb {
        db
    }
}

/// A fresh SQLite database for a `sqlite` case.
pub async fn sqlite<T: OnBackend>() -> T {
    T::on(TestDb::sqlite().await).await
}

/// A fresh PostgreSQL schema for a `postgres` case, or `None` (said in one line) where
/// PostgreSQL is neither configured nor required. With DOCSPOT_TEST_REQUIRE_POSTGRES=1 a
/// missing or unreachable PostgreSQL panics instead (in `TestDb::postgres`).
pub async fn postgres<T: OnBackend>() -> Option<T> {
    match TestDb::postgres().await {
        Some(db) => Some(T::on(db).await),
        None => {
            eprintln!(
                "SKIPPED on postgres: DOCSPOT_TEST_DATABASE_URL is not set (CI sets it and DOCSPOT_TEST_REQUIRE_POSTGRES=1)"
            );
            None
        }
    }
}

/// `each_backend!(name);` next to `async fn name(app: TestApp) { … }` makes the test cases
/// `name::sqlite` and `name::postgres`, each with `#[tokio::test]`.
///
/// Other attributes replace that default, so give all of them:
/// `each_backend!(#[tokio::test(flavor = "multi_thread", worker_threads = 4)] name);`
macro_rules! each_backend {
    ($name:ident) => {
        $crate::backends::each_backend!(#[tokio::test] $name);
    };
    ($(#[$meta:meta])+ $name:ident) => {
        mod $name {
            $(#[$meta])+
            async fn sqlite() {
                super::$name($crate::backends::sqlite().await).await
            }

            $(#[$meta])+
            async fn postgres() {
                if let Some(on) = $crate::backends::postgres().await {
                    super::$name(on).await
                }
            }
        }
    };
}
pub(crate) use each_backend;
