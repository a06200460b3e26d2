//! The real `docspot` binary as a child process: started on a free port, stopped with SIGINT
//! (its graceful shutdown), its log kept in a file.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

/// A running server.
pub struct Server {
    child: Child,
    /// Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

/// How to start one.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub data_dir: &'a Path,
    /// `Some` for PostgreSQL; SQLite under `data_dir` otherwise.
    pub database_url: Option<&'a str>,
    pub log_file: PathBuf,
}

impl Server {
    /// Starts `docspot serve` and waits until it prints the URL it listens on.
    pub fn start(l: &Launch<'_>) -> Result<Server, String> {
        let log = std::fs::File::create(&l.log_file)
            .map_err(|e| format!("cannot create {}: {e}", l.log_file.display()))?;
        let mut cmd = Command::new(l.binary);
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--no-worker"])
            // Every client registers and logs in from 127.0.0.1.
            .args(["--auth-rate-per-ip", "100000"])
            .args(["--auth-rate-per-account", "100000"])
            .arg("--data-dir")
            .arg(l.data_dir)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        if let Some(url) = l.database_url {
            cmd.args(["--database-url", url]);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", l.binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (tx, rx) = mpsc::channel();
        // Reads the URL, then keeps draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("DocSpot is running at ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(rest.trim_end_matches('/').to_owned());
                }
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
        };
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => {
                server.url = url;
                Ok(server)
            }
            Err(_) => Err(format!(
                "docspot did not report its URL; see {}",
                l.log_file.display()
            )),
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident set size of the server process, in KiB (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    fn interrupt(&self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
    }

    /// Asks the server to shut down gracefully and waits for it (at most 20 s).
    pub async fn stop(mut self) {
        self.interrupt();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("docspot did not stop within 20 s of SIGINT; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    /// On an early exit, the server is still asked to shut down.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.interrupt();
        }
    }
}
