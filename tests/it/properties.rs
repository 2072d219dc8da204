//! Property-based tests (proptest) of the code that reads untrusted input
//! before anything else does: user-code normalisation, scope parsing, the
//! OAuth form parser and client authentication headers. Case counts are
//! bounded so the module runs in a few seconds.

use authgate::domain::Error;
use authgate::model::UserCode;

/// The normalised form of `typed`, if it is a user code.
fn normalize_user_code(typed: &str) -> Option<String> {
    UserCode::parse(typed).map(|c| c.as_str().to_owned())
}

/// The display form of the normalised `code`.
fn format_user_code(code: &str) -> String {
    UserCode::parse(code).map_or_else(|| code.to_owned(), |c| c.display())
}
use authgate::http::extract::form::parse;
use authgate::http::extract::{ClientAuth, OAuthForm, bearer_token};
use authgate::http::oauth::device_code::DeviceCodeForm;
use authgate::http::oauth::token::TokenForm;
use authgate::model::scope::Scopes;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderMap, HeaderValue, Request, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;

const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// What people put between and around the letters of a code: ASCII and
/// Unicode dashes, dots, slashes, underscores and spaces of every width.
const SEPARATORS: &[&str] = &[
    " ", "  ", "-", "--", "\t", ".", "_", "/", ":", "·", "\u{00a0}", "\u{2010}", "\u{2011}",
    "\u{2012}", "\u{2013}", "\u{2014}", "\u{2212}", "\u{2022}", "\u{3000}", "\u{30fb}", "\u{ff0d}",
    "\u{200b}", "\u{feff}", "\u{0301}",
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn valid_code() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 8)
        .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
}

fn separator() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(SEPARATORS), 0..3).prop_map(|s| s.concat())
}

/// `code` as a person might type it: any case, separators anywhere.
fn typed(code: &str) -> impl Strategy<Value = String> + use<> {
    let letters: Vec<char> = code.chars().collect();
    (
        prop::collection::vec((any::<bool>(), separator()), letters.len()),
        separator(),
    )
        .prop_map(move |(per_letter, lead)| {
            let mut out = lead;
            for (c, (lower, sep)) in letters.iter().zip(per_letter) {
                out.push(if lower { c.to_ascii_lowercase() } else { *c });
                out.push_str(&sep);
            }
            out
        })
}

