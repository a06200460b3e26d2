//! Persistence for DocSpot. All SQL lives in this crate.
//!
//! One code path serves SQLite and PostgreSQL: statements are portable SQL with `$n`
//! placeholders (both sqlx drivers bind them by position), run through SeaORM's connection,
//! transaction and migration machinery. Backend-specific SQL is confined to `schema/` and
//! the few spots that say so.

pub mod appointment_lists;
pub mod appointments;
pub mod audit;
mod batch;
mod bill_lists;
pub mod billing_settings;
pub mod bills;
pub mod cash;
pub mod clinics;
pub mod consultations;
pub mod credit_notes;
pub mod doctors;
pub mod documents;
pub mod events;
pub mod idempotency;
pub mod invoices;
pub mod jobs;
pub mod links;
pub mod memberships;
pub mod messages;
pub mod migrations;
pub mod online;
pub mod otp;
pub mod patients;
pub mod payments;
pub mod policy;
pub mod preferences;
pub mod prescriptions;
pub mod push;
pub mod queue;
pub mod rules;
pub mod schedules;
mod schema;
pub mod secrets;
pub mod sessions;
pub mod testing;
pub mod totp;
pub mod users;
pub mod visit_types;
pub mod webhooks;
mod writer;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, QueryResult,
    SqlErr, Statement, Value,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

pub use batch::{Batch, Rows};
pub use sea_orm::ConnectionTrait as Conn;
pub use writer::{Tx, WriteStats};

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique or check constraint refused the write; carries the constraint's name.
    #[error("conflict on {0}")]
    Conflict(String),
    /// The database failed or could not be reached.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// A stored value could not be read back as its type.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database could not be reached (down, restarting, unreachable, its pool
    /// exhausted): a passing condition to answer with 503 and retry, not a bug.
    pub fn is_unavailable(&self) -> bool {
        use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
        let StoreError::Db(e) = self else {
            return false;
        };
        let sqlx = match e {
            DbErr::ConnectionAcquire(_) => return true,
            DbErr::Conn(RuntimeErr::SqlxError(s))
            | DbErr::Exec(RuntimeErr::SqlxError(s))
            | DbErr::Query(RuntimeErr::SqlxError(s)) => s,
            DbErr::Conn(_) => return true,
            _ => return false,
        };
        match &**sqlx {
            Sqlx::Io(_)
            | Sqlx::Tls(_)
            | Sqlx::PoolTimedOut
            | Sqlx::PoolClosed
            | Sqlx::WorkerCrashed
            | Sqlx::Protocol(_) => true,
            // Class 08 (connection exception) and 57P01-57P03 (the server is shutting down,
            // crashed or not yet accepting connections); SQLite's "database is busy/locked".
            Sqlx::Database(d) => d.code().is_some_and(|c| {
                c.starts_with("08") || ["57P01", "57P02", "57P03", "5", "6"].contains(&&*c)
            }),
            _ => false,
        }
    }

    fn from_write(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(msg)) => {
                StoreError::Conflict(constraint_of(&msg))
            }
            // sea-orm does not classify exclusion violations (SQLSTATE 23P01); find ours by name.
            _ if e.to_string().contains(NO_OVERLAP) => StoreError::Conflict(NO_OVERLAP.into()),
            _ if e.to_string().contains(PATIENT_OVERLAP) => {
                StoreError::Conflict(PATIENT_OVERLAP.into())
            }
            // Check constraints that guard money against a concurrent writer read as conflicts.
            _ => match MONEY_CHECKS.iter().find(|c| e.to_string().contains(*c)) {
                Some(c) => StoreError::Conflict((*c).to_owned()),
                None => StoreError::Db(e),
            },
        }
    }
}

/// The constraint that keeps one doctor's active appointments apart: an exclusion
/// constraint on PostgreSQL, triggers (and the unique index on the blocked start) on
/// SQLite, all reported under this name.
pub const NO_OVERLAP: &str = "appointments_no_overlap";

/// The rule that keeps one patient's active appointments apart, unless staff overrode it
/// for one (`patient_overlap_ok`): an exclusion constraint on PostgreSQL, triggers on
/// SQLite, both under this name.
pub const PATIENT_OVERLAP: &str = "appointments_patient_overlap";

