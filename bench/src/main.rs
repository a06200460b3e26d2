//! `docspot-bench`: measures a real `docspot` server against its own database. It seeds a
//! large appointment history, then measures the raw single-row commit rate of the database,
//! booking throughput and latency over HTTP with concurrent clients, and the latency of one
//! doctor's 30-day slot search. With `--patients`, it measures patient search instead
//! (`patients.rs`). Prints a Markdown report on standard output; progress goes to standard
//! error.

mod bulk;
mod commits;
mod cpu;
mod datapath;
mod experiments;
mod explain;
mod load;
mod patients;
mod people;
mod report;
mod seed;
mod server;
mod stats;

use clap::Parser;
use commits::Shape;
use report::{Experiments, Metered, Results};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::{Arc, atomic::AtomicI64},
};
use store::{DbConfig, Store};

/// Load-tests a DocSpot server: booking throughput against the raw commit rate of the same
/// database, and slot search latency over a large history.
#[derive(Debug, Parser)]
#[command(name = "docspot-bench")]
struct Args {
    /// SQLite: the data folder to create (must not exist or be empty). Default: a fresh
    /// folder under /var/tmp.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL: an existing, empty database to use.
    #[arg(long, conflicts_with = "pg_admin_url")]
    database_url: Option<String>,
    /// PostgreSQL: create a fresh database `docspot_bench_<ms>` through this connection
    /// (e.g. postgres://postgres@127.0.0.1:5432/test), use it, and drop it afterwards.
    #[arg(long)]
    pg_admin_url: Option<String>,
    /// Concurrent clients for the booking run and the raw commit run.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Appointments to seed before measuring.
    #[arg(long, default_value_t = 100_000)]
    appointments: u64,
    /// Doctors the appointments and bookings are spread over.
    #[arg(long, default_value_t = 200)]
    doctors: usize,
    /// Length of each timed run (raw commits, bookings), in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Slot searches to time (with --patients: patient searches per query kind).
    #[arg(long, default_value_t = 2000)]
    searches: usize,
    /// Run only the patient-search benchmark, without the server: seed N patients (default
    /// 100,000) into one clinic and N/10 into a second, then time `store::patients::search`
    /// for eight kinds of query. The booking and slot-search flags do not apply.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "100000")]
    patients: Option<u64>,
    /// Run only the data-path benchmark, without the server: one SQLite read through the
    /// store's data path (SeaORM over sqlx) against `rusqlite` on the task's own thread, from
    /// `--clients` tasks for `--seconds` each, twice.
    #[arg(long, conflicts_with_all = ["patients", "database_url", "pg_admin_url"])]
    data_path: bool,
    /// Send an `Idempotency-Key` with every booking.
    #[arg(long)]
    idempotency: bool,
    /// Every client books the same doctor (distinct slots): how much one doctor's bookings
    /// wait for each other, against the run spread over all doctors.
    #[arg(long)]
    one_doctor: bool,
    /// Also run the experiments that say where the time goes: commits that bump a shared
    /// row, booking-shaped transactions, shorter and empty searches, and the search's
    /// database reads alone.
    #[arg(long)]
    experiments: bool,
    /// The `docspot` binary. Default: next to this one.
    #[arg(long)]
    docspot: Option<PathBuf>,
    /// Keep the data folder (and the PostgreSQL database) afterwards.
    #[arg(long)]
    keep: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `admin` with its database name replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let base = admin.split('?').next().unwrap_or(admin);
    let host_start = base.find("://").map_or(0, |i| i + 3);
    match base[host_start..].find('/') {
        Some(slash) => format!("{}/{name}", &base[..host_start + slash]),
        None => format!("{base}/{name}"),
    }
}

async fn admin_exec(admin_url: &str, sql: &str) -> Result<(), String> {
    let admin = Store::connect(&DbConfig {
        url: admin_url.to_owned(),
        max_connections: 1,
    })
    .await
    .map_err(|e| format!("cannot reach {}: {e}", store::redact_url(admin_url)))?;
    admin
        .execute_unprepared(sql)
        .await
        .map_err(|e| format!("{sql}: {e}"))
}

