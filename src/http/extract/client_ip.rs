//! The address of the requesting peer.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ipnet::IpNet;

use crate::state::AppState;

/// The client's address: the TCP peer, or — only when the peer is a
/// configured trusted proxy — the nearest untrusted address in
/// `X-Forwarded-For` (a client can prepend anything to that header, so it
/// is read from the right).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let trusted = &state.http.trusted_proxies;
        Ok(ClientIp(
            peer.map(|peer| client_address(peer, &parts.headers, trusted)),
        ))
    }
}

/// Resolves the client address behind trusted proxies.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().expect("header"));
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = [10, 0, 0, 2].into();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        // Untrusted peer: the header is ignored.
        assert_eq!(
            client_address([1, 2, 3, 4].into(), &headers("9.9.9.9"), &trusted),
            IpAddr::from([1, 2, 3, 4])
        );
        // Trusted peer: the nearest untrusted hop, not a spoofed leftmost one.
        assert_eq!(
            client_address(proxy, &headers("6.6.6.6, 203.0.113.7, 10.0.0.9"), &trusted),
            IpAddr::from([203, 0, 113, 7])
        );
        // Nothing usable: the peer.
        assert_eq!(client_address(proxy, &headers("garbage"), &trusted), proxy);
        assert_eq!(client_address(proxy, &HeaderMap::new(), &[]), proxy);
    }
}

/// The request's User-Agent, if it is valid text.
#[derive(Debug, Clone)]
pub struct UserAgent(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(UserAgent(
            parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        ))
    }
}
