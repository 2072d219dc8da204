//! The server under test: the release binary started on a fresh database
//! in a temporary directory, and its memory use.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

use crate::{ADMIN_PASSWORD, Args, CLIENT_ID, INTROSPECTION_TOKEN};

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) addr: SocketAddr,
    pub(crate) _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(crate) fn start_server(args: &Args) -> Result<Server> {
    let dir = tempfile::tempdir()?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let child = spawn(args, dir.path(), port)?;
    Ok(Server {
        child,
        base,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        _dir: dir,
    })
}

impl Server {
    /// Kills the server, as a crash or a power cut would, and starts it
    /// again on the same database and port.
    pub(crate) fn crash_and_start(&mut self, args: &Args) -> Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(args, self._dir.path(), self.addr.port())?;
        Ok(())
    }
}

fn spawn(args: &Args, dir: &std::path::Path, port: u16) -> Result<Child> {
    let base = format!("http://127.0.0.1:{port}");
    let database = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    // The server runs in its own temporary directory: resolve the path first.
    let bin = std::fs::canonicalize(&args.bin)
        .with_context(|| format!("server binary {}", args.bin.display()))?;
    Command::new(&bin)
        .arg("server")
        .current_dir(dir)
        .env("SERVER_ADDR", format!("127.0.0.1:{port}"))
        .env("BASE_URL", &base)
        .env("DATABASE_URL", database)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CLI_CLIENT_ID", CLIENT_ID)
        .env("POLLING_INTERVAL", "5s")
        .env("RATE_LIMIT_DEVICE_CODE", "0")
        // One client issues every code of the run (over 100,000 in the
        // device-code scenario): its ceiling is not what is measured.
        .env("MAX_PENDING_CODES_PER_CLIENT", "0")
        .env("INTROSPECTION_TOKEN", INTROSPECTION_TOKEN)
        // The people of the flow scenario come from addresses of their own.
        .env("TRUSTED_PROXIES", "127.0.0.1")
        // BENCH_SERVER_LOG shows the server's own logs (e.g. `authgate=debug`).
        .env(
            "RUST_LOG",
            std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(if std::env::var_os("BENCH_SERVER_LOG").is_some() {
            Stdio::from(std::io::stderr())
        } else {
            Stdio::null()
        })
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))
}

/// Peak (VmHWM) and current (VmRSS) resident memory of `pid`, in KiB.
pub(crate) fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}