async fn run(args: Args) -> Result<(), String> {
    let binary = match &args.docspot {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name("docspot"),
    };
    if args.patients.is_none() && !args.data_path && !binary.is_file() {
        return Err(format!(
            "no docspot binary at {}: build it with `cargo build --release -p docspot-server` or pass --docspot",
            binary.display()
        ));
    }
    if args.doctors < 2 || args.clients == 0 {
        return Err("need at least 2 doctors and 1 client".into());
    }
    let stamp = seed::wall_now().as_millisecond();
    let work = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("/var/tmp/docspot-bench-{stamp}")));
    if std::fs::read_dir(&work).is_ok_and(|mut d| d.next().is_some()) {
        return Err(format!("{} is not empty", work.display()));
    }
    std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
    let fresh_pg = args
        .pg_admin_url
        .as_ref()
        .map(|admin| (admin.clone(), format!("docspot_bench_{stamp}")));
    let url = match (&fresh_pg, &args.database_url) {
        (Some((admin, name)), _) => {
            admin_exec(admin, &format!("CREATE DATABASE {name}")).await?;
            eprintln!("created database {name}");
            with_database(admin, name)
        }
        (None, Some(u)) => u.clone(),
        (None, None) => format!("sqlite://{}/docspot.db?mode=rwc", work.display()),
    };
    let result = match args.patients {
        _ if args.data_path => datapath::run(&work, args.clients, args.seconds).await,
        Some(n) => patients::run(&url, n, args.searches).await,
        None => measure(&args, &binary, &work, &url).await,
    };
    if args.keep {
        eprintln!("kept {} (server log: server.log)", work.display());
    } else {
        if let Some((admin, name)) = &fresh_pg {
            match admin_exec(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await
            {
                Ok(()) => eprintln!("dropped database {name}"),
                Err(e) => eprintln!("warning: {e}"),
            }
        }
        if result.is_ok() {
            let _ = std::fs::remove_dir_all(&work);
        } else {
            eprintln!("kept {} for its server.log", work.display());
        }
    }
    result
}

/// The command line as typed, with any password in a URL hidden.
fn command_line() -> String {
    let mut words = vec!["docspot-bench".to_owned()];
    words.extend(std::env::args().skip(1).map(|a| store::redact_url(&a)));
    words.join(" ")
}

async fn database_version(store: &Store) -> String {
    let sql = match store.backend() {
        DbBackend::Postgres => "SELECT 'PostgreSQL ' || current_setting('server_version') AS v",
        _ => "SELECT 'SQLite ' || sqlite_version() AS v",
    };
    let row = store
        .conn()
        .query_one_raw(Statement::from_string(store.backend(), sql))
        .await;
    match row {
        Ok(Some(r)) => r.try_get::<String>("", "v").unwrap_or_default(),
        _ => "unknown".into(),
    }
}

/// Runs `fut` and returns its output with the CPU time used meanwhile.
async fn metered<T>(meter: &cpu::Meter, fut: impl Future<Output = T>) -> Metered<T> {
    let before = meter.snapshot();
    let run = fut.await;
    Metered {
        run,
        cpu: meter.usage(before, meter.snapshot()),
    }
}

