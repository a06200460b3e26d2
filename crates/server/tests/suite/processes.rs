//! The real `docspot` binary as a child process: one command, or a running server.

/// Runs the real `docspot` binary (on SQLite unless `env` names a DATABASE_URL), feeding
/// `stdin` when given.
pub fn docspot(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> std::process::Output {
    use std::{
        io::Write,
        process::{Command, Stdio},
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_docspot"))
        .args(args)
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run docspot");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("docspot output")
}

/// Kills its process on drop.
pub struct Proc(pub std::process::Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the real `docspot serve` on a free port with `args` (and no `DATABASE_URL` from
/// the environment). Returns the process, its URL and the lines it printed before the URL.
pub fn serve(args: &[&str]) -> (Proc, String, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_docspot"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start docspot");
    let stdout = child.stdout.take().unwrap();
    let proc = Proc(child);
    let mut printed = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    while let Some(line) = lines.next() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("DocSpot is running at ") {
            // Keep reading what it prints later (such as the no-platform-admin hint): with
            // its stdout closed, its next line would end it.
            std::thread::spawn(move || lines.for_each(drop));
            return (proc, rest.trim_end_matches('/').to_owned(), printed);
        }
        printed.push(line);
    }
    panic!("docspot exited before serving: {printed:?}");
}