/// Check constraints that refuse a write a concurrent one made stale: a bill paid beyond
/// what is due, a payment refunded beyond itself.
pub const MONEY_CHECKS: [&str; 2] = ["bills_not_overpaid", "payments_not_overrefunded"];

/// Finds our constraint name in a driver's message (`users_email_key` or `users.email`).
fn constraint_of(msg: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("users_email_key", "users.email"),
        ("clinics_slug_key", "clinics.slug"),
        ("memberships_clinic_user_role_key", "memberships.clinic_id"),
        ("jobs_dedupe_key_key", "jobs.dedupe_key"),
        ("specialties_clinic_name_key", "specialties.clinic_id"),
        ("doctors_clinic_user_key", "doctors.clinic_id"),
        (
            "patients_clinic_mrn_key",
            "patients.clinic_id, patients.mrn",
        ),
        (
            "patients_clinic_user_key",
            "patients.clinic_id, patients.user_id",
        ),
        (
            "appointments_ref_code_key",
            "appointments.clinic_id, appointments.ref_code",
        ),
        ("idempotency_keys_pkey", "idempotency_keys.user_id"),
        ("link_tokens_pkey", "link_tokens.token_hash"),
        ("bills_appointment_key", "bills.appointment_id"),
        ("bills_number_key", "bills.clinic_id, bills.number"),
        (
            "payments_reference_key",
            "payments.clinic_id, payments.method, payments.reference",
        ),
        ("provider_events_pkey", "provider_events.provider"),
        (
            "online_payments_provider_ref_key",
            "online_payments.provider, online_payments.provider_ref",
        ),
        (
            "cash_sessions_open_key",
            "cash_sessions.clinic_id, cash_sessions.user_id",
        ),
    ];
    if msg.contains("appointments_doctor_start_active_key")
        || msg.contains("appointments.doctor_id, appointments.block_start")
    {
        return NO_OVERLAP.to_owned();
    }
    for (name, sqlite_cols) in KNOWN {
        if msg.contains(name) || msg.contains(sqlite_cols) {
            return (*name).to_owned();
        }
    }
    msg.to_owned()
}

/// Result type of the store.
pub type StoreResult<T> = Result<T, StoreError>;

/// How to reach the database.
#[derive(Clone)]
pub struct DbConfig {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
}

impl std::fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

/// Hides a password in a connection URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:[redacted]{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Which connections an options set opens.
#[derive(Clone, Copy, PartialEq)]
enum Opens {
    /// The pool (on SQLite, its connections read).
    Pool,
    /// SQLite's writer connection.
    Writer,
}

/// The pool's options: SQLite set up for durability (WAL, `synchronous=FULL`, foreign keys on).
/// SQLite's writer keeps its temporary files in memory: the journals of the savepoints
/// that group commit runs writers in, which a crash has no use for (the WAL is what makes
/// a commit durable). On disk they cost a quarter of the bookings a second.
fn options(cfg: &DbConfig, max_connections: u32, opens: Opens) -> ConnectOptions {
    let mut opts = ConnectOptions::new(cfg.url.clone());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            let o = o
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            match opens {
                Opens::Writer => o.pragma("temp_store", "memory"),
                Opens::Pool => o,
            }
        });
    opts
}

/// The database handle shared by the whole server.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// On SQLite, the one connection that writes, and the turn its writers take.
    writer: Option<writer::Writer>,
}

impl Store {
    /// Connects; on SQLite opens the writer's own connection beside the pool.
    pub async fn connect(cfg: &DbConfig) -> StoreResult<Self> {
        let db = Database::connect(options(cfg, cfg.max_connections, Opens::Pool)).await?;
        let writer = match db.get_database_backend() {
            DbBackend::Sqlite => Some(writer::Writer::new(
                Database::connect(options(cfg, 1, Opens::Writer)).await?,
            )),
            _ => None,
        };
        Ok(Self { db, writer })
    }

    /// Closes the pool and the writer's connection.
    pub async fn close(self) -> StoreResult<()> {
        if let Some(w) = self.writer {
            w.db.close().await?;
        }
        Ok(self.db.close().await?)
    }

