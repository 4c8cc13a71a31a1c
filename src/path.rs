//! Building and matching API paths.
//!
//! Every path of the Syncano API is a sequence of `/`-separated segments ending in `/`.
//! [`segment`] percent-encodes one value so that it can be placed between two slashes,
//! and [`match_template`] recovers the path parameters from a link such as
//! `/v1.1/instances/library/classes/book/` given the template
//! `/v1.1/instances/{instance}/classes/{name}/`.
//!
//! ```
//! use syncano::path::{match_template, segment};
//!
//! assert_eq!(segment(&"my book"), "my%20book");
//! assert_eq!(
//!     match_template("/v1.1/instances/{instance}/classes/{name}/", "/v1.1/instances/lib/classes/my%20book/"),
//!     Some(vec!["lib".to_string(), "my book".to_string()]),
//! );
//! ```

use std::fmt::Display;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Characters left as they are in a path segment: the RFC 3986 unreserved set.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path parameter so that it forms exactly one path segment.
///
/// Everything except ASCII letters, digits and `-._~` is encoded, including `/`, `?`,
/// `#` and `%`, so a value can never change the shape of the path it is placed in.
pub fn segment(value: &impl Display) -> String {
    utf8_percent_encode(&value.to_string(), SEGMENT).to_string()
}

/// Whether `path` has a dot segment — `.` or `..`, also percent-encoded (`%2E%2e`) —
/// which a URL parser resolves by climbing, so that the request would reach another
/// resource than the one named (a channel named `..` would stand for its instance).
/// The client refuses such paths; [`segment`] leaves `.` as it is, so a path parameter
/// `..` is caught here.
///
/// ```
/// use syncano::path::has_dot_segment;
///
/// assert!(has_dot_segment("/v1.1/instances/library/channels/../"));
/// assert!(has_dot_segment("/v1.1/instances/library/channels/%2E%2e/"));
/// assert!(!has_dot_segment("/v1.1/instances/library/channels/.news./?q=.."));
/// ```
pub fn has_dot_segment(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|s| {
        let decoded = s.to_ascii_lowercase().replace("%2e", ".");
        decoded == "." || decoded == ".."
    })
}

/// Matches a link `path` against a `template` with `{name}` placeholders and returns the
/// percent-decoded values of the placeholders in template order.
///
/// A query string or fragment on `path` is ignored, as is a scheme and host (absolute
/// URLs are accepted). A missing trailing slash on either side is tolerated; any other
/// difference in the literal segments or in the number of segments gives `None`, as
/// does an empty placeholder value or one that does not decode as UTF-8.
pub fn match_template(template: &str, path: &str) -> Option<Vec<String>> {
    let path = strip_origin(path);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let template_segments = split_segments(template);
    let path_segments = split_segments(path);
    if template_segments.len() != path_segments.len() {
        return None;
    }
    let mut values = Vec::new();
    for (t, p) in template_segments.iter().zip(path_segments.iter()) {
        if t.len() >= 2 && t.starts_with('{') && t.ends_with('}') {
            if p.is_empty() {
                return None;
            }
            let decoded = percent_decode_str(p).decode_utf8().ok()?;
            values.push(decoded.into_owned());
        } else if t != p {
            return None;
        }
    }
    Some(values)
}

/// Returns the path part of an absolute URL, or the input when it is already a path.
fn strip_origin(path: &str) -> &str {
    for scheme in ["http://", "https://"] {
        if let Some(rest) = path.strip_prefix(scheme) {
            return match rest.find('/') {
                Some(i) => &rest[i..],
                None => "/",
            };
        }
    }
    path
}

/// Splits a path into its segments, ignoring one leading and one trailing slash.
fn split_segments(path: &str) -> Vec<&str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_encodes_reserved_characters() {
        assert_eq!(segment(&"a/b?c#d%e f"), "a%2Fb%3Fc%23d%25e%20f");
        assert_eq!(segment(&"book-1.x_y~z"), "book-1.x_y~z");
        assert_eq!(segment(&42), "42");
        assert_eq!(segment(&"zażółć"), "za%C5%BC%C3%B3%C5%82%C4%87");
    }

    #[test]
    fn template_matching() {
        let t = "/v1.1/instances/{instance}/snippets/scripts/{id}/traces/{trace_id}/";
        assert_eq!(
            match_template(t, "/v1.1/instances/lib/snippets/scripts/4/traces/17/"),
            Some(vec!["lib".into(), "4".into(), "17".into()])
        );
        assert_eq!(
            match_template(
                t,
                "https://api.syncano.io/v1.1/instances/lib/snippets/scripts/4/traces/17/?x=1"
            ),
            Some(vec!["lib".into(), "4".into(), "17".into()])
        );
        assert_eq!(
            match_template(t, "/v1.1/instances/lib/snippets/scripts/4/traces/"),
            None
        );
        assert_eq!(
            match_template(t, "/v1.1/instances/lib/snippets/other/4/traces/17/"),
            None
        );
        assert_eq!(
            match_template(t, "/v1.1/instances//snippets/scripts/4/traces/17/"),
            None
        );
        assert_eq!(
            match_template("/v1.1/account/", "/v1.1/account"),
            Some(vec![])
        );
        assert_eq!(
            match_template("/v1.1/instances/{i}/", "/v1.1/instances/%FF/"),
            None
        );
    }

    #[test]
    fn segment_roundtrips_through_match() {
        for value in ["a b", "x/y", "100%", "?#&=", "ünïcødé"] {
            let path = format!("/v1.1/instances/{}/", segment(&value));
            assert_eq!(
                match_template("/v1.1/instances/{name}/", &path),
                Some(vec![value.to_string()])
            );
        }
    }
}