/// Strings that are mostly near-codes: alphabet letters in both cases,
/// other letters, digits, separators and the odd Unicode letter.
fn near_code() -> impl Strategy<Value = String> {
    "[BCDFGHJKLMNPQRSTVWXZbcdfghjklmnpqrstvwxz \\-–.AEIOUYaeiouy0-9éßＢı]{0,24}"
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_formatting_of_a_code_normalises_to_it(
        (code, typed) in valid_code().prop_flat_map(|c| (Just(c.clone()), typed(&c)))
    ) {
        prop_assert_eq!(normalize_user_code(&typed), Some(code.clone()));
        prop_assert_eq!(normalize_user_code(&format_user_code(&code)), Some(code));
    }

    /// A stray letter or digit is never silently dropped: the code is refused.
    #[test]
    fn an_extra_character_makes_a_code_invalid(
        (code, at) in (valid_code(), 0usize..=8),
        extra in "[AEIOUYaeiouy0-9é]",
    ) {
        let mut chars: Vec<char> = code.chars().collect();
        chars.splice(at..at, extra.chars());
        let typed: String = chars.into_iter().collect();
        prop_assert_eq!(normalize_user_code(&typed), None);
    }

    #[test]
    fn whatever_normalises_is_eight_alphabet_letters(
        input in prop_oneof![any::<String>(), near_code()]
    ) {
        if let Some(code) = normalize_user_code(&input) {
            prop_assert_eq!(code.len(), 8);
            prop_assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{}", code);
            prop_assert_eq!(normalize_user_code(&code), Some(code.clone()));
            let display = format_user_code(&code);
            prop_assert_eq!(display.len(), 9);
            prop_assert_eq!(normalize_user_code(&display), Some(code));
        }
    }

    #[test]
    fn scopes_round_trip(
        tokens in prop::collection::vec("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,12}", 0..6),
        gaps in prop::collection::vec(1usize..4, 7),
    ) {
        let mut input = " ".repeat(gaps[6] - 1);
        for (token, gap) in tokens.iter().zip(&gaps) {
            input.push_str(token);
            input.push_str(&" ".repeat(*gap));
        }
        let parsed = Scopes::parse(&input).expect("only valid characters");
        let mut unique: Vec<&str> = Vec::new();
        for t in &tokens {
            if !unique.contains(&t.as_str()) {
                unique.push(t);
            }
        }
        prop_assert_eq!(parsed.iter().collect::<Vec<_>>(), unique.clone());
        prop_assert_eq!(parsed.to_string(), unique.join(" "));
        prop_assert_eq!(Scopes::parse(&parsed.to_string()), Ok(parsed.clone()));
        prop_assert_eq!(parsed.is_empty(), tokens.is_empty());
    }

    #[test]
    fn scope_parsing_never_panics_and_accepts_only_scope_tokens(input in any::<String>()) {
        match Scopes::parse(&input) {
            Ok(parsed) => {
                for token in parsed.iter() {
                    prop_assert!(!token.is_empty());
                    prop_assert!(token
                        .chars()
                        .all(|c| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')));
                }
                prop_assert_eq!(Scopes::parse(&parsed.to_string()), Ok(parsed));
            }
            Err(message) => prop_assert!(message.contains("invalid character")),
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_form_parser_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse::<TokenForm>(&body);
        let _ = parse::<DeviceCodeForm>(&body);
    }

    #[test]
    fn the_form_parser_never_panics_on_near_forms(
        body in "([a-z_]{1,12}(=[a-zA-Z0-9%+&=;:_.~ -]{0,40})?&?){0,6}"
    ) {
        match parse::<TokenForm>(body.as_bytes()) {
            Ok(_) => {}
            Err(e) => prop_assert!(matches!(e.0, Error::InvalidRequest(_)), "{:?}", e.0),
        }
    }

    /// Whatever a client encodes comes back out, unless it is too long.
    #[test]
    fn encoded_forms_parse_back(
        grant_type in proptest::option::of(".{0,40}"),
        device_code in proptest::option::of(any::<String>()),
        client_id in proptest::option::of(".{0,300}"),
        scope in proptest::option::of("[a-z :\\-]{0,60}"),
        noise in proptest::option::of(any::<String>()),
    ) {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("grant_type", &grant_type),
            ("device_code", &device_code),
            ("client_id", &client_id),
            ("scope", &scope),
            ("unknown_parameter", &noise),
        ] {
            if let Some(value) = value {
                form.append_pair(name, value);
            }
        }
        let body = form.finish();
        let too_long = client_id.as_ref().is_some_and(|c| c.chars().count() > 255)
            || device_code.as_ref().is_some_and(|c| c.chars().count() > 512);
        // NUL is refused anywhere (PostgreSQL text cannot hold it).
        let nul = [&grant_type, &device_code, &client_id, &scope, &noise]
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.contains('\0')));
        let refused = too_long || nul;
        match parse::<TokenForm>(body.as_bytes()) {
            Ok(parsed) => {
                prop_assert!(!refused);
                prop_assert_eq!(parsed.grant_type, grant_type);
                prop_assert_eq!(parsed.device_code.as_ref().map(|s| s.expose().to_owned()), device_code);
                prop_assert_eq!(parsed.client_id, client_id);
                prop_assert_eq!(parsed.scope, scope);
            }
            Err(e) => {
                prop_assert!(refused, "{:?} for {}", e.0, body);
                prop_assert!(matches!(e.0, Error::InvalidRequest(_)));
            }
        }
    }

    /// A NUL anywhere, in a name or a value, however it is encoded.
    #[test]
    fn nul_is_refused_anywhere_in_a_form(
        before in "[a-z_]{1,8}=[a-z]{0,8}",
        name in "[a-z_]{0,8}",
        value in "[a-z]{0,8}",
        in_name in any::<bool>(),
        encoding in prop::sample::select(vec!["%00", "%00%00", "\0"]),
    ) {
        // Percent-encoded, or a raw NUL byte.
        let nul = encoding;
        let body = if in_name {
            format!("{before}&{name}{nul}={value}")
        } else {
            format!("{before}&{name}x={value}{nul}")
        };
        let e = parse::<TokenForm>(body.as_bytes()).expect_err("NUL");
        prop_assert!(matches!(e.0, Error::InvalidRequest(_)), "{:?}", e.0);
    }

    /// RFC 6749 §3.1: a repeated parameter is refused, however it is spelt.
    #[test]
    fn repeated_parameters_are_refused(
        a in "[a-zA-Z0-9]{0,10}",
        b in "[a-zA-Z0-9]{0,10}",
        spelt in prop::sample::select(vec!["client_id", "client%5Fid", "%63lient_id"]),
    ) {
        let body = format!("client_id={a}&{spelt}={b}");
        let e = parse::<TokenForm>(body.as_bytes()).expect_err("repeated");
        prop_assert!(matches!(e.0, Error::InvalidRequest(_)));
    }

    /// The whole extractor: any content type and body is a parsed form or
    /// an `invalid_request`, never a panic or another error.
    #[test]
    fn the_form_extractor_answers_invalid_request(
        content_type in prop_oneof![
            Just("application/x-www-form-urlencoded".to_owned()),
            Just("application/x-www-form-urlencoded; charset=utf-8".to_owned()),
            "[ -~]{0,40}",
        ],
        body in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut request = Request::builder().method("POST").uri("/oauth/token");
        if let Ok(value) = HeaderValue::from_str(&content_type) {
            request = request.header(header::CONTENT_TYPE, value);
        }
        let request = request.body(axum::body::Body::from(body)).expect("request");
        if let Err(e) = block_on(OAuthForm::<TokenForm>::from_request(request, &())) {
            prop_assert!(matches!(e.0, Error::InvalidRequest(_)), "{:?}", e.0);
        }
    }

    /// Client authentication never panics on any Authorization header; a
    /// Basic header it cannot read is `invalid_client`.
    #[test]
    fn client_auth_never_panics_on_arbitrary_headers(
        value in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..128),
            prop::collection::vec(any::<u8>(), 0..96).prop_map(|raw| {
                format!("Basic {}", STANDARD.encode(raw)).into_bytes()
            }),
            "(Basic|basic|BASIC|Bearer) [A-Za-z0-9+/=%:. -]{0,60}".prop_map(String::into_bytes),
        ]
    ) {
        let Ok(value) = HeaderValue::from_bytes(&value) else {
            return Ok(());
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.clone());
        let _ = bearer_token(&headers);
        let (mut parts, ()) = Request::builder()
            .header(header::AUTHORIZATION, value)
            .body(())
            .expect("request")
            .into_parts();
        match block_on(ClientAuth::from_request_parts(&mut parts, &())) {
            Ok(ClientAuth(Some((id, _)))) => prop_assert!(!id.is_empty()),
            Ok(ClientAuth(None)) => {}
            Err(e) => prop_assert!(
                matches!(e.0, Error::InvalidClient { basic_auth: true, .. }),
                "{:?}",
                e.0
            ),
        }
    }

    /// RFC 6749 §2.3.1: form-urlencoded id and secret, then base64, decode
    /// back to what the client holds.
    #[test]
    fn basic_credentials_round_trip(
        id in any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
        secret in any::<String>(),
        scheme in prop::sample::select(vec!["Basic", "basic", "BASIC"]),
    ) {
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let raw = format!("{}:{}", encode(&id), encode(&secret));
        let value = HeaderValue::from_str(&format!("{scheme} {}", STANDARD.encode(raw)))
            .expect("base64 is a valid header");
        let (mut parts, ()) = Request::builder()
            .header(header::AUTHORIZATION, value)
            .body(())
            .expect("request")
            .into_parts();
        let auth = block_on(ClientAuth::from_request_parts(&mut parts, &()));
        if id.contains('\0') || secret.contains('\0') {
            let e = auth.expect_err("NUL is refused");
            prop_assert!(
                matches!(e.0, Error::InvalidClient { basic_auth: true, .. }),
                "{:?}",
                e.0
            );
        } else {
            let auth = auth.map_err(|e| TestCaseError::fail(format!("{:?}", e.0)))?;
            prop_assert_eq!(
                auth.0.map(|(i, s)| (i, s.expose().to_owned())),
                Some((id, secret))
            );
        }
    }
}

