//! The server process under operations: graceful shutdown on SIGTERM and SIGINT, and
//! connections that idle, stall in their headers or never send their body are closed.

use crate::helpers::serve;
use std::time::{Duration, Instant};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

fn host_port(url: &str) -> String {
    url.trim_start_matches("http://").to_owned()
}

/// Reads until the peer closes the connection or `limit` passes; what was read, and
/// whether it closed.
async fn read_until_closed(s: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

const BODY: &str =
    r#"{"email":"EMAIL","password":"correct horse battery staple","name":"In Flight"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_and_sigint_finish_requests_in_flight_end_live_streams_and_exit_in_time() {
    for sig in ["TERM", "INT"] {
        let data =
            std::env::temp_dir().join(format!("docspot-stop-{}", uuid::Uuid::now_v7().simple()));
        let (mut proc, url, _) = tokio::task::spawn_blocking({
            let data = data.display().to_string();
            move || serve(&["--demo", "--data-dir", &data, "--shutdown-timeout", "8"])
        })
        .await
        .unwrap();
        let addr = host_port(&url);

        // A waiting-room board is open.
        let mut board = TcpStream::connect(&addr).await.unwrap();
        board
            .write_all(b"GET /c/sunrise/board/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 64];
        let n = board.read(&mut first).await.unwrap();
        assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));

        // Eight sign-ups are on their way: headers sent, half of each body.
        let mut in_flight = Vec::new();
        for i in 0..8 {
            let body = BODY.replace("EMAIL", &format!("flight{i}.{sig}@example.com"));
            let mut s = TcpStream::connect(&addr).await.unwrap();
            let head = format!(
                "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).await.unwrap();
            s.write_all(&body.as_bytes()[..20]).await.unwrap();
            in_flight.push((s, body));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let asked = Instant::now();
        signal(proc.0.id(), sig);
        tokio::time::sleep(Duration::from_millis(300)).await;

        // The rest of each body arrives after the signal; every request is answered.
        for (s, body) in &mut in_flight {
            s.write_all(&body.as_bytes()[20..]).await.unwrap();
        }
        for (i, (s, _)) in in_flight.iter_mut().enumerate() {
            let (answer, _) = read_until_closed(s, Duration::from_secs(8)).await;
            assert!(
                answer.starts_with("HTTP/1.1 201"),
                "SIG{sig}: request {i} in flight was answered: {answer:?}"
            );
        }
        // The board's stream ended instead of holding the server open.
        let (_, closed) = read_until_closed(&mut board, Duration::from_secs(8)).await;
        assert!(closed, "SIG{sig}: the board stream ends");
        // No new connections are taken.
        let refused = TcpStream::connect(&addr).await;
        assert!(refused.is_err(), "SIG{sig}: the listener is closed");
        // And the process exits, successfully, well within the deadline.
        let mut status = None;
        for _ in 0..100 {
            if let Some(s) = proc.0.try_wait().unwrap() {
                status = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let status = status.unwrap_or_else(|| panic!("SIG{sig}: still running after 10 s"));
        assert!(status.success(), "SIG{sig}: exit status {status}");
        assert!(
            asked.elapsed() < Duration::from_secs(8),
            "SIG{sig}: took {:?}",
            asked.elapsed()
        );
        let _ = std::fs::remove_dir_all(&data);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_stalled_and_bodiless_connections_are_closed_but_live_streams_stay() {
    let data = std::env::temp_dir().join(format!("docspot-slow-{}", uuid::Uuid::now_v7().simple()));
    let (_proc, url, _) = tokio::task::spawn_blocking({
        let data = data.display().to_string();
        move || {
            serve(&[
                "--demo",
                "--data-dir",
                &data,
                "--header-read-timeout",
                "1",
                "--request-timeout",
                "2",
            ])
        }
    })
    .await
    .unwrap();
    let addr = host_port(&url);

    let mut board = TcpStream::connect(&addr).await.unwrap();
    board
        .write_all(b"GET /c/sunrise/board/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // 200 connections that never say anything, and 20 that stop mid-header.
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(&addr).await.unwrap());
    }
    let mut stalled = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        stalled.push(s);
    }
    // A body promised and never sent.
    let mut bodiless = TcpStream::connect(&addr).await.unwrap();
    bodiless
        .write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"")
        .await
        .unwrap();

    let started = Instant::now();
    for (i, s) in idle.iter_mut().chain(stalled.iter_mut()).enumerate() {
        let (_, closed) = read_until_closed(s, Duration::from_secs(5)).await;
        assert!(closed, "connection {i} is closed by the server");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let (answer, _) = read_until_closed(&mut bodiless, Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("application/problem+json"), "{answer:?}");

    // The board's stream outlives the request timeout.
    let (seen, closed) = read_until_closed(&mut board, Duration::from_millis(2500)).await;
    assert!(!closed, "the live stream is still open: {seen:?}");
    assert!(
        seen.starts_with("HTTP/1.1 200") && seen.contains("text/event-stream"),
        "{seen:?}"
    );
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_says_where_patients_book_and_that_page_lists_its_doctors() {
    let data =
        std::env::temp_dir().join(format!("docspot-where-{}", uuid::Uuid::now_v7().simple()));
    let (_proc, url, printed) = tokio::task::spawn_blocking({
        let data = data.display().to_string();
        move || serve(&["--demo", "--data-dir", &data])
    })
    .await
    .unwrap();
    let page = printed
        .iter()
        .find_map(|l| l.strip_prefix("Patients find a doctor and book at "))
        .unwrap_or_else(|| panic!("no booking address in {printed:?}"));
    assert_eq!(page, format!("{url}/c/sunrise"));
    let mut s = TcpStream::connect(host_port(&url)).await.unwrap();
    s.write_all(b"GET /c/sunrise HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut s, Duration::from_secs(8)).await;
    assert!(
        answer.starts_with("HTTP/1.1 200")
            && answer.contains("Dr. Ravi Iyer")
            && answer.contains("Dr. Sara Thomas"),
        "{answer}"
    );
    let _ = std::fs::remove_dir_all(&data);
}
