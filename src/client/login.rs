//! `authgate login`: signs in through the browser on this machine when it
//! can ([`browser`]: authorization code with PKCE on a loopback listener),
//! else with the device flow ([`device`]); [`choice`] says which and why.
//! Either way the tokens are stored alike, so `authgate token`, `status`
//! and `logout` cannot tell the difference.

use std::time::Duration;

use clap::Args;

use super::browser::{self, Outcome};
use super::choice::{self, Fallback, Surroundings, Way};
use super::credentials::{CredentialStore, Credentials, normalize_server};
use super::dpop::{Prover, StoredDpopKey};
use super::oauth::{Client, Endpoints, TokenResponse};
use super::untrusted::clean;
use super::{Result, device, now_secs, relative, utc};

/// Options of `authgate login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// The AuthGate server (its BASE_URL), e.g. https://auth.example.com
    #[arg(long, env = "AUTHGATE_SERVER", value_name = "URL")]
    pub server: String,

    /// The OAuth client this tool signs in as (the server logs the seeded
    /// CLI client's id at start-up).
    #[arg(long, env = "AUTHGATE_CLIENT_ID", value_name = "ID")]
    pub client_id: String,

    /// Space-separated scopes to ask for (all the client may have when
    /// left out).
    #[arg(long, value_name = "SCOPE")]
    pub scope: Option<String>,

    /// An API the tokens are for (RFC 8707; repeat for several): their
    /// audience. The client must be allowed each; left out, the tokens are
    /// for the AuthGate server itself.
    #[arg(long = "resource", value_name = "URI")]
    pub resources: Vec<String>,

    /// Use the device flow: sign in from a browser anywhere by entering a
    /// code, instead of in a browser on this machine.
    #[arg(long)]
    pub device: bool,

    /// Do not open a browser: the device flow, with only its URL and code
    /// printed.
    #[arg(long)]
    pub no_browser: bool,

    /// How long the browser sign-in waits for the browser's answer before
    /// the device flow takes over (e.g. 90s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::cli::parse_duration)]
    pub browser_timeout: Duration,

    /// Do not draw the QR code.
    #[arg(long)]
    pub no_qr: bool,

    /// Keep bearer tokens even when the server offers DPoP (RFC 9449):
    /// for a machine whose clock is too far off for its proofs.
    #[arg(long)]
    pub no_dpop: bool,
}

pub async fn run(args: LoginArgs) -> Result<()> {
    let server = normalize_server(&args.server)?;
    warn_if_plain_http(&server);
    let store = CredentialStore::open()?;
    let client = Client::new(&server)?;
    let endpoints = client.discover().await?;
    // RFC 9449: when the server offers DPoP, the tokens are bound to a key
    // made here and now, kept beside them.
    let dpop_key = if !args.no_dpop
        && endpoints
            .dpop_signing_alg_values_supported
            .iter()
            .any(|a| a == "ES256")
    {
        Some(StoredDpopKey::generate()?)
    } else {
        None
    };
    let client = match &dpop_key {
        Some(key) => client.with_dpop(Prover::new(key)?),
        None => client,
    };
    let tokens = sign_in(&client, &endpoints, &args).await?;
    let now = now_secs();
    let creds = Credentials {
        server: server.clone(),
        client_id: args.client_id,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_in.map(|s| now + s),
        scope: tokens.scope,
        token_endpoint: endpoints.token_endpoint,
        revocation_endpoint: endpoints.revocation_endpoint,
        dpop: dpop_key.is_some()
            && tokens
                .token_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("DPoP")),
    };
    // The key first: credentials that say DPoP never lack theirs.
    match &dpop_key {
        Some(key) if creds.dpop => {
            store.save_dpop_key(&server, key)?;
        }
        _ => {
            let _ = store.delete(&server);
        }
    }
    let path = store.save(&creds)?;
    let who = match client.tokeninfo(&creds.access_token).await {
        Ok(Some(info)) => info.username.map(|u| format!(" as {}", clean(&u))),
        _ => None,
    }
    .unwrap_or_default();
    eprintln!("Signed in to {server}{who}.");
    if let Some(scope) = creds.scope.as_deref().filter(|s| !s.is_empty()) {
        eprintln!("Scope: {}", clean(scope));
    }
    if let Some(at) = creds.expires_at {
        let renewal = if creds.refresh_token.is_some() {
            "; `authgate token` renews it"
        } else {
            ""
        };
        eprintln!(
            "The access token is valid until {} ({}){renewal}.",
            utc(at),
            relative(at - now)
        );
    }
    eprintln!("Tokens stored in {}", path.display());
    Ok(())
}

/// The browser sign-in when [`choice::choose`] allows it and it works,
/// else the device flow, saying on stderr why it took over.
async fn sign_in(
    client: &Client,
    endpoints: &Endpoints,
    args: &LoginArgs,
) -> Result<TokenResponse> {
    let offered = endpoints.browser_sign_in();
    let way = choice::choose(
        args.device || args.no_browser,
        offered.map(|_| ()),
        Surroundings::here(),
    );
    let fallback = match (way, offered) {
        (Way::Browser, Ok(authorization_endpoint)) => {
            let request = browser::Request {
                authorization_endpoint,
                token_endpoint: &endpoints.token_endpoint,
                issuer: &endpoints.issuer,
                client_id: &args.client_id,
                scope: args.scope.as_deref(),
                resources: &args.resources,
                timeout: args.browser_timeout,
            };
            match browser::sign_in(client, request).await? {
                Outcome::Tokens(tokens) => return Ok(tokens),
                Outcome::Fallback(why) => why,
            }
        }
        (Way::Device(why), _) => why,
        (Way::Browser, Err(why)) => Fallback::Server(why),
    };
    // A browser that could not be started, or whose answer never came,
    // is not tried again for the device flow's page.
    let open_browser = !args.no_browser
        && !matches!(
            fallback,
            Fallback::CannotOpenBrowser | Fallback::NoAnswer(_)
        );
    if fallback != Fallback::Asked {
        eprintln!("Signing in with the device flow instead: {fallback}.\n");
    }
    let options = device::Options {
        client_id: &args.client_id,
        scope: args.scope.as_deref(),
        resources: &args.resources,
        open_browser,
        qr: !args.no_qr,
    };
    device::sign_in(client, endpoints, options).await
}

/// RFC 6749 §3.2: the token endpoint requires TLS; plain http is for a
/// server on this machine.
fn warn_if_plain_http(server: &str) {
    let loopback = url::Url::parse(server)
        .ok()
        .is_some_and(|u| match u.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        });
    if server.starts_with("http://") && !loopback {
        eprintln!(
            "warning: {server} is plain http: codes and tokens cross the network unencrypted"
        );
    }
}