    /// Commits every write transaction on its own, never in a group (see [`writer`]): the
    /// plain commit rate a benchmark compares with.
    pub fn without_group_commit(mut self) -> Self {
        if let Some(w) = self.writer.as_mut() {
            w.grouped = false;
        }
        self
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> StoreResult<()> {
        migrations::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Applies only the next `steps` pending migrations (for testing upgrades of old data).
    pub async fn migrate_steps(&self, steps: u32) -> StoreResult<()> {
        migrations::Migrator::up(&self.db, Some(steps)).await?;
        Ok(())
    }

    /// Whether every migration has been applied.
    pub async fn migrations_current(&self) -> StoreResult<bool> {
        Ok(migrations::Migrator::get_pending_migrations(&self.db)
            .await?
            .is_empty())
    }

    /// A cheap round trip to the database.
    pub async fn ping(&self) -> StoreResult<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// The pool, for reads outside a transaction.
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE` (or a savepoint in the
    /// transaction the writers before it handed on, see [`writer`]), and the writers of this
    /// process queue in order for their turn first (other processes still meet SQLite's busy
    /// handler). Do not start a second one while holding one.
    pub async fn write(&self) -> StoreResult<Tx> {
        match &self.writer {
            Some(w) => w.begin().await,
            None => Ok(Tx::plain(writer::begin(&self.db).await?)),
        }
    }

    /// On SQLite, the write transactions committed so far and the commits that took them.
    pub fn write_stats(&self) -> Option<WriteStats> {
        self.writer.as_ref().map(writer::Writer::stats)
    }

    /// Runs raw SQL, for tests and maintenance tools only.
    pub async fn execute_unprepared(&self, sql: &str) -> StoreResult<()> {
        self.db.execute_unprepared(sql).await?;
        Ok(())
    }
}

/// Commits a write transaction.
pub async fn commit(tx: Tx) -> StoreResult<()> {
    Ok(tx.commit().await?)
}

/// The backend's aggregate that joins text with a separator: `string_agg(x, sep)` on
/// PostgreSQL, `group_concat(x, sep)` on SQLite.
pub(crate) fn text_agg<C: ConnectionTrait>(c: &C) -> &'static str {
    match c.get_database_backend() {
        DbBackend::Postgres => "string_agg",
        _ => "group_concat",
    }
}

/// Builds a statement for `c`'s backend.
pub(crate) fn stmt<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

pub(crate) async fn exec<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> StoreResult<u64> {
    c.execute_raw(stmt(c, sql, values))
        .await
        .map(|r| r.rows_affected())
        .map_err(StoreError::from_write)
}

pub(crate) async fn one<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> StoreResult<Option<QueryResult>> {
    Ok(c.query_one_raw(stmt(c, sql, values)).await?)
}

pub(crate) async fn all<C: ConnectionTrait>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
) -> StoreResult<Vec<QueryResult>> {
    Ok(c.query_all_raw(stmt(c, sql, values)).await?)
}

/// Runs a query and maps its first row with `map`, if there is one.
pub(crate) async fn one_as<C: ConnectionTrait, T>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
    map: fn(&QueryResult) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    one(c, sql, values).await?.as_ref().map(map).transpose()
}

/// Runs a query and maps every row with `map`.
pub(crate) async fn all_as<C: ConnectionTrait, T>(
    c: &C,
    sql: &str,
    values: Vec<Value>,
    map: fn(&QueryResult) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    all(c, sql, values).await?.iter().map(map).collect()
}

/// Reads column `col` of a row as `T`.
pub(crate) fn get<T: sea_orm::TryGetable>(row: &QueryResult, col: &str) -> StoreResult<T> {
    row.try_get::<T>("", col)
        .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

/// Epoch milliseconds of an instant, as stored.
pub fn ms(t: jiff::Timestamp) -> i64 {
    t.as_millisecond()
}

/// An instant from stored epoch milliseconds.
pub fn ts(ms: i64) -> StoreResult<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// SHA-256 of a secret token, hex-encoded: tokens are stored only as hashes.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token (256 bits, URL-safe hex).
pub fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
