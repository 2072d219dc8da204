//! Keys published at a `jwks_uri`: fetched, kept, fetched again for a key
//! id they lack (a rotation) but not for every made-up one, and kept when
//! the client's server is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use authgate::crypto::keys::SigningAlg;
use authgate::model::client::ClientKeys;
use axum::routing::get;
use tokio::sync::RwLock;

use super::{claims, device_code, jwks, key, key_client, sign};
use crate::support::TestApp;

/// A client's key server on 127.0.0.1: the set it serves and how often
/// it was asked.
struct KeyServer {
    url: String,
    served: Arc<RwLock<String>>,
    fetches: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

async fn key_server(initial: String) -> KeyServer {
    let served = Arc::new(RwLock::new(initial));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (s, f) = (served.clone(), fetches.clone());
    let router = axum::Router::new().route(
        "/jwks.json",
        get(move || {
            let (s, f) = (s.clone(), f.clone());
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                s.read().await.clone()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, router).await.ok();
    });
    KeyServer {
        url,
        served,
        fetches,
        task,
    }
}

#[tokio::test]
async fn published_keys_are_cached_rotated_and_survive_an_outage() {
    let app = TestApp::spawn().await;
    let first = key(SigningAlg::Es256);
    let server = key_server(jwks(&[&first])).await;
    let client = key_client(&app, ClientKeys::JwksUri(server.url.clone())).await;
    let fetches = || server.fetches.load(Ordering::SeqCst);

    for _ in 0..3 {
        let reply = device_code(&app, &client, &sign(&first, &claims(&app, &client))).await;
        assert_eq!(reply.status, 200, "{:?}", reply.json);
    }
    assert_eq!(fetches(), 1, "fetched once, then kept");

    // The client rotates: a new key id makes AuthGate look again (once the
    // last fetch is REFETCH_EVERY_SECS old).
    let second = key(SigningAlg::EdDsa);
    *server.served.write().await = jwks(&[&second]);
    app.advance(31);
    let rotated = device_code(&app, &client, &sign(&second, &claims(&app, &client))).await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.json);
    assert_eq!(fetches(), 2);

    // Made-up key ids do not make it fetch again and again.
    for _ in 0..5 {
        let mut stranger = key(SigningAlg::Es256);
        stranger.kid = format!("made-up-{}", app.core.random.token(6));
        let reply = device_code(&app, &client, &sign(&stranger, &claims(&app, &client))).await;
        assert_eq!(reply.json["error"], "invalid_client");
    }
    assert_eq!(fetches(), 2, "no fetch within REFETCH_EVERY_SECS");

    // The key server goes away: past the keys' lifetime the copy at hand
    // is still used, rather than locking the client out.
    server.task.abort();
    let _ = server.task.await;
    app.advance(400);
    let during_outage = device_code(&app, &client, &sign(&second, &claims(&app, &client))).await;
    assert_eq!(during_outage.status, 200, "{:?}", during_outage.json);
    app.shutdown().await;
}

#[tokio::test]
async fn a_key_server_that_answers_nonsense_or_private_keys_authenticates_nobody() {
    let app = TestApp::spawn().await;
    let k = key(SigningAlg::Es256);
    let mut private: serde_json::Value = serde_json::from_str(&jwks(&[&k])).unwrap();
    private["keys"][0]["d"] = serde_json::json!("c2VjcmV0");
    for served in [
        "<html>oops</html>".to_owned(),
        private.to_string(),
        "{\"keys\":[]}".to_owned(),
    ] {
        let server = key_server(served).await;
        let client = key_client(&app, ClientKeys::JwksUri(server.url.clone())).await;
        let reply = device_code(&app, &client, &sign(&k, &claims(&app, &client))).await;
        assert_eq!(reply.status, 400, "{:?}", reply.json);
        assert_eq!(reply.json["error"], "invalid_client");
        server.task.abort();
    }
    // Nobody listening at all.
    let client = key_client(
        &app,
        ClientKeys::JwksUri("http://127.0.0.1:9/jwks.json".into()),
    )
    .await;
    let reply = device_code(&app, &client, &sign(&k, &claims(&app, &client))).await;
    assert_eq!(reply.json["error"], "invalid_client");
    app.shutdown().await;
}
