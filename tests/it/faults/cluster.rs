//! A private PostgreSQL cluster for one fault test: started by
//! `.ci/postgres.sh start` in a directory of its own, on a port of its own
//! (kept across restarts, so the server's `DATABASE_URL` stays right);
//! stopped, started, frozen and its backends terminated by the test;
//! removed when dropped. Never the cluster of `TEST_DATABASE_URL`, which
//! the rest of the suite shares.

use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::Connection;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/postgres.sh");

pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    pub url: String,
    /// Processes stopped by [`Cluster::freeze`], continued on thaw or drop.
    frozen: Vec<u32>,
}

/// The newest PostgreSQL server binaries, as `.ci/postgres.sh` finds them.
fn pg_bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("pg_ctl").is_file())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(Path::file_name)
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    /// Starts a new cluster, or `None` (with a note saying why the caller
    /// is skipped) when PostgreSQL's server binaries are not installed.
    pub fn start(test: &str) -> Option<Cluster> {
        let Some(bin) = pg_bindir() else {
            eprintln!(
                "{test}: skipped: no PostgreSQL server binaries under /usr/lib/postgresql \
                 (Debian's postgresql package; `make unit-pg` installs it)"
            );
            return None;
        };
        let dir = std::env::temp_dir().join(format!(
            "authgate-pg-fault-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cluster = Cluster {
            dir,
            port,
            bin,
            url: String::new(),
            frozen: Vec::new(),
        };
        cluster.url = cluster.script("start");
        Some(cluster)
    }

    /// `.ci/postgres.sh ACTION` on this cluster; its stdout.
    fn script(&self, action: &str) -> String {
        let out = Command::new("bash")
            .arg(SCRIPT)
            .arg(action)
            .env("AUTHGATE_PG_DIR", &self.dir)
            .env("AUTHGATE_PG_PORT", self.port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "postgres.sh {action}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// `pg_ctl` as the cluster's owner (`postgres` when we are root).
    fn pg_ctl(&self, args: &[&str]) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.dir.join("data");
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_ctl);
            c
        } else {
            Command::new(pg_ctl)
        };
        let status = cmd
            .arg("-D")
            .arg(data)
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl {args:?}");
    }

    /// Stops PostgreSQL (fast: open connections are closed).
    pub fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "30"]);
    }

    /// Starts it again on the same port, with the same data.
    pub fn start_again(&self) {
        let url = self.script("start");
        assert_eq!(url, self.url);
    }

    /// SIGSTOP to the postmaster and every process it started: the
    /// database stops answering without closing a connection.
    pub fn freeze(&mut self) {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap();
        let postmaster: u32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
        let children = Command::new("pgrep")
            .args(["-P", &postmaster.to_string()])
            .output()
            .unwrap();
        let mut pids = vec![postmaster];
        pids.extend(
            String::from_utf8_lossy(&children.stdout)
                .lines()
                .filter_map(|l| l.trim().parse::<u32>().ok()),
        );
        signal("-STOP", &pids);
        self.frozen = pids;
    }

    /// SIGCONT to what [`Cluster::freeze`] stopped.
    pub fn thaw(&mut self) {
        signal("-CONT", &self.frozen);
        self.frozen.clear();
    }

    /// Terminates every backend of the server's role (`pg_terminate_backend`,
    /// as an operator or a failover would); returns how many.
    pub async fn terminate_backends(&self) -> i64 {
        let mut admin = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE usename = current_user AND pid <> pg_backend_pid()",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        let _ = admin.close().await;
        n
    }

    /// A connection to the cluster's database, for checks.
    pub async fn connect(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect(&self.url).await.unwrap()
    }
}

fn signal(signal: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let status = Command::new("kill")
        .arg(signal)
        .args(pids.iter().map(u32::to_string))
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pids:?}");
}

impl Drop for Cluster {
    /// Thaws, stops and deletes the cluster.
    fn drop(&mut self) {
        if !self.frozen.is_empty() {
            let _ = Command::new("kill")
                .arg("-CONT")
                .args(self.frozen.iter().map(u32::to_string))
                .status();
        }
        let _ = Command::new("bash")
            .arg(SCRIPT)
            .arg("stop")
            .env("AUTHGATE_PG_DIR", &self.dir)
            .output();
    }
}
