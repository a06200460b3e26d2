//! The Markdown report printed at the end of a run.

use crate::{
    commits::{CommitRun, Shape},
    cpu::Usage,
    experiments::SearchReads,
    load::{LoadRun, SearchRun},
    seed::Seeded,
    stats::{LATENCY_HEADER, Latency, ms, rate},
};
use std::time::Duration;

/// A run with the CPU time it used.
pub struct Metered<T> {
    pub run: T,
    pub cpu: Usage,
}

/// Runs that say where the time goes.
pub struct Experiments {
    /// `GET /api/v1/me/sessions` with a Bearer token: HTTP, the sign-in check and one read.
    pub signed_in_reads: Metered<LoadRun>,
    /// `GET /api/v1/me`: the same, but the read is audited, so it is a write transaction
    /// that appends one audit event, as every booking does.
    pub audited_reads: Metered<LoadRun>,
    /// `GET /healthz`: HTTP alone.
    pub http_only: Metered<LoadRun>,
    pub booking_like: Metered<CommitRun>,
    pub hot_row: Metered<CommitRun>,
    pub search_one_day: Metered<SearchRun>,
    pub search_empty: Metered<SearchRun>,
    pub search_reads: SearchReads,
}

/// Everything one run measured.
pub struct Results {
    pub postgres: bool,
    pub version: String,
    pub pool: u32,
    pub clients: usize,
    pub seeded: Seeded,
    pub raw_before: Metered<CommitRun>,
    pub raw_one: Metered<CommitRun>,
    pub raw_after: Metered<CommitRun>,
    pub booked: Metered<LoadRun>,
    /// SQLite: the server's write transactions and commits during the booking run.
    pub grouped: Option<(u64, u64)>,
    pub search: Metered<SearchRun>,
    pub experiments: Option<Experiments>,
    /// Server RSS in KiB: after start, after sign-ups, after the runs.
    pub rss: [Option<u64>; 3],
}

