//! HTTP load against the running server: patient sign-up, concurrent booking, slot search,
//! and plain requests for comparison.

use crate::seed::{SLOTS_PER_DAY, Seeded};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use uuid::Uuid;

const PASSWORD: &str = "bench horse battery staple";

/// Registers `n` patient accounts and logs each in; returns their access tokens.
pub async fn sign_up(http: &Client, base: &str, n: usize) -> Result<Vec<String>, String> {
    let tag = crate::seed::wall_now().as_millisecond();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (http, base) = (http.clone(), base.to_owned());
        tasks.spawn(async move {
            let email = format!("patient{i}-{tag}@bench.example.com");
            let res = http
                .post(format!("{base}/api/v1/auth/register"))
                .json(&json!({"email": email, "name": format!("Bench Patient {i}"), "password": PASSWORD}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if res.status() != StatusCode::CREATED {
                return Err(format!("register: {} {}", res.status(), res.text().await.unwrap_or_default()));
            }
            let res = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if res.status() != StatusCode::OK {
                return Err(format!("login: {} {}", res.status(), res.text().await.unwrap_or_default()));
            }
            let body: Value = res.json().await.map_err(|e| e.to_string())?;
            body["access_token"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("login answer without access_token: {body}"))
        });
    }
    let mut tokens = Vec::with_capacity(n);
    while let Some(t) = tasks.join_next().await {
        tokens.push(t.map_err(|e| e.to_string())??);
    }
    Ok(tokens)
}

/// Hands out distinct free slots (odd grid slots, from tomorrow on). Client `c` books only
/// doctors whose index is `c` modulo the number of clients, so clients never race for a
/// slot, and moves to a later slot with every booking, since a patient may not hold two
/// overlapping appointments. Each booking goes to the client's next doctor in turn. With
/// `one_doctor`, every client books the same doctor, client `c` taking the slots `c`,
/// `c + clients`, … of its grid.
pub struct SlotPicker {
    seeded: Seeded,
    /// Per client: its doctors and how many slots it has taken.
    clients: Vec<(Vec<Uuid>, AtomicU64)>,
    one_doctor: bool,
}

impl SlotPicker {
    /// Spreads the doctors other than `skip` over `clients` clients (or gives them all the
    /// first of them, `one_doctor`).
    pub fn new(
        seeded: &Seeded,
        skip: Uuid,
        clients: usize,
        one_doctor: bool,
    ) -> Result<SlotPicker, String> {
        let doctors: Vec<Uuid> = seeded
            .doctors
            .iter()
            .copied()
            .filter(|d| *d != skip)
            .collect();
        if doctors.len() < clients {
            return Err(format!(
                "{} clients need at least {} doctors",
                clients,
                clients + 1
            ));
        }
        Ok(SlotPicker {
            seeded: seeded.clone(),
            clients: (0..clients)
                .map(|c| {
                    let own = if one_doctor {
                        vec![doctors[0]]
                    } else {
                        doctors.iter().skip(c).step_by(clients).copied().collect()
                    };
                    (own, AtomicU64::new(0))
                })
                .collect(),
            one_doctor,
        })
    }

    /// The next doctor and slot start (RFC 3339) for `client`.
    fn pick(&self, client: usize) -> (Uuid, String) {
        let (doctors, taken) = &self.clients[client];
        let mut k = taken.fetch_add(1, Ordering::Relaxed) as i64;
        if self.one_doctor {
            k = k * self.clients.len() as i64 + client as i64;
        }
        let free_per_day = SLOTS_PER_DAY / 2;
        let day = 1 + k / free_per_day;
        let slot = 2 * (k % free_per_day) + 1;
        let start = jiff::Timestamp::from_millisecond(self.seeded.slot_start_ms(day, slot))
            .map(|t| t.to_string())
            .unwrap_or_default();
        (doctors[k as usize % doctors.len()], start)
    }
}

/// What one run of concurrent requests gave.
pub struct LoadRun {
    pub elapsed: Duration,
    /// Latencies of the answers with the expected status.
    pub done: Vec<Duration>,
    /// Latencies of every answer.
    pub all: Vec<Duration>,
    /// Answers by status (0 = transport error).
    pub statuses: BTreeMap<u16, usize>,
    /// The first answer without the expected status, for the report.
    pub first_error: Option<String>,
}

impl LoadRun {
    /// Answers that did not have the expected status.
    pub fn failed(&self) -> usize {
        self.all.len() - self.done.len()
    }
}

async fn send(req: reqwest::RequestBuilder, expected: StatusCode) -> (u16, Option<String>) {
    match req.send().await {
        Ok(res) => {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            let detail = (status != expected).then(|| format!("{status} {text}"));
            (status.as_u16(), detail)
        }
        Err(e) => (0, Some(e.to_string())),
    }
}

fn booking(
    http: &Client,
    url: &str,
    token: &str,
    body: &Value,
    idempotency: bool,
) -> reqwest::RequestBuilder {
    let req = http.post(url).bearer_auth(token).json(body);
    if idempotency {
        req.header("Idempotency-Key", Uuid::now_v7().to_string())
    } else {
        req
    }
}

/// One booking per client, untimed: creates each patient's record at the clinic and opens
/// the connections.
pub async fn warm_up(
    http: &Client,
    base: &str,
    seeded: &Seeded,
    tokens: &[String],
    picker: &Arc<SlotPicker>,
) -> Result<(), String> {
    let url = format!("{base}/api/v1/clinics/{}/appointments", seeded.clinic_id);
    for (client, token) in tokens.iter().enumerate() {
        let (doctor, start) = picker.pick(client);
        let body =
            json!({"doctor_id": doctor, "visit_type_id": seeded.visit_type_id, "start": start});
        let req = booking(http, &url, token, &body, false);
        if let (status, Some(detail)) = send(req, StatusCode::CREATED).await {
            return Err(format!("warm-up booking failed ({status}): {detail}"));
        }
    }
    Ok(())
}

/// Every client books distinct free slots back to back for `seconds`.
pub async fn book(
    http: &Client,
    base: &str,
    seeded: &Seeded,
    tokens: &[String],
    picker: &Arc<SlotPicker>,
    seconds: f64,
    idempotency: bool,
) -> LoadRun {
    let url = format!("{base}/api/v1/clinics/{}/appointments", seeded.clinic_id);
    let (http, picker, vt) = (http.clone(), picker.clone(), seeded.visit_type_id);
    hammer(
        tokens,
        seconds,
        StatusCode::CREATED,
        move |client, token| {
            let (doctor, start) = picker.pick(client);
            let body = json!({"doctor_id": doctor, "visit_type_id": vt, "start": start});
            booking(&http, &url, token, &body, idempotency)
        },
    )
    .await
}

/// Every client sends `GET path` back to back for `seconds`, signed in or not: what the
/// server's HTTP and sign-in check cost without a booking's work.
pub async fn get(
    http: &Client,
    base: &str,
    path: &str,
    tokens: &[String],
    signed_in: bool,
    seconds: f64,
) -> LoadRun {
    let (http, url) = (http.clone(), format!("{base}{path}"));
    hammer(tokens, seconds, StatusCode::OK, move |_, token| {
        let req = http.get(&url);
        if signed_in {
            req.bearer_auth(token)
        } else {
            req
        }
    })
    .await
}

/// One task per token sends the requests `request(client, token)` builds, back to back, for
/// `seconds`; answers with status `expected` count as done.
async fn hammer(
    tokens: &[String],
    seconds: f64,
    expected: StatusCode,
    request: impl Fn(usize, &str) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> LoadRun {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let request = Arc::new(request);
    let mut tasks = tokio::task::JoinSet::new();
    for (client, token) in tokens.iter().enumerate() {
        let (request, token) = (request.clone(), token.clone());
        tasks.spawn(async move {
            let mut out = Vec::new();
            let mut first_error = None;
            while Instant::now() < deadline {
                let req = request(client, &token);
                let t0 = Instant::now();
                let (status, detail) = send(req, expected).await;
                out.push((status, t0.elapsed()));
                if first_error.is_none() {
                    first_error = detail;
                }
            }
            (out, first_error)
        });
    }
    let mut run = LoadRun {
        elapsed: Duration::ZERO,
        done: Vec::new(),
        all: Vec::new(),
        statuses: BTreeMap::new(),
        first_error: None,
    };
    while let Some(joined) = tasks.join_next().await {
        let Ok((out, first_error)) = joined else {
            continue;
        };
        for (status, lat) in out {
            *run.statuses.entry(status).or_default() += 1;
            run.all.push(lat);
            if status == expected.as_u16() {
                run.done.push(lat);
            }
        }
        if run.first_error.is_none() {
            run.first_error = first_error;
        }
    }
    run.elapsed = started.elapsed();
    run
}

/// What the slot search run gave.
pub struct SearchRun {
    pub latencies: Vec<Duration>,
    pub errors: usize,
    pub first_error: Option<String>,
    /// Free slots in the first answer, and the query string.
    pub slots: usize,
    pub query: String,
}

/// The local dates from `first` days after the seed day, `days` days long (inclusive).
pub fn window(seeded: &Seeded, first: i64, days: i64) -> (jiff::civil::Date, jiff::civil::Date) {
    let day = |n: i64| {
        seeded
            .today
            .checked_add(jiff::Span::new().days(n))
            .unwrap_or(seeded.today)
    };
    (day(first), day(first + days - 1))
}

/// One client searches one doctor's slots from `from` to `to` (local dates, inclusive),
/// `count` times in a row after 50 untimed warm-up searches.
pub async fn search(
    http: &Client,
    base: &str,
    seeded: &Seeded,
    doctor: Uuid,
    (from, to): (jiff::civil::Date, jiff::civil::Date),
    count: usize,
) -> SearchRun {
    let query = format!(
        "doctor_id={doctor}&visit_type_id={}&from={from}&to={to}",
        seeded.visit_type_id
    );
    let url = format!("{base}/api/v1/clinics/{}/slots?{query}", seeded.clinic_id);
    let mut run = SearchRun {
        latencies: Vec::with_capacity(count),
        errors: 0,
        first_error: None,
        slots: 0,
        query,
    };
    for i in 0..count + 50 {
        let t0 = Instant::now();
        let answer = match http.get(&url).send().await {
            Ok(res) if res.status() == StatusCode::OK => {
                res.bytes().await.map_err(|e| e.to_string())
            }
            Ok(res) => Err(format!(
                "{} {}",
                res.status(),
                res.text().await.unwrap_or_default()
            )),
            Err(e) => Err(e.to_string()),
        };
        let lat = t0.elapsed();
        match answer {
            Ok(bytes) => {
                if i == 0 {
                    let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                    run.slots = v["doctors"][0]["slots"].as_array().map_or(0, Vec::len);
                }
                if i >= 50 {
                    run.latencies.push(lat);
                }
            }
            Err(e) => {
                run.errors += 1;
                run.first_error.get_or_insert(e);
            }
        }
    }
    run
}

/// SQLite's writer counters from the server's `/metrics`: write transactions committed and
/// the commits that took them (`None` on PostgreSQL, or if unreadable).
pub async fn write_counts(http: &Client, base: &str) -> Option<(u64, u64)> {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let count = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<u64>().ok())
    };
    Some((
        count("docspot_sqlite_write_transactions_total ")?,
        count("docspot_sqlite_commits_total ")?,
    ))
}
