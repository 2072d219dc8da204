//! The key ring's signing and verifying, for every algorithm.

use super::*;

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    exp: i64,
}

fn claims() -> Claims {
    Claims {
        iss: "http://i".into(),
        aud: "http://i".into(),
        sub: "u".into(),
        exp: 10,
    }
}

#[test]
fn every_algorithm_signs_and_verifies_from_its_jwk() {
    for alg in [SigningAlg::Es256, SigningAlg::EdDsa, SigningAlg::Rs256] {
        let key = generate(alg, 1).expect("generate");
        assert_eq!(key.public_jwk["alg"], alg.as_str());
        assert!(
            key.public_jwk.get("d").is_none(),
            "no private part published"
        );
        let ring = KeyRing::new(
            Some(&key),
            std::slice::from_ref(&key),
            b"secret",
            false,
            "http://i",
            "http://i",
        )
        .expect("ring");
        let token = ring.sign(&claims()).expect("sign");
        assert_eq!(ring.verify::<Claims>(&token), Some(claims()), "{alg}");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
    }
}

#[test]
fn pem_keys_load_with_a_stable_kid() {
    use p256::pkcs8::{EncodePrivateKey as _, LineEnding};
    let key = p256::ecdsa::SigningKey::random(&mut OsRng);
    let pem = key.to_pkcs8_pem(LineEnding::LF).expect("pem");
    let a = from_pem(SigningAlg::Es256, &pem, 1).expect("load");
    let b = from_pem(SigningAlg::Es256, &pem, 2).expect("load");
    assert_eq!(a.kid, b.kid, "same file, same kid");
    let ring = KeyRing::new(
        Some(&a),
        std::slice::from_ref(&a),
        b"s",
        false,
        "http://i",
        "http://i",
    )
    .expect("ring");
    let token = ring.sign(&claims()).expect("sign");
    assert_eq!(ring.verify::<Claims>(&token), Some(claims()));
    assert!(
        from_pem(SigningAlg::EdDsa, &pem, 1).is_err(),
        "wrong key type"
    );
    assert!(from_pem(SigningAlg::Es256, "garbage", 1).is_err());
}

#[test]
fn hs256_ring_and_legacy_tokens_without_kid() {
    let ring = KeyRing::new(
        None,
        &[],
        b"0123456789abcdef0123456789abcdef",
        false,
        "http://i",
        "http://i",
    )
    .expect("ring");
    let token = ring.sign(&claims()).expect("sign");
    assert!(ring.verify::<Claims>(&token).is_some());
    let legacy = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
    )
    .expect("encode");
    assert!(ring.verify::<Claims>(&legacy).is_some());
    assert_eq!(ring.jwks()["keys"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_token_for_another_kid_or_alg_is_refused() {
    let a = generate(SigningAlg::Es256, 1).expect("a");
    let b = generate(SigningAlg::Es256, 1).expect("b");
    let ring_a = KeyRing::new(
        Some(&a),
        std::slice::from_ref(&a),
        b"s",
        false,
        "http://i",
        "http://i",
    )
    .expect("ring");
    let ring_b = KeyRing::new(
        Some(&b),
        std::slice::from_ref(&b),
        b"s",
        false,
        "http://i",
        "http://i",
    )
    .expect("ring");
    let token = ring_b.sign(&claims()).expect("sign");
    assert!(ring_a.verify::<Claims>(&token).is_none());
    assert!(!ring_a.knows_kid_of(&token));
    // An HS256 token forged with the public key as secret (alg confusion)
    // names the ES256 kid and is checked with ES256 only.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(a.kid.clone());
    let forged = jsonwebtoken::encode(
        &header,
        &claims(),
        &EncodingKey::from_secret(a.public_jwk.to_string().as_bytes()),
    )
    .expect("encode");
    assert!(ring_a.verify::<Claims>(&forged).is_none());
}

#[test]
fn an_asymmetric_ring_accepts_hs256_only_when_told() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let hs256 = KeyRing::new(None, &[], secret, false, "http://i", "http://i").expect("ring");
    let with_kid = hs256.sign(&claims()).expect("sign");
    let without_kid = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(secret),
    )
    .expect("encode");
    let key = generate(SigningAlg::Es256, 1).expect("key");
    for accept in [false, true] {
        let ring = KeyRing::new(
            Some(&key),
            std::slice::from_ref(&key),
            secret,
            accept,
            "http://i",
            "http://i",
        )
        .expect("ring");
        for token in [&with_kid, &without_kid] {
            assert_eq!(ring.verify::<Claims>(token).is_some(), accept, "{accept}");
        }
        let own = ring.sign(&claims()).expect("sign");
        assert_eq!(ring.verify::<Claims>(&own), Some(claims()));
    }
}
