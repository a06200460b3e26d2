//! Where the CPU time of a run went (Linux `/proc`): the server process, PostgreSQL's
//! processes, this tool, and the whole machine. On SQLite the database works inside the
//! server process (or inside this tool, for the raw commit runs).

use std::time::Duration;

/// Cumulative CPU times at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    server: u64,
    postgres: u64,
    tool: u64,
    machine_busy: u64,
    machine_all: u64,
}

/// CPU used between two snapshots.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub server: Duration,
    pub postgres: Duration,
    pub tool: Duration,
    /// Share of all CPUs busy (any process), 0–1.
    pub machine_busy: f64,
}

fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}

/// `(comm, utime + stime)` of a process, in clock ticks.
fn process_ticks(pid: &str) -> Option<(String, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_owned();
    // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
    let rest: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

/// Samples CPU times; `server` is the server's process id.
pub struct Meter {
    server: Option<u32>,
    ticks: u64,
}

impl Meter {
    pub fn new(server: Option<u32>) -> Meter {
        Meter {
            server,
            ticks: clock_ticks_per_second(),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let mut s = Snapshot::default();
        let me = std::process::id().to_string();
        if let Ok(dir) = std::fs::read_dir("/proc") {
            for entry in dir.flatten() {
                let name = entry.file_name();
                let Some(pid) = name
                    .to_str()
                    .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
                else {
                    continue;
                };
                let Some((comm, t)) = process_ticks(pid) else {
                    continue;
                };
                if pid == me {
                    s.tool = t;
                } else if self.server.is_some_and(|id| id.to_string() == pid) {
                    s.server = t;
                } else if comm == "postgres" {
                    s.postgres += t;
                }
            }
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/stat")
            && let Some(line) = stat.lines().next()
        {
            let v: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal …
            let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
            s.machine_all = v.iter().take(8).sum();
            s.machine_busy = s.machine_all.saturating_sub(idle);
        }
        s
    }

    /// CPU used from `a` to `b`.
    pub fn usage(&self, a: Snapshot, b: Snapshot) -> Usage {
        let d = |x: u64, y: u64| {
            Duration::from_secs_f64(y.saturating_sub(x) as f64 / self.ticks as f64)
        };
        let all = b.machine_all.saturating_sub(a.machine_all);
        Usage {
            server: d(a.server, b.server),
            postgres: d(a.postgres, b.postgres),
            tool: d(a.tool, b.tool),
            machine_busy: if all == 0 {
                0.0
            } else {
                b.machine_busy.saturating_sub(a.machine_busy) as f64 / all as f64
            },
        }
    }
}

impl Usage {
    /// `| server ms/op | postgres ms/op | tool ms/op | machine busy |` cells for `ops` operations.
    pub fn cells(&self, ops: usize) -> String {
        let per = |d: Duration| {
            if ops == 0 {
                "n/a".to_owned()
            } else {
                format!("{:.3}", d.as_secs_f64() * 1000.0 / ops as f64)
            }
        };
        format!(
            "{} | {} | {} | {:.0}%",
            per(self.server),
            per(self.postgres),
            per(self.tool),
            self.machine_busy * 100.0
        )
    }
}