/// A request printed by mistake (`?form` in a log line, a panic message)
/// shows no credential: device codes, refresh tokens, tokens, client
/// secrets and passwords are `Secret`s.
#[tokio::test]
async fn requests_never_print_their_secrets() {
    use authgate::http::oauth::introspect::IntrospectForm;
    use authgate::http::oauth::revoke::RevokeForm;
    let token = parse::<TokenForm>(
        b"grant_type=refresh_token&device_code=dc-hunter2&client_id=c\
          &client_secret=cs-hunter2&refresh_token=rt-hunter2",
    )
    .unwrap();
    let revoke = parse::<RevokeForm>(b"token=tk-hunter2&client_secret=cs-hunter2").unwrap();
    let introspect = parse::<IntrospectForm>(b"token=tk-hunter2").unwrap();
    let device = parse::<DeviceCodeForm>(b"client_id=c&client_secret=cs-hunter2").unwrap();
    let mut headers = HeaderMap::new();
    let basic = format!("Basic {}", STANDARD.encode("c:cs-hunter2"));
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_str(&basic).unwrap(),
    );
    let (mut parts, ()) = Request::builder().body(()).unwrap().into_parts();
    parts.headers = headers;
    let auth = ClientAuth::from_request_parts(&mut parts, &())
        .await
        .unwrap();
    let shown = format!("{token:?} {revoke:?} {introspect:?} {device:?} {auth:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert_eq!(
        token.refresh_token.as_ref().map(|s| s.expose()),
        Some("rt-hunter2"),
        "the value is still there for whoever needs it"
    );
}
