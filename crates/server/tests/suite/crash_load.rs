//! `kill -9` under booking load: the real `docspot` binary is killed ten times while sixteen
//! patients book as fast as it answers. Every booking it acknowledged is there afterwards,
//! with its event, its e-mail job and its audit event; every request cut off by a kill and
//! sent again with its `Idempotency-Key` books once; the audit chains verify.

use crate::backends::each_backend;
use crate::helpers::{TestApp, serve};
use crate::race::overlapping_pairs;
use crate::world::world;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PW: &str = "correct horse battery staple";
const PATIENTS: usize = 16;
const KILLS: u64 = 10;

/// A booking request: who sends it, with which key, for which slot.
#[derive(Clone)]
struct Request {
    token: String,
    key: String,
    body: serde_json::Value,
}

/// What one answer said: the appointment it acknowledged (and whether it was the replay of
/// one made before), or that the server was gone.
enum Answer {
    Acknowledged(String, bool),
    CutOff,
}

async fn send(client: &reqwest::Client, url: &str, r: &Request) -> Answer {
    let sent = client
        .post(url)
        .header("authorization", format!("Bearer {}", r.token))
        .header("idempotency-key", &r.key)
        .json(&r.body)
        .send()
        .await;
    let Ok(res) = sent else {
        return Answer::CutOff;
    };
    let status = res.status().as_u16();
    let Ok(bytes) = res.bytes().await else {
        return Answer::CutOff;
    };
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    // 201 for a new booking, 200 for the replay of one a kill cut off after its commit.
    assert!(
        status == 201 || status == 200,
        "a booking of a free slot is acknowledged, got {status}: {body}"
    );
    let id = body["id"].as_str().expect("an appointment id").to_owned();
    Answer::Acknowledged(id, status == 200)
}

/// Every bookable start of the world's doctor (09:00–13:00 and 14:00–17:00 in Kolkata, 20
/// minutes a visit) from tomorrow on, for `days` days, by the real clock.
fn slots(days: i64) -> VecDeque<String> {
    let zone = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
    #[allow(clippy::disallowed_methods)] // the server processes run on the real clock
    let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
    let mut out = VecDeque::new();
    for d in 1..=days {
        let day = today.checked_add(jiff::Span::new().days(d)).unwrap();
        for (from, count) in [(9 * 60, 12), (14 * 60, 9)] {
            for i in 0..count {
                let minute = from + i * 20;
                let at = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
                out.push_back(at.to_zoned(zone.clone()).unwrap().timestamp().to_string());
            }
        }
    }
    out
}

