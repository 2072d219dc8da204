//! The real `authgate server` as a child process, for the tests that need
//! a process of its own: signals (SIGTERM, SIGKILL), resource limits put
//! on it from outside, its log, its own runtime and wall clock. It starts
//! as in production, `main` → `run` → `authgate::start`; tests that need
//! none of this use [`super::TestApp`], which calls `start` directly.
//!
//! Nothing sleeps waiting for start-up: the server binds SERVER_ADDR
//! `127.0.0.1:0` and logs the address once it serves, and the log is read
//! for that line.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_authgate");

/// How long a server may take to log its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `authgate <args>` in `dir`, with none of the developer's AuthGate
/// variables leaking in.
pub fn authgate(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

/// `authgate server <args>` in `dir` on 127.0.0.1:0 with JSON logs and
/// `env`, and nothing else of the caller's environment.
///
/// SIGXFSZ is ignored (the shell's `trap ''` is kept across `exec`, and
/// the server is then the shell's process), so that a file-size limit put
/// on the server makes its writes fail instead of killing it
/// (faults/sqlite.rs); nothing else sets one.
pub fn server_command(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .args(["-c", r#"trap '' XFSZ; exec "$0" server "$@""#, BIN])
        .args(args)
        .env("SERVER_ADDR", "127.0.0.1:0")
        .env("LOG_FORMAT", "json");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// What becomes of a server's log once it listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// Read to the end (so the server never blocks on a full pipe) and
    /// kept for [`ServerProcess::stop`].
    Kept,
    /// Both output pipes closed, as when the disk the log is written to is
    /// full: every later log write fails.
    Broken,
}

/// One running `authgate server`; killed when dropped (a failing test must
/// not leave it behind).
pub struct ServerProcess {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
    /// `http://host:port`.
    pub base: String,
    /// The JSON log lines before the one announcing the address.
    pub before: Vec<Value>,
    /// Collects the rest of the log until the process ends ([`Log::Kept`]).
    rest: Option<JoinHandle<Vec<String>>>,
}

impl ServerProcess {
    /// Starts `cmd` (from [`server_command`]) and returns once the server
    /// has logged its address, within 30 s.
    pub async fn start(cmd: Command, log: Log) -> ServerProcess {
        tokio::task::spawn_blocking(move || Self::start_blocking(cmd, log))
            .await
            .unwrap()
    }

    /// [`ServerProcess::start`] for a test without a runtime.
    pub fn start_blocking(mut cmd: Command, log: Log) -> ServerProcess {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the server");
        let stdout = child.stdout.take().unwrap();
        let stderr = Stderr::new(child.stderr.take().unwrap(), log);
        let (tx, rx) = mpsc::channel();
        let rest = std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let mut before = Vec::new();
            for line in lines.by_ref() {
                let v: Value = serde_json::from_str(&line).unwrap_or_default();
                if let Some(addr) = v["addr"].as_str() {
                    let _ = tx.send(Ok((addr.to_owned(), before)));
                    if log == Log::Broken {
                        return Vec::new(); // closes both pipes
                    }
                    let mut rest: Vec<String> = lines.collect();
                    rest.extend(stderr.text().lines().map(str::to_owned));
                    return rest;
                }
                before.push(v);
            }
            // Ended before listening: say why.
            let _ = tx.send(Err(stderr.text()));
            Vec::new()
        });
        let mut server = ServerProcess {
            child,
            addr: String::new(),
            base: String::new(),
            before: Vec::new(),
            rest: Some(rest),
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok((addr, before))) => {
                server.base = format!("http://{addr}");
                server.addr = addr;
                server.before = before;
                server
            }
            Ok(Err(stderr)) => panic!("the server stopped before listening: {stderr}"),
            Err(e) => panic!("the server did not log its address within 30 s: {e}"),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`-TERM`, `-KILL`, ...) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
    }

    /// The exit status, waiting at most `within`.
    pub async fn exit_within(&mut self, within: Duration) -> Option<ExitStatus> {
        for _ in 0..=within.as_millis() / 50 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// SIGTERM, and a clean exit within 15 s; returns the rest of the log
    /// (stdout, then stderr), which is empty with [`Log::Broken`].
    pub async fn stop(mut self) -> Vec<String> {
        self.signal("-TERM");
        let status = self.exit_within(Duration::from_secs(15)).await;
        let status = status.expect("the server stops within 15 s of SIGTERM");
        assert!(status.success(), "clean exit after SIGTERM: {status:?}");
        self.rest.take().unwrap().join().unwrap()
    }

    /// Waits for the process to be gone (after a SIGKILL).
    pub fn reap(mut self) {
        self.child.wait().unwrap();
    }
}

/// The server's stderr: drained by a thread of its own while the log is
/// kept (so the server never blocks on it), else held until the log breaks.
enum Stderr {
    Held(ChildStderr),
    Drained(JoinHandle<String>),
}

impl Stderr {
    fn new(pipe: ChildStderr, log: Log) -> Self {
        match log {
            Log::Broken => Stderr::Held(pipe),
            Log::Kept => Stderr::Drained(std::thread::spawn(move || {
                let mut pipe = pipe;
                let mut said = String::new();
                let _ = pipe.read_to_string(&mut said);
                said
            })),
        }
    }

    /// Everything written to it, once the process has closed it.
    fn text(self) -> String {
        match self {
            Stderr::Held(mut pipe) => {
                let mut said = String::new();
                let _ = pipe.read_to_string(&mut said);
                said
            }
            Stderr::Drained(thread) => thread.join().unwrap_or_default(),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
