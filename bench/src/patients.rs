//! `--patients N`: patient search at scale, without the server. Seeds N made-up patients into
//! one clinic and N/10 into a second (so every search also filters by clinic) through
//! `store::patients::insert`, the path registration takes, then times
//! `store::patients::search` directly, one search at a time on one connection, for eight
//! kinds of query drawn at random from the seeded records. Prints a Markdown report with the
//! distributions, the database sizes and the query plans.

use crate::{
    bulk::insert_many,
    cpu, explain,
    people::{People, Person},
    seed::wall_now,
    stats::{Latency, ms},
};
use domain::{
    ClinicId,
    patient::{SearchTerms, name_words},
};
use jiff::tz::TimeZone;
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{DbBackend, Value};
use std::{
    collections::{BTreeSet, HashMap},
    time::{Duration, Instant},
};
use store::{DbConfig, Store, patients};
use uuid::Uuid;

/// The app's `SEARCH_LIMIT` (crates/server/src/app/patients.rs).
pub const LIMIT: u64 = 20;
/// Untimed searches before the timed ones, spread over the kinds.
const WARM_UP: usize = 200;
/// Query kinds, (a) to (h).
const KINDS: usize = 8;
/// Patients per write transaction while seeding.
const PER_TX: u64 = 10_000;
/// The target this run is judged against.
const TARGET_P99: Duration = Duration::from_millis(5);

/// One kind of query and the queries drawn for it.
struct Kind {
    label: &'static str,
    queries: Vec<String>,
}

/// What the timed searches of one kind gave.
struct Timed {
    latencies: Vec<Duration>,
    results: usize,
    empty: usize,
}

#[allow(clippy::print_stdout)]
fn say(line: &str) {
    println!("{line}");
}

pub fn db<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// The word of a surname that a person would type (the longest: "souza" of "D'Souza").
fn surname_word(surname: &str) -> String {
    name_words(surname)
        .into_iter()
        .max_by_key(|w| w.chars().count())
        .unwrap_or_default()
}

fn head(word: &str, n: usize) -> String {
    word.chars().take(n).collect()
}