#[allow(clippy::print_stdout)]
pub fn say(line: &str) {
    println!("{line}");
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

fn commit_rate(r: &CommitRun) -> f64 {
    rate(r.ok, r.elapsed)
}

const RUN_HEADER: &str = "| Run | per second | done | errors | seconds | CPU ms/op: server | postgres | this tool | machine busy |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|";

fn commit_label(r: &CommitRun) -> String {
    let what = match r.shape {
        Shape::Plain => "raw 1-row commits (each its own commit)".to_owned(),
        Shape::HotRow => "1-row commits + shared-row UPDATE".to_owned(),
        Shape::BookingLike { .. } => format!(
            "booking-shaped transactions ({} statements)",
            r.shape.statements()
        ),
    };
    let s = if r.clients == 1 { "" } else { "s" };
    format!("{what}, {} client{s}", r.clients)
}

fn commit_row(label: &str, m: &Metered<CommitRun>) -> String {
    let r = &m.run;
    format!(
        "| {label} | {:.0} | {} | {} | {:.1} | {} |",
        commit_rate(r),
        r.ok,
        r.errors,
        r.elapsed.as_secs_f64(),
        m.cpu.cells(r.ok)
    )
}

fn load_row(label: &str, m: &Metered<LoadRun>) -> String {
    let r = &m.run;
    format!(
        "| {label} | {:.0} | {} | {} | {:.1} | {} |",
        rate(r.done.len(), r.elapsed),
        r.done.len(),
        r.failed(),
        r.elapsed.as_secs_f64(),
        m.cpu.cells(r.done.len())
    )
}

fn search_p99_verdict(l: Option<Latency>) -> (String, &'static str) {
    match l {
        Some(l) => (
            ms(l.p99),
            if l.p99.as_secs_f64() <= 0.002 {
                "met"
            } else {
                "missed"
            },
        ),
        None => ("n/a".into(), "missed"),
    }
}

/// Prints the report for `r`; `command` is the command line that produced it.
pub fn print(r: &Results, command: &str, when: &str) {
    let backend = if r.postgres { "PostgreSQL" } else { "SQLite" };
    let s = &r.seeded;
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    say(&format!(
        "### {backend}: {} seeded appointments\n",
        s.appointments
    ));
    say(&format!("Command: `{command}`\n"));
    let writer = if r.postgres {
        ""
    } else {
        " and one writer connection"
    };
    say(&format!(
        "Run {when} UTC on {cpus} CPUs, {}; server pool {} connections{writer} (as `docspot serve` \
         opens), server, database and this tool on the same machine.\n",
        r.version, r.pool
    ));
    say(&format!(
        "Seeded {} appointments ({} past days, {} future days; the even 20-minute slots of 08:00–20:00 \
         daily) for {} doctors and {} patients in {:.1} s.\n",
        s.appointments,
        s.past_days,
        s.future_days,
        s.doctors.len(),
        s.patients,
        s.elapsed.as_secs_f64()
    ));

    say(RUN_HEADER);
    say(&commit_row(
        &format!("{}, before bookings", commit_label(&r.raw_before.run)),
        &r.raw_before,
    ));
    say(&commit_row(&commit_label(&r.raw_one.run), &r.raw_one));
    let b = &r.booked.run;
    let book_rate = rate(b.done.len(), b.elapsed);
    say(&load_row(
        &format!("**bookings (201), {} clients**", r.clients),
        &r.booked,
    ));
    say(&commit_row(
        &format!("{}, after bookings", commit_label(&r.raw_after.run)),
        &r.raw_after,
    ));
    if let Some(x) = &r.experiments {
        say(&commit_row(&commit_label(&x.hot_row.run), &x.hot_row));
        say(&commit_row(
            &commit_label(&x.booking_like.run),
            &x.booking_like,
        ));
        say(&load_row(
            &format!(
                "signed-in reads (`GET /api/v1/me/sessions`, 200), {} clients",
                r.clients
            ),
            &x.signed_in_reads,
        ));
        say(&load_row(
            &format!(
                "audited signed-in reads (`GET /api/v1/me`: 1 read + 1 audit event), {} clients",
                r.clients
            ),
            &x.audited_reads,
        ));
        say(&load_row(
            &format!("HTTP only (`GET /healthz`, 200), {} clients", r.clients),
            &x.http_only,
        ));
    }
    let sr = &r.search.run;
    say(&format!(
        "| slot searches, 1 client | {:.0} | {} | {} | {:.1} | {} |",
        rate(sr.latencies.len(), sr.latencies.iter().sum()),
        sr.latencies.len(),
        sr.errors,
        sr.latencies.iter().sum::<Duration>().as_secs_f64(),
        r.search.cpu.cells(sr.latencies.len() + 50)
    ));
    say("");

    let reference = (commit_rate(&r.raw_before.run) + commit_rate(&r.raw_after.run)) / 2.0;
    let ratio = if reference > 0.0 {
        100.0 * book_rate / reference
    } else {
        0.0
    };
    say(&format!(
        "**Booking rate / raw commit rate: {ratio:.0}%** ({book_rate:.0} / {reference:.0}, the mean of the two raw \
         runs with {} clients; target ≥ 60%: {}).\n",
        r.clients,
        if ratio >= 60.0 { "met" } else { "missed" }
    ));
    if let Some(x) = &r.experiments {
        let pct = |m: &Metered<LoadRun>| 100.0 * rate(m.run.done.len(), m.run.elapsed) / reference;
        say(&format!(
            "For scale, with the same {} clients and against the same raw commit rate: HTTP alone \
             runs at {:.0}%, a signed-in read at {:.0}%, and a signed-in read that appends one audit \
             event (the smallest write transaction the API makes; a booking writes that and more) \
             at {:.0}%.\n",
            r.clients,
            pct(&x.http_only),
            pct(&x.signed_in_reads),
            pct(&x.audited_reads)
        ));
    }
    let statuses: Vec<String> = b
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    say(&format!(
        "Booking answers by status: {}.",
        statuses.join(", ")
    ));
    if let Some((transactions, commits)) = r.grouped {
        say(&format!(
            "SQLite's writer during the booking run (the server's `/metrics`): {transactions} write \
             transactions in {commits} commits ({:.1} a commit).",
            transactions as f64 / commits.max(1) as f64
        ));
    }
    if let Some(e) = &b.first_error {
        say(&format!(
            "First non-201 answer: `{}`",
            e.chars().take(300).collect::<String>()
        ));
    }
    for c in [&r.raw_before, &r.raw_one, &r.raw_after] {
        if let Some(e) = &c.run.first_error {
            say(&format!("A commit failed: `{e}`"));
        }
    }
    say("");

    say(LATENCY_HEADER);
    let mut rows = vec![
        (
            format!("raw commit ({} clients, before bookings)", r.clients),
            Latency::of(r.raw_before.run.latencies.clone()),
        ),
        (
            "raw commit (1 client)".to_owned(),
            Latency::of(r.raw_one.run.latencies.clone()),
        ),
        (
            format!("booking, 201 answers ({} clients)", r.clients),
            Latency::of(b.done.clone()),
        ),
        (
            format!("booking, all answers ({} clients)", r.clients),
            Latency::of(b.all.clone()),
        ),
    ];
    if let Some(x) = &r.experiments {
        rows.push((
            commit_label(&x.booking_like.run),
            Latency::of(x.booking_like.run.latencies.clone()),
        ));
        rows.push((
            format!("signed-in read ({} clients)", r.clients),
            Latency::of(x.signed_in_reads.run.done.clone()),
        ));
        rows.push((
            format!("audited signed-in read ({} clients)", r.clients),
            Latency::of(x.audited_reads.run.done.clone()),
        ));
    }
    rows.push((
        "**slot search, 1 doctor × 30 days (1 client)**".to_owned(),
        Latency::of(sr.latencies.clone()),
    ));
    if let Some(x) = &r.experiments {
        rows.push((
            "slot search, 1 doctor × 1 day".to_owned(),
            Latency::of(x.search_one_day.run.latencies.clone()),
        ));
        rows.push((
            "slot search, 1 doctor × 30 days without appointments".to_owned(),
            Latency::of(x.search_empty.run.latencies.clone()),
        ));
        rows.push((
            "the search's database reads only: clinic, then rules and busy time in one query (in this tool)".to_owned(),
            Latency::of(x.search_reads.all.clone()),
        ));
        rows.push((
            format!(
                "the busy-time read alone ({} appointments in one row)",
                x.search_reads.busy_rows
            ),
            Latency::of(x.search_reads.busy.clone()),
        ));
    }
    for (label, l) in &rows {
        if let Some(l) = l {
            say(&l.row(label));
        }
    }
    say("");
    let (p99, verdict) = search_p99_verdict(Latency::of(sr.latencies.clone()));
    say(&format!(
        "Slot search: `GET /api/v1/clinics/{{clinic}}/slots?{}` (the first answer listed {} free slots), \
         {} errors; **p99 {p99} ms, target ≤ 2 ms: {verdict}**. Latencies are measured by the client \
         and include HTTP.",
        sr.query
            .replace(&s.visit_type_id.to_string(), "{vt}")
            .replace(&s.doctors[0].to_string(), "{doctor}"),
        sr.slots,
        sr.errors,
    ));
    if let Some(x) = &r.experiments {
        say(&format!(
            "The 1-day search listed {} slots ({}); the search without appointments listed {} ({}).",
            x.search_one_day.run.slots,
            x.search_one_day
                .run
                .query
                .rsplit('&')
                .take(2)
                .collect::<Vec<_>>()
                .join(" "),
            x.search_empty.run.slots,
            x.search_empty
                .run
                .query
                .rsplit('&')
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if let Some(e) = &sr.first_error {
        say(&format!("First failed search: `{e}`"));
    }
    say("");
    say(&format!(
        "Server RSS: {} after start, {} after {} sign-ups and logins, {} after the runs.\n",
        mib(r.rss[0]),
        mib(r.rss[1]),
        r.clients,
        mib(r.rss[2])
    ));
}
