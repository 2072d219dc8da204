//! `GET /openapi.json`: an OpenAPI 3.1 description of the JSON endpoints,
//! generated from the code: each handler's `#[utoipa::path]` annotation and
//! the `ToSchema` derives on its request and response types.
//!
//! Every route the router serves under `/oauth` and `/.well-known` must be
//! listed in [`ApiDoc`]; `tests/it/openapi.rs` probes the router and fails
//! when one is missing. The HTTP fuzz run (`make fuzz`) feeds this document
//! to schemathesis.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::error::ErrorBody;
use crate::http::oauth::{
    device_code, introspect, metadata, register, revoke, token, tokeninfo, userinfo,
};
use crate::http::ui::{authorize, end_session};
use crate::http::{health, paths};

/// The media type of every OAuth request body (RFC 6749 §3.2, RFC 8628 §3.1).
pub const FORM: &str = "application/x-www-form-urlencoded";

/// Security scheme names; `#[utoipa::path(security(...))]` only takes
/// literals, so these must match the strings used there.
const CLIENT_BASIC: &str = "client_basic";
const ACCESS_TOKEN: &str = "access_token";
const INTROSPECTION_TOKEN: &str = "introspection_token";
const INITIAL_ACCESS_TOKEN: &str = "initial_access_token";
const REGISTRATION_ACCESS_TOKEN: &str = "registration_access_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AuthGate",
        description = "OAuth 2.0 Device Authorization Grant server (RFC 8628), with the \
            authorization code grant and PKCE (RFC 6749 §4.1, RFC 7636) for apps. \
            OAuth request bodies are `application/x-www-form-urlencoded`; every \
            error is RFC 6749 §5.2 JSON (`error`, `error_description`, and `interval` \
            with `slow_down`) sent with `Cache-Control: no-store`. Any request may \
            also be answered 503 `temporarily_unavailable`, with `Retry-After`, while \
            the database is unavailable or when it takes longer than REQUEST_TIMEOUT.",
    ),
    paths(
        device_code::request_device_code,
        token::token,
        authorize::authorize,
        authorize::decide,
        end_session::end_session,
        end_session::end_session_post,
        tokeninfo::tokeninfo,
        revoke::revoke,
        introspect::introspect,
        userinfo::userinfo_get,
        userinfo::userinfo_post,
        metadata::metadata,
        metadata::jwks,
        register::register,
        register::read,
        register::update,
        register::delete,
        health::health,
    ),
    components(schemas(ErrorBody)),
    modifiers(&SecuritySchemes, &OpenIdConfiguration),
    tags(
        (name = "device flow", description = "Endpoints devices call (RFC 8628, RFC 6749, RFC 7009)"),
        (name = "sign-in for apps", description = "The authorization endpoint: pages for people, \
            answering the application by redirect (RFC 6749 §4.1, RFC 7636, RFC 9207)"),
        (name = "resource servers", description = "Checking access tokens (RFC 7662)"),
        (name = "discovery", description = "Metadata and keys (RFC 8414, RFC 7517)"),
        (name = "registration", description = "Dynamic client registration with an \
            administrator's approval (RFC 7591, RFC 7592); 404 unless REGISTRATION is on"),
        (name = "operations", description = "Health checks"),
    ),
)]
pub struct ApiDoc;

/// HTTP Basic client authentication (RFC 6749 §2.3.1) and the two kinds of
/// bearer token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            CLIENT_BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "Client authentication (`client_secret_basic`): the form-urlencoded \
                         client_id and client_secret. Public clients may send an empty \
                         password, or omit the header and send `client_id` in the body.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            ACCESS_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token issued by the token endpoint"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            INTROSPECTION_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The operator-configured introspection token (RFC 7662 §2.1)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            INITIAL_ACCESS_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "REGISTRATION_TOKEN, when REGISTRATION=token (RFC 7591 §3)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            REGISTRATION_ACCESS_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The registration access token a client got when it registered (RFC 7592 §1)",
                    ))
                    .build(),
            ),
        );
    }
}

/// `/.well-known/openid-configuration` serves the same document as
/// `/.well-known/oauth-authorization-server` with the same handler; a
/// `#[utoipa::path]` names one path, so the second is copied here.
struct OpenIdConfiguration;

impl Modify for OpenIdConfiguration {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(item) = openapi.paths.paths.get(paths::METADATA).cloned() else {
            return;
        };
        let mut item = item;
        if let Some(op) = item.get.as_mut() {
            op.operation_id = Some("openid_configuration".to_owned());
        }
        openapi
            .paths
            .paths
            .insert(paths::OPENID_CONFIGURATION.to_owned(), item);
    }
}

/// `GET /openapi.json`.
pub async fn openapi() -> Response {
    let mut response = Json(ApiDoc::openapi()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_documents_its_errors_and_schemas_resolve() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("serialises");
        let paths = doc["paths"].as_object().expect("paths");
        assert!(paths.contains_key(paths::OPENID_CONFIGURATION));
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("item") {
                let responses = op["responses"].as_object().expect("responses");
                // The authorization decision's success is a redirect;
                // registration answers 201 and deletion 204 (RFC 7591, 7592).
                assert!(
                    ["200", "201", "204", "303"]
                        .iter()
                        .any(|s| responses.contains_key(*s)),
                    "{method} {path}"
                );
                // Reading or deleting a registration has no input to refuse
                // but its token (401).
                let no_bad_request =
                    path == paths::REGISTRATION_CLIENT && (method == "get" || method == "delete");
                // The authorization and end-session endpoints answer people
                // with pages.
                if path.starts_with("/oauth/")
                    && !path.starts_with(paths::AUTHORIZE)
                    && path != paths::END_SESSION
                {
                    for status in ["400", "500"] {
                        if status == "400" && no_bad_request {
                            continue;
                        }
                        let body = &responses[status]["content"]["application/json"]["schema"];
                        assert_eq!(
                            body["$ref"], "#/components/schemas/ErrorBody",
                            "{method} {path} {status}"
                        );
                    }
                }
                if method == "post" && path != paths::REGISTRATION {
                    assert!(
                        op["requestBody"]["content"][FORM].is_object(),
                        "{method} {path} takes a form"
                    );
                }
            }
        }
        // Every $ref points at a schema that exists.
        let text = doc.to_string();
        // Optional fields are left out, never `null` (a form cannot say null):
        // `Option` fields need `#[schema(nullable = false)]`.
        assert!(!text.contains(r#""null""#), "a nullable field crept in");
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap_or_default();
            assert!(schemas.contains_key(name), "missing schema {name}");
        }
        let security = doc["components"]["securitySchemes"]
            .as_object()
            .expect("security schemes");
        for name in [CLIENT_BASIC, ACCESS_TOKEN, INTROSPECTION_TOKEN] {
            assert!(security.contains_key(name), "{name}");
        }
    }
}
