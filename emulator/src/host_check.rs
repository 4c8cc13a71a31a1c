//! The `Host` check: the emulator answers only requests addressed to a loopback
//! name or address, or to a name the developer allowed (`--allow-host`,
//! [`EmulatorConfig::allowed_hosts`](crate::EmulatorConfig::allowed_hosts)).
//!
//! A web page the developer visits can make the browser send requests to the
//! emulator under a name the page's author controls (DNS rebinding); the browser
//! then sends that name as `Host`, and the check refuses it with 403 before any
//! handler runs. A request without a `Host` header (HTTP/1.0, or a request built in
//! process) is answered: browsers always send one, so such a request does not come
//! from a web page.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::api::Resp;

/// The names, besides loopback ones, that requests may be addressed to.
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts(Vec<String>);

impl AllowedHosts {
    /// Allows `names` (host names or addresses, compared without port and case).
    pub fn new(names: &[String]) -> AllowedHosts {
        AllowedHosts(names.iter().map(|n| normalize(host_part(n))).collect())
    }

    /// Whether a request whose `Host` header (or URI authority) is `host` is
    /// answered.
    pub fn allows(&self, host: &str) -> bool {
        let name = normalize(host_part(host));
        !name.is_empty() && (is_loopback(&name) || self.0.contains(&name))
    }
}

/// The host of `host[:port]`, `[v6]:port`, `[v6]` (with its brackets removed).
fn host_part(value: &str) -> &str {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        return rest.split_once(']').map_or("", |(h, _)| h);
    }
    // a bare IPv6 address (only in `--allow-host`) has more than one colon
    if value.matches(':').count() > 1 {
        return value;
    }
    value.split_once(':').map_or(value, |(h, _)| h)
}

/// Lower case, without the trailing dot of a fully qualified name.
fn normalize(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn is_loopback(name: &str) -> bool {
    if name == "localhost" {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6 == Ipv6Addr::LOCALHOST || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// The middleware: 403 `{"detail": ...}` for a request addressed to another host.
pub async fn check(
    State(allowed): State<Arc<AllowedHosts>>,
    request: Request,
    next: Next,
) -> Response {
    let host = match request.headers().get(header::HOST) {
        Some(value) => Some(value.to_str().unwrap_or_default().to_owned()),
        None => request.uri().authority().map(ToString::to_string),
    };
    match host {
        Some(host) if !allowed.allows(&host) => {
            tracing::debug!("refused a request addressed to another host");
            crate::server::to_response(Resp::detail(
                StatusCode::FORBIDDEN,
                format!(
                    "Host {host:?} is not allowed: the emulator answers requests addressed to \
                     localhost, 127.0.0.0/8 or [::1] only; start it with --allow-host <name> \
                     (EmulatorConfig::allowed_hosts) to allow another name."
                ),
            ))
        }
        _ => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_with_any_port_are_allowed() {
        let allowed = AllowedHosts::default();
        for host in [
            "localhost",
            "LOCALHOST:8080",
            "localhost.",
            "127.0.0.1",
            "127.0.0.1:40123",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:8080",
            "[::ffff:127.0.0.1]:80",
        ] {
            assert!(allowed.allows(host), "{host} is loopback");
        }
    }

    #[test]
    fn other_names_are_refused_unless_allowed() {
        let none = AllowedHosts::default();
        for host in [
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "10.0.0.5:8080",
            "[fe80::1]:80",
            "",
            "[::1",
        ] {
            assert!(!none.allows(host), "{host:?} is refused");
        }
        let some = AllowedHosts::new(&["Dev.Box".into(), "10.0.0.5:9999".into(), "fe80::1".into()]);
        assert!(some.allows("dev.box:8080"));
        assert!(some.allows("10.0.0.5:8080"));
        assert!(some.allows("[fe80::1]:80"));
        assert!(!some.allows("other.box"));
    }
}
