//! The reference: single-row INSERT transactions on the same database, through the same
//! store code the server uses (`BEGIN IMMEDIATE` on SQLite, `BEGIN` on PostgreSQL), plus
//! variants shaped like a booking's transaction, to see what a booking's statements cost.

use sea_orm::{ConnectionTrait, Statement, Value};
use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, Instant},
};
use store::Store;
use uuid::Uuid;

/// What one timed run of commits gave.
pub struct CommitRun {
    pub shape: Shape,
    pub clients: usize,
    pub ok: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

/// What each transaction does besides committing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `INSERT` one row: the reference.
    Plain,
    /// `INSERT` one row and bump one shared row, as every booking bumps its clinic's audit
    /// chain head: writers queue on that row lock until each commits.
    HotRow,
    /// Shaped like a booking's transaction: `reads` primary-key reads (doctor, visit type,
    /// policy, hours, busy time, patient…), then the audit-chain tail (bump the shared row,
    /// read it, insert, update it), then commit.
    BookingLike { reads: usize },
}

impl Shape {
    /// Statements per transaction, `BEGIN` and `COMMIT` not counted.
    pub fn statements(self) -> usize {
        match self {
            Shape::Plain => 1,
            Shape::HotRow => 2,
            Shape::BookingLike { reads } => reads + 4,
        }
    }
}

async fn exec<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<Value>) -> Result<(), String> {
    c.execute_raw(Statement::from_sql_and_values(
        c.get_database_backend(),
        sql,
        values,
    ))
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

async fn one_commit(store: &Store, shape: Shape, id: i64, doctors: &[Uuid]) -> Result<(), String> {
    let at = crate::seed::wall_now().as_millisecond();
    let tx = store.write().await.map_err(|e| e.to_string())?;
    const INSERT: &str = "INSERT INTO bench_commits (id, at) VALUES ($1, $2)";
    const BUMP: &str = "UPDATE bench_hot SET n = n + 1 WHERE id = 1";
    match shape {
        Shape::Plain => exec(&tx, INSERT, vec![id.into(), at.into()]).await?,
        Shape::HotRow => {
            exec(&tx, INSERT, vec![id.into(), at.into()]).await?;
            exec(&tx, BUMP, vec![]).await?;
        }
        Shape::BookingLike { reads } => {
            for i in 0..reads {
                let doctor = doctors[(id as usize + i) % doctors.len()];
                tx.query_one_raw(Statement::from_sql_and_values(
                    tx.get_database_backend(),
                    "SELECT id, status, name FROM doctors WHERE id = $1",
                    vec![doctor.into()],
                ))
                .await
                .map_err(|e| e.to_string())?;
            }
            exec(&tx, BUMP, vec![]).await?;
            tx.query_one_raw(Statement::from_string(
                tx.get_database_backend(),
                "SELECT n, at FROM bench_hot WHERE id = 1",
            ))
            .await
            .map_err(|e| e.to_string())?;
            exec(&tx, INSERT, vec![id.into(), at.into()]).await?;
            exec(
                &tx,
                "UPDATE bench_hot SET at = $1 WHERE id = 1",
                vec![at.into()],
            )
            .await?;
        }
    }
    store::commit(tx).await.map_err(|e| e.to_string())
}

/// `clients` tasks run transactions of `shape` back to back for `seconds`.
pub async fn run(
    store: &Store,
    shape: Shape,
    doctors: &Arc<Vec<Uuid>>,
    next_id: &Arc<AtomicI64>,
    clients: usize,
    seconds: f64,
) -> CommitRun {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let store = store.clone();
        let next_id = next_id.clone();
        let doctors = doctors.clone();
        tasks.spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0usize, None);
            while Instant::now() < deadline {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let t0 = Instant::now();
                match one_commit(&store, shape, id, &doctors).await {
                    Ok(()) => lat.push(t0.elapsed()),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (lat, errors, first_error)
        });
    }
    let mut run = CommitRun {
        shape,
        clients,
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((lat, errors, first_error)) => {
                run.ok += lat.len();
                run.latencies.extend(lat);
                run.errors += errors;
                if run.first_error.is_none() {
                    run.first_error = first_error;
                }
            }
            Err(e) => {
                run.errors += 1;
                run.first_error.get_or_insert(e.to_string());
            }
        }
    }
    run.elapsed = started.elapsed();
    run
}
