//! A software authenticator for the tests: a P-256 key per credential,
//! answers made exactly as WebAuthn Level 3 describes them (§6.1
//! authenticator data, §6.5.4 the "none" attestation, §5.8.1 client
//! data), with every field the tests need to get wrong on purpose: the
//! origin the "browser" reports, the relying party id the authenticator
//! signs for, whether it verified the person, and its counter.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One credential the authenticator holds.
#[derive(Clone)]
pub struct Credential {
    pub id: Vec<u8>,
    key: SigningKey,
    /// The user handle registration gave (WebAuthn `user.id`).
    pub user_handle: Vec<u8>,
    /// The signature counter; stays 0 when the authenticator keeps none.
    pub counter: u32,
}

/// The browser and authenticator together, as a test configures them.
#[derive(Clone)]
pub struct Authenticator {
    /// The origin the browser puts in the client data.
    pub origin: String,
    /// Signs for this relying party id instead of the one asked for.
    pub rp_id_override: Option<String>,
    /// Sets the UV flag (a PIN or biometric check happened).
    pub verifies: bool,
    /// Counts signatures (else the counter stays 0, as synced passkeys do).
    pub counts: bool,
}

impl Default for Authenticator {
    fn default() -> Self {
        Authenticator {
            origin: "http://localhost:8080".into(),
            rp_id_override: None,
            verifies: true,
            counts: true,
        }
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// CBOR (RFC 8949) head of `major` with argument `n`.
fn head(major: u8, n: usize, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        _ => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
    }
}

fn cbor_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    head(2, bytes.len(), out);
    out.extend(bytes);
}

fn cbor_text(text: &str, out: &mut Vec<u8>) {
    head(3, text.len(), out);
    out.extend(text.as_bytes());
}

/// The credential's public key as a COSE_Key (RFC 9053 §7.1.1: EC2,
/// ES256, P-256).
fn cose_key(key: &SigningKey) -> Vec<u8> {
    let point = key.verifying_key().to_encoded_point(false);
    let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
    cbor_bytes(point.x().expect("x"), &mut out);
    out.push(0x22);
    cbor_bytes(point.y().expect("y"), &mut out);
    out
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

impl Authenticator {
    fn flags(&self) -> u8 {
        if self.verifies { UP | UV } else { UP }
    }

    fn rp_id<'a>(&'a self, asked: &'a str) -> &'a str {
        self.rp_id_override.as_deref().unwrap_or(asked)
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        }))
        .expect("json")
    }

    /// `navigator.credentials.create()` for the server's options (the
    /// JSON of `/account/passkeys/options`): the new credential and the
    /// answer to send back, as passkey.js sends it.
    pub fn create(&self, options: &Value) -> (Credential, Value) {
        let o = &options["publicKey"];
        let asked = o["rp"]["id"].as_str().expect("rp.id");
        let rp_id = self.rp_id(asked);
        let challenge = o["challenge"].as_str().expect("challenge");
        let user_handle = unb64(o["user"]["id"].as_str().expect("user.id"));
        let mut id = vec![0u8; 32];
        id[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        id[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let key = SigningKey::random(&mut rand_core_06::OsRng);

        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags() | AT);
        auth_data.extend(0u32.to_be_bytes());
        auth_data.extend([0u8; 16]); // AAGUID: none
        auth_data.extend((id.len() as u16).to_be_bytes());
        auth_data.extend(&id);
        auth_data.extend(cose_key(&key));

        let mut attestation = vec![0xa3];
        cbor_text("fmt", &mut attestation);
        cbor_text("none", &mut attestation);
        cbor_text("attStmt", &mut attestation);
        attestation.push(0xa0);
        cbor_text("authData", &mut attestation);
        cbor_bytes(&auth_data, &mut attestation);

        let answer = json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(&self.client_data("webauthn.create", challenge)),
            },
            "extensions": {},
        });
        let credential = Credential {
            id,
            key,
            user_handle,
            counter: 0,
        };
        (credential, answer)
    }

    /// `navigator.credentials.get()` for the server's options, answered
    /// with `credential` (whether or not the options allow it).
    pub fn get(&self, credential: &mut Credential, options: &Value) -> Value {
        let o = &options["publicKey"];
        let asked = o["rpId"].as_str().expect("rpId");
        let challenge = o["challenge"].as_str().expect("challenge");
        if self.counts {
            credential.counter += 1;
        }
        let mut auth_data = Sha256::digest(self.rp_id(asked).as_bytes()).to_vec();
        auth_data.push(self.flags());
        auth_data.extend(credential.counter.to_be_bytes());
        let client_data = self.client_data("webauthn.get", challenge);
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: Signature = credential.key.sign(&signed);
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&credential.user_handle),
            },
            "extensions": {},
        })
    }
}