/// Seeds both clinics (one patient of the second clinic after every ten of the first, as
/// two clinics registering side by side would); returns the first clinic's people and MRNs.
async fn seed(
    store: &Store,
    clinics: [ClinicId; 2],
    n: u64,
    rng: &mut StdRng,
) -> Result<(Vec<Person>, Vec<String>), String> {
    let started = Instant::now();
    let now = wall_now();
    let today = now.to_zoned(TimeZone::UTC).date();
    let (mut people, mut others) = (People::new(today), People::new(today));
    let mut seeded = (
        Vec::with_capacity(n as usize),
        Vec::with_capacity(n as usize),
    );
    let total = n + n / 10;
    let mut done = 0;
    while done < total {
        let tx = store.write().await.map_err(db("begin"))?;
        for _ in 0..PER_TX.min(total - done) {
            let (clinic, person) = if done % 11 == 10 {
                (clinics[1], others.next(rng))
            } else {
                (clinics[0], people.next(rng))
            };
            let p = patients::insert(&tx, clinic, None, &person.details, now)
                .await
                .map_err(db("patients::insert"))?;
            if clinic == clinics[0] {
                seeded.0.push(person);
                seeded.1.push(p.mrn);
            }
            done += 1;
        }
        store::commit(tx).await.map_err(db("commit"))?;
        eprintln!(
            "  seeded {done} patients ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(seeded)
}

/// Draws `count` queries of each kind from the first clinic's records; `words` is every
/// name word of that clinic (a query of kind (h) starts none of them).
fn draw(
    people: &[Person],
    mrns: &[String],
    words: &BTreeSet<String>,
    count: usize,
    rng: &mut StdRng,
) -> Vec<Kind> {
    // The commonest 2-letter starts of name words, counted once per patient: the worst case.
    let mut starts: HashMap<String, usize> = HashMap::new();
    for p in people {
        let mut mine: Vec<String> = name_words(&p.details.name)
            .iter()
            .filter(|w| w.chars().count() >= 2)
            .map(|w| head(w, 2))
            .collect();
        mine.sort();
        mine.dedup();
        for s in mine {
            *starts.entry(s).or_default() += 1;
        }
    }
    let mut common: Vec<(String, usize)> = starts.into_iter().collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    common.truncate(10);
    let mut kinds: [(&'static str, Vec<String>); KINDS] = [
        ("(a) surname, 3-letter prefix", vec![]),
        ("(b) full surname", vec![]),
        ("(c) first-name + surname prefixes", vec![]),
        ("(d) phone, 5 local digits", vec![]),
        ("(e) full phone", vec![]),
        ("(f) exact MRN", vec![]),
        ("(g) common 2-letter prefix", vec![]),
        ("(h) prefix matching nothing", vec![]),
    ];
    for _ in 0..count {
        let i = rng.random_range(0..people.len());
        let p = &people[i];
        let surname = surname_word(p.surname);
        let local = &p.phone[p.phone.len() - 10..];
        let no_match = loop {
            let q: String = (0..3)
                .map(|_| char::from(b'a' + rng.random_range(0..26u8)))
                .collect();
            if !words
                .range(q.clone()..)
                .next()
                .is_some_and(|w| w.starts_with(&q))
            {
                break q;
            }
        };
        let queries = [
            head(&surname, 3),
            p.surname.to_owned(),
            format!("{} {}", head(&p.first.to_lowercase(), 3), head(&surname, 3)),
            local[..5].to_owned(),
            p.phone.clone(),
            mrns[rng.random_range(0..mrns.len())].clone(),
            common[rng.random_range(0..common.len())].0.clone(),
            no_match,
        ];
        for (k, q) in kinds.iter_mut().zip(queries) {
            k.1.push(q);
        }
    }
    kinds
        .into_iter()
        .map(|(label, queries)| Kind { label, queries })
        .collect()
}

/// Times every query of every kind, taking the kinds in turn so that the machine's noise
/// falls on all of them alike; the first [`WARM_UP`] searches are not timed.
async fn time(store: &Store, clinic: ClinicId, kinds: &[Kind]) -> Result<Vec<Timed>, String> {
    let mut out: Vec<Timed> = kinds
        .iter()
        .map(|k| Timed {
            latencies: Vec::with_capacity(k.queries.len()),
            results: 0,
            empty: 0,
        })
        .collect();
    let warm = WARM_UP.div_ceil(KINDS);
    let rounds = kinds.iter().map(|k| k.queries.len()).min().unwrap_or(0);
    for round in 0..rounds {
        for (k, t) in kinds.iter().zip(out.iter_mut()) {
            let q = &k.queries[round];
            let terms = SearchTerms::parse(q).map_err(|e| format!("{q:?}: {e}"))?;
            let t0 = Instant::now();
            let found = patients::search(store.conn(), clinic, &terms, LIMIT)
                .await
                .map_err(db("patients::search"))?;
            let took = t0.elapsed();
            if round >= warm {
                t.latencies.push(took);
                t.results += found.len();
                t.empty += usize::from(found.is_empty());
            }
        }
    }
    Ok(out)
}

/// Seeds, times and reports; `url` is a fresh, empty database.
pub async fn run(url: &str, n: u64, searches: usize) -> Result<(), String> {
    if n == 0 || searches == 0 {
        return Err("--patients and --searches must be at least 1".into());
    }
    // One connection: the searches run one at a time, like one desk's.
    let store = Store::connect(&DbConfig {
        url: url.to_owned(),
        max_connections: 1,
    })
    .await
    .map_err(db("cannot open the database"))?;
    store.migrate().await.map_err(db("migrate"))?;
    let version = crate::database_version(&store).await;
    let clinics = [
        ClinicId::from_uuid(Uuid::now_v7()),
        ClinicId::from_uuid(Uuid::now_v7()),
    ];
    let now_ms = wall_now().as_millisecond();
    let mut rows: Vec<Value> = Vec::new();
    for (i, c) in clinics.iter().enumerate() {
        rows.extend([
            c.as_uuid().into(),
            format!("bench-patients-{now_ms}-{i}").into(),
            format!("Bench Clinic {}", i + 1).into(),
            "Asia/Kolkata".into(),
            "INR".into(),
            now_ms.into(),
        ]);
    }
    insert_many(
        store.conn(),
        "INSERT INTO clinics (id, slug, name, time_zone, currency, created_at)",
        6,
        rows,
    )
    .await?;

    let mut rng = StdRng::seed_from_u64(20_261_122);
    eprintln!("seeding {n} + {} patients…", n / 10);
    let started = Instant::now();
    let (people, mrns) = seed(&store, clinics, n, &mut rng).await?;
    let seeding = started.elapsed();
    if store.backend() == DbBackend::Postgres {
        // Autovacuum would have vacuumed and analysed tables this size in production.
        store
            .execute_unprepared("VACUUM (ANALYZE) patients, patient_words")
            .await
            .map_err(db("VACUUM"))?;
    }
    let words: BTreeSet<String> = people
        .iter()
        .flat_map(|p| name_words(&p.details.name))
        .collect();
    let kinds = draw(
        &people,
        &mrns,
        &words,
        searches + WARM_UP.div_ceil(KINDS),
        &mut rng,
    );

    eprintln!("{searches} searches per kind…");
    let meter = cpu::Meter::new(None);
    let before = meter.snapshot();
    let t0 = Instant::now();
    let timed = time(&store, clinics[0], &kinds).await?;
    let elapsed = t0.elapsed();
    let usage = meter.usage(before, meter.snapshot());
    let plans = [
        explain::plan(&store, clinics[0], &kinds[0].queries[0]).await?,
        explain::plan(&store, clinics[0], &kinds[2].queries[0]).await?,
    ];
    let index_words = explain::number(&store, "SELECT COUNT(*) AS n FROM patient_words").await;
    let sizes = explain::sizes(&store).await;

    let total_searches: usize = timed.iter().map(|t| t.latencies.len()).sum();
    let per_search = |d: Duration| {
        format!(
            "{:.3}",
            d.as_secs_f64() * 1000.0 / total_searches.max(1) as f64
        )
    };
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let seeded = n + n / 10;
    say(&format!("### {version}: patient search, {n} patients\n"));
    say(&format!("Command: `{}`\n", crate::command_line()));
    say(&format!(
        "Run {} UTC on {cpus} CPUs. Seeded {n} patients into one clinic and {} into a second, \
         one `store::patients::insert` each ({} in all, {PER_TX} per transaction) in {:.1} s \
         ({:.0}/s); {} index words. Sizes (MiB): {sizes}.\n",
        wall_now().strftime("%Y-%m-%d %H:%M"),
        n / 10,
        seeded,
        seeding.as_secs_f64(),
        seeded as f64 / seeding.as_secs_f64(),
        index_words.map_or("?".into(), |w| w.to_string()),
    ));
    say(&format!(
        "`store::patients::search` called directly on one connection, limit {LIMIT} (the app's \
         `SEARCH_LIMIT`), one search at a time, the kinds taken in turn: {WARM_UP} untimed \
         searches, then {total_searches} timed in {:.1} s. Machine busy meanwhile: {:.0}%; CPU \
         per search: this tool {} ms, PostgreSQL {} ms.\n",
        elapsed.as_secs_f64(),
        usage.machine_busy * 100.0,
        per_search(usage.tool),
        per_search(usage.postgres),
    ));
    say(
        "| Kind | e.g. | n | p50 ms | p90 ms | p99 ms | max ms | mean results | none found | p99 ≤ 5 ms |",
    );
    say("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (k, t) in kinds.iter().zip(timed) {
        let count = t.latencies.len();
        let Some(l) = Latency::of(t.latencies) else {
            continue;
        };
        say(&format!(
            "| {} | `{}` | {count} | {} | {} | {} | {} | {:.1} | {} | {} |",
            k.label,
            k.queries[0],
            ms(l.p50),
            ms(l.p90),
            ms(l.p99),
            ms(l.max),
            t.results as f64 / count as f64,
            t.empty,
            if l.p99 <= TARGET_P99 {
                "met"
            } else {
                "**missed**"
            },
        ));
    }
    for (i, p) in [0, 2].into_iter().zip(plans) {
        say(&format!(
            "\nPlan of {} `{}`:\n\n```\n{p}\n```",
            kinds[i].label, kinds[i].queries[0]
        ));
    }
    Ok(())
}