/// The one column `column` of what `sql` reads, as text.
async fn column<T: sea_orm::TryGetable + ToString>(
    app: &TestApp,
    sql: &str,
    column: &str,
) -> HashSet<String> {
    let c = app.state.store().conn();
    c.query_all_raw(Statement::from_string(c.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<T>("", column).unwrap().to_string())
        .collect()
}

each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    acknowledged_bookings_survive_ten_kill_9s_under_load
);
async fn acknowledged_bookings_survive_ten_kill_9s_under_load(app: TestApp) {
    let w = world(&app, "kill9").await;
    let r = app
        .put(
            &w.at("/booking-policy"),
            Some(&w.admin),
            json!({"min_notice_min": 0, "horizon_days": 90, "cancel_cutoff_min": 0}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let emails: Vec<String> = (0..PATIENTS).map(|i| format!("p{i}@kill9.test")).collect();
    for (i, e) in emails.iter().enumerate() {
        app.register(e, &format!("Patient {i}")).await;
    }
    let dir = std::env::temp_dir().join(format!("docspot-kill9-{}", uuid::Uuid::now_v7().simple()));
    let dir_arg = dir.display().to_string();
    let args = [
        "--no-worker",
        "--database-url",
        app.db_url.as_str(),
        "--data-dir",
        dir_arg.as_str(),
        "--auth-rate-per-ip",
        "100000",
        "--auth-rate-per-account",
        "100000",
    ];
    let start = || {
        let args = args.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            serve(&args.iter().map(String::as_str).collect::<Vec<_>>())
        })
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let free = Arc::new(Mutex::new(slots(89)));
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut cut_off: Vec<Request> = Vec::new();
    let mut tokens = Vec::new();
    let mut replays = 0;

    for round in 0..=KILLS {
        let (mut proc, url, _) = start().await.unwrap();
        let book_url = format!("{url}{}", w.at("/appointments"));
        if tokens.is_empty() {
            for e in &emails {
                let res = client
                    .post(format!("{url}/api/v1/auth/login"))
                    .json(&json!({"email": e, "password": PW}))
                    .send()
                    .await
                    .unwrap();
                let body: serde_json::Value = res.json().await.unwrap();
                tokens.push(body["access_token"].as_str().expect("signed in").to_owned());
            }
        }
        // What the last kill cut off is sent again, with the same key: it books once.
        for r in std::mem::take(&mut cut_off) {
            match send(&client, &book_url, &r).await {
                Answer::Acknowledged(id, replay) => {
                    replays += usize::from(replay);
                    acknowledged.lock().unwrap().push(id);
                }
                Answer::CutOff => panic!("the restarted server answers"),
            }
        }
        if round == KILLS {
            break;
        }
        let booked_before = acknowledged.lock().unwrap().len();
        let mut clients = Vec::new();
        for token in &tokens {
            let (client, book_url, free, acknowledged) = (
                client.clone(),
                book_url.clone(),
                free.clone(),
                acknowledged.clone(),
            );
            let (token, doctor, visit_type) =
                (token.clone(), w.doctor.clone(), w.visit_type.clone());
            clients.push(tokio::spawn(async move {
                loop {
                    let start = free.lock().unwrap().pop_front().expect("free slots left");
                    let r = Request {
                        token: token.clone(),
                        key: uuid::Uuid::now_v7().to_string(),
                        body: json!({"doctor_id": doctor, "visit_type_id": visit_type, "start": start}),
                    };
                    match send(&client, &book_url, &r).await {
                        Answer::Acknowledged(id, _) => acknowledged.lock().unwrap().push(id),
                        Answer::CutOff => return r,
                    }
                }
            }));
        }
        // Kill once the load is under way (however slow the machine), at a different point
        // of it each round.
        let under_way = booked_before + 5 + 3 * round as usize;
        let waited = std::time::Instant::now();
        while acknowledged.lock().unwrap().len() < under_way {
            assert!(
                waited.elapsed() < Duration::from_secs(60),
                "round {round}: bookings are acknowledged"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(11 * round)).await;
        proc.0.kill().expect("kill -9");
        proc.0.wait().unwrap();
        for c in clients {
            cut_off.push(c.await.unwrap());
        }
    }

    let acknowledged: HashSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    let booked = column::<uuid::Uuid>(
        &app,
        "SELECT id FROM appointments WHERE status = 'booked'",
        "id",
    )
    .await;
    assert!(
        acknowledged.is_subset(&booked),
        "{}: acknowledged bookings lost: {:?}",
        app.backend,
        acknowledged.difference(&booked).collect::<Vec<_>>()
    );
    // Nothing booked that no one was told of: each cut-off request was sent again and
    // answered with the booking it had made, or made it then.
    assert_eq!(booked, acknowledged, "{}", app.backend);
    assert_eq!(overlapping_pairs(&app).await, 0, "{}", app.backend);
    // Each booking's event, e-mail job and audit event came with it.
    let subjects = column::<uuid::Uuid>(
        &app,
        "SELECT subject_id FROM events WHERE kind = 'appointment.booked'",
        "subject_id",
    )
    .await;
    assert_eq!(subjects, booked, "{}: an event per booking", app.backend);
    let events = column::<uuid::Uuid>(
        &app,
        "SELECT id FROM events WHERE kind = 'appointment.booked'",
        "id",
    )
    .await;
    let jobs = column::<String>(
        &app,
        "SELECT dedupe_key FROM jobs WHERE dedupe_key IS NOT NULL",
        "dedupe_key",
    )
    .await;
    assert!(
        events.len() == booked.len() && events.iter().all(|e| jobs.contains(&format!("email:{e}"))),
        "{}: the booking e-mail's job beside each booking's event",
        app.backend
    );
    assert_eq!(
        app.audit_count("appointment.book").await,
        booked.len(),
        "{}",
        app.backend
    );
    assert!(
        matches!(
            store::audit::verify(app.state.store().conn())
                .await
                .unwrap(),
            store::audit::Verdict::Intact(_)
        ),
        "{}: the audit chains verify",
        app.backend
    );
    eprintln!(
        "{}: {} bookings acknowledged over {KILLS} kills, {replays} of them made before a kill \
         and acknowledged on the request's second sending",
        app.backend,
        booked.len()
    );
    let _ = std::fs::remove_dir_all(dir);
}
