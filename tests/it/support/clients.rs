//! What several tests do with a registered client: read the `client_id`
//! `authgate client add` printed, and introspect with the client's secret.

use super::{Reply, TestApp};

/// The `client_id: …` line `authgate client add` printed.
pub fn printed_client_id(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("client_id: "))
        .expect("a client_id line")
        .to_owned()
}

impl TestApp {
    /// `POST /oauth/introspect` (RFC 7662) authenticated as client `id`.
    pub async fn introspect_as(&self, id: &str, secret: &str, token: &str) -> Reply {
        self.post_form(
            "/oauth/introspect",
            &[
                ("token", token),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .await
    }
}
