//! Stored tokens: one JSON file per server in the user's configuration
//! directory (`~/.config/authgate/credentials/` on Linux; the directory of
//! `AUTHGATE_CONFIG_DIR` when set), readable by the user alone: the
//! directories are created 0700 and each file 0600, written to a temporary
//! file and renamed into place so a crash never leaves half a file.
//!
//! Refreshing rotates the refresh token, and presenting an old one revokes
//! the whole grant (a reuse means a leak), so two `authgate token` runs must
//! not refresh at once: [`CredentialStore::lock`] serialises them.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::dpop::StoredDpopKey;
use super::{Failure, Result};

/// Overrides the configuration directory (tests, several identities).
pub const CONFIG_DIR_ENV: &str = "AUTHGATE_CONFIG_DIR";

/// What `authgate login` stores for one server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Credentials {
    /// The server as normalised by [`normalize_server`].
    pub server: String,
    pub client_id: String,
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, by this machine's clock (Unix
    /// seconds); `None` when the server did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub token_endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// Whether the tokens are DPoP-bound (RFC 9449) to the key kept
    /// beside this file ([`CredentialStore::load_dpop_key`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop: bool,
}

impl Credentials {
    /// Whether the access token must be renewed before use.
    pub fn needs_refresh(&self, now: i64) -> bool {
        self.expires_at
            .is_some_and(|at| at - now < super::REFRESH_MARGIN_SECS)
    }
}

/// `https://auth.example.com/` → `https://auth.example.com`: an http(s)
/// URL without query, fragment or trailing slash.
pub fn normalize_server(raw: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(raw.trim()).with_context(|| {
        format!("--server {raw:?} is not a URL (e.g. https://auth.example.com)")
    })?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "--server must be an http:// or https:// URL"
    );
    anyhow::ensure!(
        url.query().is_none() && url.fragment().is_none() && url.username().is_empty(),
        "--server must not carry a query, fragment or user name"
    );
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The files of one user's tokens.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    dir: PathBuf,
}

