//! Records the git commit and build date for `authgate --version`.
//! Docker builds without `.git` pass `AUTHGATE_GIT_COMMIT` instead.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=AUTHGATE_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/refs/heads");
    // sqlx::migrate! embeds these; new files must trigger a rebuild.
    println!("cargo:rerun-if-changed=migrations");

    let commit = std::env::var("AUTHGATE_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());

    // Reproducible builds set SOURCE_DATE_EPOCH; otherwise use the build time.
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp());
    let date = time::OffsetDateTime::from_unix_timestamp(epoch)
        .map(|d| d.date().to_string())
        .unwrap_or_else(|_| "unknown".to_owned());

    println!("cargo:rustc-env=AUTHGATE_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=AUTHGATE_BUILD_DATE={date}");
}