async fn measure(args: &Args, binary: &Path, work: &Path, url: &str) -> Result<(), String> {
    let postgres = url.starts_with("postgres");
    // The pool the server opens for this backend (startup::connect).
    let pool = if postgres { 16 } else { 8 };
    // The raw commit runs measure the database's own commit rate: each transaction commits
    // on its own, as before group commit.
    let store = Store::connect(&DbConfig {
        url: url.to_owned(),
        max_connections: pool,
    })
    .await
    .map_err(|e| format!("cannot open the database: {e}"))?
    .without_group_commit();
    store.migrate().await.map_err(|e| e.to_string())?;
    let version = database_version(&store).await;
    eprintln!(
        "seeding {} appointments over {} doctors…",
        args.appointments, args.doctors
    );
    let seeded = seed::seed(&store, args.doctors, args.appointments).await?;
    eprintln!("seeded in {:.1} s", seeded.elapsed.as_secs_f64());

    let srv = server::Server::start(&server::Launch {
        binary,
        data_dir: work,
        database_url: postgres.then_some(url),
        log_file: work.join("server.log"),
    })?;
    let meter = cpu::Meter::new(Some(srv.pid()));
    let rss_start = srv.rss_kib();
    eprintln!("docspot is up at {}", srv.url);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients + 4)
        .build()
        .map_err(|e| e.to_string())?;
    let tokens = load::sign_up(&http, &srv.url, args.clients).await?;
    let rss_signed_up = srv.rss_kib();
    let searched = seeded.doctors[0];
    let picker = Arc::new(load::SlotPicker::new(
        &seeded,
        searched,
        args.clients,
        args.one_doctor,
    )?);
    load::warm_up(&http, &srv.url, &seeded, &tokens, &picker).await?;

    let ids = Arc::new(AtomicI64::new(1));
    let doctors = Arc::new(seeded.doctors.clone());
    let (n, secs) = (args.clients, args.seconds);
    let raw = |shape, clients| commits::run(&store, shape, &doctors, &ids, clients, secs);
    eprintln!("raw commits, {n} clients…");
    let raw_before = metered(&meter, raw(Shape::Plain, n)).await;
    eprintln!("raw commits, 1 client…");
    let raw_one = metered(&meter, raw(Shape::Plain, 1)).await;
    eprintln!("bookings, {n} clients…");
    let writes_before = load::write_counts(&http, &srv.url).await;
    let booked = metered(
        &meter,
        load::book(
            &http,
            &srv.url,
            &seeded,
            &tokens,
            &picker,
            secs,
            args.idempotency,
        ),
    )
    .await;
    let grouped = match (writes_before, load::write_counts(&http, &srv.url).await) {
        (Some((t0, c0)), Some((t1, c1))) => Some((t1 - t0, c1 - c0)),
        _ => None,
    };
    eprintln!("raw commits again, {n} clients…");
    let raw_after = metered(&meter, raw(Shape::Plain, n)).await;
    eprintln!("{} slot searches…", args.searches);
    let month = load::window(&seeded, 1, 30);
    let search = |window, count| load::search(&http, &srv.url, &seeded, searched, window, count);
    let searches = metered(&meter, search(month, args.searches)).await;
    let experiments = if args.experiments {
        eprintln!("experiments…");
        let hot_row = metered(&meter, raw(Shape::HotRow, n)).await;
        let booking_like = metered(&meter, raw(Shape::BookingLike { reads: 15 }, n)).await;
        let search_one_day =
            metered(&meter, search(load::window(&seeded, 1, 1), args.searches)).await;
        // Past the seeded days and the bench bookings, inside the 365-day horizon.
        let empty = load::window(&seeded, 306, 30);
        let search_empty = metered(&meter, search(empty, args.searches)).await;
        let search_reads =
            experiments::search_reads(&store, &seeded, searched, month, args.searches).await?;
        let get = |path, signed_in| load::get(&http, &srv.url, path, &tokens, signed_in, secs);
        let signed_in_reads = metered(&meter, get("/api/v1/me/sessions", true)).await;
        let audited_reads = metered(&meter, get("/api/v1/me", true)).await;
        let http_only = metered(&meter, get("/healthz", false)).await;
        Some(Experiments {
            signed_in_reads,
            audited_reads,
            http_only,
            booking_like,
            hot_row,
            search_one_day,
            search_empty,
            search_reads,
        })
    } else {
        None
    };
    let rss_after = srv.rss_kib();
    srv.stop().await;

    report::print(
        &Results {
            postgres,
            version,
            pool,
            clients: n,
            seeded,
            raw_before,
            raw_one,
            raw_after,
            booked,
            grouped,
            search: searches,
            experiments,
            rss: [rss_start, rss_signed_up, rss_after],
        },
        &command_line(),
        &seed::wall_now().strftime("%Y-%m-%d %H:%M").to_string(),
    );
    Ok(())
}
