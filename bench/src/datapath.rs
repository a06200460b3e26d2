//! `--data-path`: what one SQLite read costs through the store's data path (SeaORM over
//! sqlx, which runs each connection on a thread of its own and hands every statement to it
//! and the rows back), through sqlx alone, and run by `rusqlite` on the task's own thread. No
//! server: the same point read by primary key, on the same file, from 16 tasks on this
//! tool's runtime (two worker threads on a two-core machine, as the server's), each reading
//! in a loop. Answers how much of a read's CPU is the hand-offs, which is what a data path
//! without them could save.

use crate::{
    cpu::Meter,
    report::say,
    stats::{LATENCY_HEADER, Latency, rate},
};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use store::{DbConfig, Store};

/// Rows in the table read.
const ROWS: i64 = 100_000;
/// Connections each path reads through (the server's SQLite pool).
const CONNECTIONS: usize = 8;

/// One path's run: reads done, their latencies, and the tool's CPU.
struct Run {
    label: &'static str,
    reads: usize,
    elapsed: Duration,
    cpu: Duration,
    latency: Option<Latency>,
}

pub async fn run(work: &Path, clients: usize, seconds: f64) -> Result<(), String> {
    let file = work.join("datapath.sqlite");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let store = Store::connect(&DbConfig {
        url: url.clone(),
        max_connections: CONNECTIONS as u32,
    })
    .await
    .map_err(|e| format!("open {url}: {e}"))?;
    store
        .execute_unprepared(&format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) \
             INSERT INTO t (id, v) SELECT i, printf('row %08d of the table read', i) FROM n"
        ))
        .await
        .map_err(|e| format!("seed: {e}"))?;
    let duration = Duration::from_secs_f64(seconds);
    let mut runs = Vec::new();
    // Each path twice, interleaved, so that a noisy moment shows as a spread.
    for _ in 0..2 {
        runs.push(
            timed(
                "SeaORM over sqlx (the store's data path)",
                clients,
                duration,
                {
                    let store = store.clone();
                    move |id| {
                        let store = store.clone();
                        async move { sqlx_read(&store, id).await }
                    }
                },
            )
            .await?,
        );
        let pool = sea_orm::sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(CONNECTIONS as u32)
            .connect(&url)
            .await
            .map_err(|e| format!("open {url}: {e}"))?;
        runs.push(
            timed("sqlx alone (its pool, no SeaORM)", clients, duration, {
                move |id| {
                    let pool = pool.clone();
                    async move {
                        sea_orm::sqlx::query_scalar::<_, String>("SELECT v FROM t WHERE id = ?1")
                            .bind(id)
                            .fetch_one(&pool)
                            .await
                            .map_err(|e| e.to_string())
                    }
                }
            })
            .await?,
        );
        let conns = Arc::new(
            (0..CONNECTIONS)
                .map(|_| rusqlite_conn(&file).map(Mutex::new))
                .collect::<Result<Vec<_>, _>>()?,
        );
        runs.push(
            timed("rusqlite on the task's own thread", clients, duration, {
                move |id| {
                    let conns = conns.clone();
                    async move { rusqlite_read(&conns, id) }
                }
            })
            .await?,
        );
    }
    store.close().await.map_err(|e| e.to_string())?;
    report(clients, &runs);
    Ok(())
}

async fn sqlx_read(store: &Store, id: i64) -> Result<String, String> {
    let row = store
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT v FROM t WHERE id = $1",
            vec![id.into()],
        ))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row")?;
    row.try_get::<String>("", "v").map_err(|e| e.to_string())
}

fn rusqlite_conn(file: &Path) -> Result<rusqlite::Connection, String> {
    let c = rusqlite::Connection::open(file).map_err(|e| e.to_string())?;
    c.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    Ok(c)
}

/// A read on the calling thread, through the first connection free (a task holds one only
/// for the call, never across an `await`).
fn rusqlite_read(conns: &[Mutex<rusqlite::Connection>], id: i64) -> Result<String, String> {
    let start = (id as usize) % conns.len();
    let guard = (0..conns.len())
        .find_map(|i| conns[(start + i) % conns.len()].try_lock().ok())
        .map_or_else(|| conns[start].lock().map_err(|e| e.to_string()), Ok)?;
    let mut stmt = guard
        .prepare_cached("SELECT v FROM t WHERE id = ?1")
        .map_err(|e| e.to_string())?;
    stmt.query_row([id], |r| r.get::<_, String>(0))
        .map_err(|e| e.to_string())
}

/// `clients` tasks reading through `read` for `duration`; each yields between reads, as a
/// request's task does between its steps.
async fn timed<F, Fut>(
    label: &'static str,
    clients: usize,
    duration: Duration,
    read: F,
) -> Result<Run, String>
where
    F: Fn(i64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<String, String>> + Send,
{
    eprintln!("data path: {label}, {clients} tasks…");
    let meter = Meter::new(None);
    let before = meter.snapshot();
    let began = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let read = read.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                let mut id = (c as i64 * 7919) % ROWS;
                while began.elapsed() < duration {
                    id = (id * 48271 + 11) % ROWS + 1;
                    let t = Instant::now();
                    read(id).await?;
                    lat.push(t.elapsed());
                    tokio::task::yield_now().await;
                }
                Ok::<_, String>(lat)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.map_err(|e| e.to_string())??);
    }
    let elapsed = began.elapsed();
    let cpu = meter.usage(before, meter.snapshot()).tool;
    Ok(Run {
        label,
        reads: all.len(),
        elapsed,
        cpu,
        latency: Latency::of(all),
    })
}

fn report(clients: usize, runs: &[Run]) {
    say("## One SQLite read: the store's data path against rusqlite on the task's thread\n");
    say(&format!(
        "{clients} tasks on this tool's runtime, point reads by primary key of a {ROWS}-row table, \
         {CONNECTIONS} connections each; CPU is this whole process's.\n"
    ));
    say("| Path | reads/s | CPU µs a read |\n|---|---:|---:|");
    for r in runs {
        let per = r.cpu.as_secs_f64() * 1e6 / r.reads.max(1) as f64;
        say(&format!(
            "| {} | {:.0} | {per:.1} |",
            r.label,
            rate(r.reads, r.elapsed)
        ));
    }
    say(&format!("\n{LATENCY_HEADER}"));
    for r in runs {
        if let Some(l) = &r.latency {
            say(&l.row(r.label));
        }
    }
}
