//! Every way a proof is refused at the token endpoint: `400
//! invalid_dpop_proof`, and no token is issued (the device code stays
//! redeemable by the client that can prove).

use authgate::crypto::keys::SigningAlg;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use super::{DpopKey, approved_device_code, poll, refused};
use crate::support::TestApp;

#[tokio::test]
async fn a_proof_must_describe_this_request_now() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let device_code = approved_device_code(&app).await;
    let header = key.header();
    let good = key.claims(&app, "POST", "/oauth/token");

    // Each claim set differs from a good one in one way.
    let mut cases = Vec::new();
    let mut other_uri = good.clone();
    other_uri["htu"] = json!("http://localhost:8080/oauth/introspect");
    cases.push((other_uri, "htu"));
    let mut other_host = good.clone();
    other_host["htu"] = json!("http://evil.example/oauth/token");
    cases.push((other_host, "htu"));
    let mut other_method = good.clone();
    other_method["htm"] = json!("GET");
    cases.push((other_method, "htm"));
    let mut too_old = good.clone();
    too_old["iat"] = json!(good["iat"].as_i64().unwrap() - 61);
    cases.push((too_old, "too old"));
    let mut ahead = good.clone();
    ahead["iat"] = json!(good["iat"].as_i64().unwrap() + 30);
    cases.push((ahead, "future"));
    let mut no_jti = good.clone();
    no_jti.as_object_mut().unwrap().remove("jti");
    cases.push((no_jti, "jti"));
    for (claims, why) in cases {
        let reply = poll(&app, &device_code, &[&key.sign(&header, &claims)]).await;
        refused(&reply, why);
    }

    // The query and fragment of htu are not compared (RFC 9449 §4.3).
    let mut with_query = good.clone();
    with_query["htu"] = json!("http://localhost:8080/oauth/token?x=1#y");
    let reply = poll(&app, &device_code, &[&key.sign(&header, &with_query)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(reply.json["token_type"], "DPoP");
    app.shutdown().await;
}

#[tokio::test]
async fn a_proof_must_be_an_asymmetric_signature_by_a_public_key_it_carries() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let device_code = approved_device_code(&app).await;
    let claims = key.claims(&app, "POST", "/oauth/token");
    let header = key.header();

    let mut wrong_typ = header.clone();
    wrong_typ["typ"] = json!("JWT");
    let reply = poll(&app, &device_code, &[&key.sign(&wrong_typ, &claims)]).await;
    refused(&reply, "typ");

    let mut no_typ = header.clone();
    no_typ.as_object_mut().unwrap().remove("typ");
    let reply = poll(&app, &device_code, &[&key.sign(&no_typ, &claims)]).await;
    refused(&reply, "typ");

    // alg none: no signature at all.
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD
            .encode(json!({"typ": "dpop+jwt", "alg": "none", "jwk": key.jwk()}).to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let reply = poll(&app, &device_code, &[&none]).await;
    refused(&reply, "ES256, EdDSA or RS256");

    // HS256 with a symmetric key in the header: its "public" key would
    // be the secret.
    let secret = b"a shared secret anyone could use!";
    let hs_header = json!({
        "typ": "dpop+jwt",
        "alg": "HS256",
        "jwk": {"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret)},
    });
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(hs_header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = jsonwebtoken::crypto::sign(
        message.as_bytes(),
        &jsonwebtoken::EncodingKey::from_secret(secret),
        jsonwebtoken::Algorithm::HS256,
    )
    .unwrap();
    let reply = poll(&app, &device_code, &[&format!("{message}.{signature}")]).await;
    refused(&reply, "ES256, EdDSA or RS256");

    // A private key in the header is refused even though it verifies.
    let mut private = header.clone();
    private["jwk"]["d"] = json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
    let reply = poll(&app, &device_code, &[&key.sign(&private, &claims)]).await;
    refused(&reply, "private");

    // No key in the header, or a key of the wrong kind for the alg.
    let mut no_jwk = header.clone();
    no_jwk.as_object_mut().unwrap().remove("jwk");
    let reply = poll(&app, &device_code, &[&key.sign(&no_jwk, &claims)]).await;
    refused(&reply, "jwk");
    let ed = DpopKey::new(SigningAlg::EdDsa);
    let mut mismatched = header.clone();
    mismatched["jwk"] = ed.jwk();
    let reply = poll(&app, &device_code, &[&key.sign(&mismatched, &claims)]).await;
    refused(&reply, "does not fit");

    // Signed by another key than the one it carries.
    let other = DpopKey::es256();
    let reply = poll(&app, &device_code, &[&other.sign(&header, &claims)]).await;
    refused(&reply, "signature");

    // A tampered payload.
    let good = key.sign(&header, &claims);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut changed = claims.clone();
    changed["jti"] = json!("another");
    parts[1] = URL_SAFE_NO_PAD.encode(changed.to_string());
    let reply = poll(&app, &device_code, &[&parts.join(".")]).await;
    refused(&reply, "signature");

    // Nothing above used the code up: the real client still can.
    let reply = poll(&app, &device_code, &[&key.token_proof(&app)]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    app.shutdown().await;
}

#[tokio::test]
async fn one_well_formed_dpop_header_at_most() {
    let app = TestApp::spawn().await;
    let key = DpopKey::es256();
    let device_code = approved_device_code(&app).await;
    let reply = poll(
        &app,
        &device_code,
        &[&key.token_proof(&app), &key.token_proof(&app)],
    )
    .await;
    refused(&reply, "one DPoP header");
    for malformed in ["not a jwt", "a.b.c", "e30.e30.e30"] {
        let reply = poll(&app, &device_code, &[malformed]).await;
        refused(&reply, "");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_proof_counts_once_even_at_two_instances() {
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_on(app.dir.clone(), app.clock.clone(), |_| {}).await;
    let key = DpopKey::es256();
    let proof = key.token_proof(&app);

    let first = approved_device_code(&app).await;
    let reply = poll(&app, &first, &[&proof]).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);

    // The same proof for another grant, here and at the other instance.
    let second = approved_device_code(&app).await;
    let reply = poll(&app, &second, &[&proof]).await;
    refused(&reply, "used before");
    let reply = poll(&other, &second, &[&proof]).await;
    refused(&reply, "used before");

    // Sent at once to both: one wins.
    let third = key.token_proof(&app);
    let proofs = [third.as_str()];
    let replies = futures::future::join_all(
        (0..6).map(|i| poll(if i % 2 == 0 { &app } else { &other }, &second, &proofs)),
    )
    .await;
    let won = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        won,
        1,
        "{:?}",
        replies.iter().map(|r| &r.json).collect::<Vec<_>>()
    );
    for lost in replies.iter().filter(|r| r.status != 200) {
        refused(lost, "used before");
    }
    other.shutdown().await;
    app.shutdown().await;
}
