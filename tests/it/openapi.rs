//! `GET /openapi.json` describes every JSON route the router serves under
//! `/oauth` and `/.well-known`, and nothing it does not serve.
//!
//! The router cannot list its routes, so the candidates are every path
//! literal under those prefixes in `src/http` (the `paths.rs` constants and
//! any literal route), each probed with every method: a route is served
//! unless the answer is 405 or the fallback's 404.

use std::collections::BTreeSet;
use std::path::Path;

use crate::support::TestApp;

const PREFIXES: [&str; 2] = ["/oauth", "/.well-known"];
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Every string literal in `.rs` files under `dir` that starts with one of
/// the prefixes.
fn path_literals(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            path_literals(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            for piece in text.split('"').skip(1).step_by(2) {
                if PREFIXES.iter().any(|p| piece.starts_with(p))
                    && !piece.contains(char::is_whitespace)
                {
                    out.insert(piece.to_owned());
                }
            }
        }
    }
}

async fn served(app: &TestApp, path: &str, method: &str) -> bool {
    // Path parameters get a placeholder value.
    let concrete: String = path
        .split('/')
        .map(|seg| if seg.starts_with('{') { "x" } else { seg })
        .collect::<Vec<_>>()
        .join("/");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = app
        .http
        .request(method, app.url(&concrete))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let fallback = status == 404 && body["error_description"] == "no such endpoint";
    status != 405 && !fallback
}

#[tokio::test]
async fn openapi_lists_every_json_route_the_router_serves() {
    let app = TestApp::spawn().await;
    let reply = app.get("/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }

    let mut candidates = BTreeSet::new();
    path_literals(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"),
        &mut candidates,
    );
    assert!(candidates.contains("/oauth/token"), "{candidates:?}");
    candidates.extend(documented.iter().map(|(_, path)| path.clone()));

    let mut routes = BTreeSet::new();
    for path in &candidates {
        for method in METHODS {
            if served(&app, path, method).await {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
    }

    let api_routes: BTreeSet<_> = routes
        .iter()
        .filter(|(_, path)| PREFIXES.iter().any(|p| path.starts_with(p)))
        .cloned()
        .collect();
    let undocumented: Vec<_> = api_routes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but missing from /openapi.json: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&routes).collect();
    assert!(
        unserved.is_empty(),
        "in /openapi.json but not served: {unserved:?}"
    );
    for expected in [
        ("POST", "/oauth/device/code"),
        ("POST", "/oauth/token"),
        ("GET", "/oauth/tokeninfo"),
        ("POST", "/oauth/revoke"),
        ("POST", "/oauth/introspect"),
        ("GET", "/.well-known/oauth-authorization-server"),
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/.well-known/jwks.json"),
        ("GET", "/health"),
    ] {
        let key = (expected.0.to_owned(), expected.1.to_owned());
        assert!(documented.contains(&key), "{expected:?}");
    }

    // Form bodies, the RFC 6749 error body, and the security schemes.
    let token = &doc["paths"]["/oauth/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    let error = &doc["components"]["schemas"]["ErrorBody"]["properties"];
    for field in ["error", "error_description", "interval"] {
        assert!(error[field].is_object(), "ErrorBody.{field}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["client_basic"]["scheme"], "basic");
    assert_eq!(schemes["access_token"]["scheme"], "bearer");
    assert_eq!(
        doc["paths"]["/oauth/tokeninfo"]["get"]["security"][0]["access_token"],
        serde_json::json!([])
    );
}