impl CredentialStore {
    /// The store under `AUTHGATE_CONFIG_DIR`, else the platform's
    /// configuration directory for AuthGate.
    pub fn open() -> Result<Self> {
        let base = match std::env::var_os(CONFIG_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => directories::ProjectDirs::from("", "", "authgate")
                .map(|d| d.config_dir().to_owned())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "cannot find a home directory for the stored tokens; set {CONFIG_DIR_ENV}"
                    )
                })?,
        };
        Ok(Self::at(base))
    }

    /// A store whose configuration directory is `base`.
    pub fn at(base: impl Into<PathBuf>) -> Self {
        Self {
            dir: base.into().join("credentials"),
        }
    }

    /// The file holding `server`'s tokens.
    pub fn path_for(&self, server: &str) -> PathBuf {
        let name: String = server
            .replacen("://", "_", 1)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{name}.json"))
    }

    pub fn load(&self, server: &str) -> Result<Option<Credentials>> {
        let path = self.path_for(server);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is damaged; delete it and sign in again", path.display())
            })?)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("cannot read {}", path.display()))
                .into()),
        }
    }

    /// Every stored server's credentials, in file-name order.
    pub fn all(&self) -> Result<Vec<Credentials>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        let mut all = Vec::new();
        for path in paths {
            if let Ok(bytes) = fs::read(&path)
                && let Ok(creds) = serde_json::from_slice::<Credentials>(&bytes)
            {
                all.push(creds);
            }
        }
        Ok(all)
    }

    /// The credentials of `server`, or of the only stored server when none
    /// is named. [`Failure::NotSignedIn`] when there are none.
    pub fn choose(&self, server: Option<&str>) -> Result<Credentials> {
        if let Some(server) = server {
            let server = normalize_server(server)?;
            return self.load(&server)?.ok_or_else(|| {
                Failure::NotSignedIn(format!(
                    "not signed in to {server}; run `authgate login --server {server} --client-id ID`"
                ))
            });
        }
        let mut all = self.all()?;
        match all.len() {
            0 => Err(Failure::NotSignedIn(
                "not signed in; run `authgate login --server URL --client-id ID`".into(),
            )),
            1 => Ok(all.remove(0)),
            _ => {
                let names: Vec<&str> = all.iter().map(|c| c.server.as_str()).collect();
                Err(anyhow::anyhow!(
                    "signed in to several servers ({}); choose one with --server",
                    names.join(", ")
                )
                .into())
            }
        }
    }

    /// Writes `creds` atomically with mode 0600 in a 0700 directory.
    pub fn save(&self, creds: &Credentials) -> Result<PathBuf> {
        self.ensure_dir()?;
        let path = self.path_for(&creds.server);
        let tmp = path.with_extension("json.tmp");
        let _ = fs::remove_file(&tmp);
        let mut file =
            create_private(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let json = serde_json::to_vec_pretty(creds).map_err(anyhow::Error::from)?;
        file.write_all(&json)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// The file holding `server`'s DPoP key (not `.json`: it is no
    /// credentials file).
    pub fn dpop_key_path(&self, server: &str) -> PathBuf {
        self.path_for(server).with_extension("dpop")
    }

    /// Writes `server`'s DPoP key atomically with mode 0600.
    pub fn save_dpop_key(&self, server: &str, key: &StoredDpopKey) -> Result<PathBuf> {
        self.ensure_dir()?;
        let path = self.dpop_key_path(server);
        let tmp = path.with_extension("dpop.tmp");
        let _ = fs::remove_file(&tmp);
        let mut file =
            create_private(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        file.write_all(&serde_json::to_vec(key).map_err(anyhow::Error::from)?)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }

    /// `server`'s DPoP key, if one is kept.
    pub fn load_dpop_key(&self, server: &str) -> Result<Option<StoredDpopKey>> {
        let path = self.dpop_key_path(server);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is damaged; sign in again", path.display())
            })?)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("cannot read {}", path.display()))
                .into()),
        }
    }

    /// Deletes `server`'s file and DPoP key; whether there was a file.
    pub fn delete(&self, server: &str) -> Result<bool> {
        match fs::remove_file(self.dpop_key_path(server)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        match fs::remove_file(self.path_for(server)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits (up to 15 s) for the right to refresh `server`'s tokens. A
    /// lock left by a crashed process is broken after 30 s.
    pub async fn lock(&self, server: &str) -> Result<RefreshLock> {
        self.ensure_dir()?;
        let path = self.path_for(server).with_extension("lock");
        for _ in 0..150 {
            match create_private(&path) {
                Ok(_) => return Ok(RefreshLock { path }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(30));
                    if stale {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(anyhow::anyhow!(
            "another authgate process is refreshing the tokens (remove {} if none is)",
            path.display()
        )
        .into())
    }

    fn ensure_dir(&self) -> Result<()> {
        create_private_dir(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        Ok(())
    }
}

/// Held while refreshing; removes its lock file when dropped.
#[derive(Debug)]
pub struct RefreshLock {
    path: PathBuf,
}

impl Drop for RefreshLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// A new file only the owner may read or write; fails if it exists.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

/// Creates `dir` and its parents; `dir` itself ends up 0700 (on Unix).
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
        builder.mode(0o700);
        builder.create(dir)?;
        // It may have existed with wider permissions.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    builder.create(dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(server: &str) -> Credentials {
        Credentials {
            server: server.into(),
            client_id: "cli".into(),
            access_token: "at".into(),
            refresh_token: Some("rt".into()),
            expires_at: Some(1_000),
            scope: Some("read".into()),
            token_endpoint: format!("{server}/oauth/token"),
            revocation_endpoint: None,
            dpop: false,
        }
    }

    #[test]
    fn servers_normalise_and_name_distinct_files() {
        assert_eq!(
            normalize_server("https://auth.example.com/").unwrap(),
            "https://auth.example.com"
        );
        assert!(normalize_server("ftp://x").is_err());
        assert!(normalize_server("https://x/?a=b").is_err());
        let store = CredentialStore::at("/c");
        assert_eq!(
            store.path_for("http://127.0.0.1:8080"),
            PathBuf::from("/c/credentials/http_127.0.0.1_8080.json")
        );
        assert_ne!(
            store.path_for("http://a.example"),
            store.path_for("https://a.example")
        );
    }

    #[test]
    fn refresh_is_due_within_the_margin() {
        let c = sample("https://a");
        assert!(!c.needs_refresh(1_000 - 61));
        assert!(c.needs_refresh(1_000 - 59));
        assert!(
            !Credentials {
                expires_at: None,
                ..c
            }
            .needs_refresh(i64::MAX)
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_and_round_trip() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let store = CredentialStore::at(tmp.path().join("cfg"));
        let creds = sample("https://a.example");
        let path = store.save(&creds).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let dir = path.parent().unwrap();
        assert_eq!(
            fs::metadata(dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            store.load("https://a.example").unwrap(),
            Some(creds.clone())
        );
        assert_eq!(store.choose(None).unwrap(), creds);
        store.save(&sample("https://b.example")).unwrap();
        assert!(store.choose(None).is_err(), "two servers: must choose");
        assert!(store.delete("https://a.example").unwrap());
        assert!(matches!(
            store.choose(Some("https://a.example")),
            Err(Failure::NotSignedIn(_))
        ));
    }
}
