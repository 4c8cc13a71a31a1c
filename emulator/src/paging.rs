//! Keyset paging exactly as the API does it: `page_size` (default 100, capped
//! at 100), `direction` (1 = next, 0 = previous), `last_pk` (+ `last_value`
//! for objects ordered by a field), `ordering=asc|desc`, `include_count=1`,
//! and the envelope `{objects, next, prev}` with relative paths.

use std::cmp::Ordering;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::api::{HResult, Req, Resp};

/// Default and maximum page size.
pub const MAX_PAGE_SIZE: usize = 100;

/// The paging parameters of one request.
#[derive(Clone, Debug)]
pub struct PageParams {
    /// Objects per page.
    pub size: usize,
    /// `direction=1` (default) or `0`.
    pub forward: bool,
    /// `ordering=desc`.
    pub desc: bool,
    /// `include_count=1`.
    pub include_count: bool,
}

fn bad_page() -> Resp {
    Resp::detail(
        StatusCode::BAD_REQUEST,
        "Incorrect page parameter provided.",
    )
}

/// Parses the paging parameters; 400 on bad values.
pub fn parse(req: &Req) -> HResult<PageParams> {
    let size = match req.q("page_size") {
        None | Some("") => MAX_PAGE_SIZE,
        Some(s) => {
            let t = s.trim();
            let digits = t.strip_prefix('+').unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad_page());
            }
            // any non-negative integer, however large, is capped; 0 gives an empty page
            match digits.parse::<u64>() {
                Ok(n) => usize::try_from(n)
                    .unwrap_or(MAX_PAGE_SIZE)
                    .min(MAX_PAGE_SIZE),
                Err(_) => MAX_PAGE_SIZE,
            }
        }
    };
    let forward = match req.q("direction") {
        None | Some("") | Some("1") => true,
        Some("0") => false,
        Some(_) => return Err(bad_page()),
    };
    let desc = matches!(req.q("ordering"), Some("desc"));
    let include_count = matches!(
        req.q("include_count"),
        Some("1") | Some("true") | Some("True")
    );
    Ok(PageParams {
        size,
        forward,
        desc,
        include_count,
    })
}

/// One page cut out of a sorted list.
pub struct Cut<T> {
    /// The items of the page, in display order.
    pub items: Vec<T>,
    /// There are items after the page.
    pub has_next: bool,
    /// There are items before the page.
    pub has_prev: bool,
}

/// Cuts a page. `items` are sorted ascending; `cmp` compares an item with the
/// cursor (`None` when no cursor was given).
pub fn cut<T>(mut items: Vec<T>, p: &PageParams, cmp: Option<&dyn Fn(&T) -> Ordering>) -> Cut<T> {
    if p.desc {
        items.reverse();
    }
    let after = |t: &T| -> bool {
        match cmp {
            None => true,
            Some(c) => {
                let o = c(t);
                if p.desc {
                    o == Ordering::Less
                } else {
                    o == Ordering::Greater
                }
            }
        }
    };
    let before = |t: &T| -> bool {
        match cmp {
            None => true,
            Some(c) => {
                let o = c(t);
                if p.desc {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            }
        }
    };
    if p.size == 0 {
        return Cut {
            items: Vec::new(),
            has_next: false,
            has_prev: false,
        };
    }
    if p.forward {
        let has_prev = cmp.is_some() && items.iter().any(|t| !after(t));
        let mut cand: Vec<T> = items.into_iter().filter(|t| after(t)).collect();
        let has_next = cand.len() > p.size;
        cand.truncate(p.size);
        Cut {
            items: cand,
            has_next,
            has_prev,
        }
    } else {
        let has_next = cmp.is_some() && items.iter().any(|t| !before(t));
        let mut cand: Vec<T> = items.into_iter().filter(|t| before(t)).collect();
        let has_prev = cand.len() > p.size;
        let skip = cand.len().saturating_sub(p.size);
        let page = cand.split_off(skip);
        Cut {
            items: page,
            has_next,
            has_prev,
        }
    }
}

/// Builds a relative link reproducing the request's other query parameters.
pub fn link(req: &Req, forward: bool, cursor: &[(String, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &req.query {
        // the cursor is replaced; keys never travel in links
        if matches!(
            k.as_str(),
            "direction" | "last_pk" | "last_value" | "api_key" | "apikey" | "user_key" | "userkey"
        ) {
            continue;
        }
        ser.append_pair(k, v);
    }
    ser.append_pair("direction", if forward { "1" } else { "0" });
    for (k, v) in cursor {
        ser.append_pair(k, v);
    }
    format!("{}?{}", req.path, ser.finish())
}

/// The envelope.
pub fn envelope(
    req: &Req,
    objects: Vec<Value>,
    next: Option<Vec<(String, String)>>,
    prev: Option<Vec<(String, String)>>,
    count: Option<usize>,
) -> Value {
    let mut m = Map::new();
    m.insert("objects".into(), Value::Array(objects));
    m.insert(
        "next".into(),
        next.map(|c| Value::String(link(req, true, &c)))
            .unwrap_or(Value::Null),
    );
    m.insert(
        "prev".into(),
        prev.map(|c| Value::String(link(req, false, &c)))
            .unwrap_or(Value::Null),
    );
    if let Some(n) = count {
        m.insert("objects_count".into(), Value::from(n));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(size: usize, forward: bool, desc: bool) -> PageParams {
        PageParams {
            size,
            forward,
            desc,
            include_count: false,
        }
    }

    fn cut_ids(items: Vec<i64>, p: &PageParams, cursor: Option<i64>) -> (Vec<i64>, bool, bool) {
        let f = cursor.map(|c| move |x: &i64| x.cmp(&c));
        let c = cut(items, p, f.as_ref().map(|f| f as &dyn Fn(&i64) -> Ordering));
        (c.items, c.has_next, c.has_prev)
    }

    #[test]
    fn forward_backward_and_descending() {
        let all: Vec<i64> = (1..=10).collect();
        assert_eq!(
            cut_ids(all.clone(), &params(3, true, false), None),
            (vec![1, 2, 3], true, false)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, true, false), Some(3)),
            (vec![4, 5, 6], true, true)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, true, false), Some(9)),
            (vec![10], false, true)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, false, false), Some(4)),
            (vec![1, 2, 3], true, false)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, false, false), Some(8)),
            (vec![5, 6, 7], true, true)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, true, true), None),
            (vec![10, 9, 8], true, false)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, true, true), Some(8)),
            (vec![7, 6, 5], true, true)
        );
        assert_eq!(
            cut_ids(all.clone(), &params(3, false, true), Some(7)),
            (vec![10, 9, 8], true, false)
        );
        assert_eq!(
            cut_ids(all, &params(0, true, false), None),
            (vec![], false, false)
        );
    }

    fn req(query: &[(&str, &str)]) -> Req {
        Req {
            method: axum::http::Method::GET,
            path: "/v1.1/instances/x/classes/".into(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            api_key: None,
            user_key: None,
            body: None,
            in_batch: false,
            template: None,
        }
    }

    #[test]
    fn parameters_and_links() {
        assert_eq!(parse(&req(&[])).map(|p| p.size).ok(), Some(100));
        assert_eq!(
            parse(&req(&[("page_size", "500")])).map(|p| p.size).ok(),
            Some(100)
        );
        assert_eq!(
            parse(&req(&[("page_size", "7")])).map(|p| p.size).ok(),
            Some(7)
        );
        assert_eq!(
            parse(&req(&[("page_size", "123456789012345678901234567890")]))
                .map(|p| p.size)
                .ok(),
            Some(100)
        );
        assert_eq!(
            parse(&req(&[("page_size", "0")])).map(|p| p.size).ok(),
            Some(0)
        );
        for bad in ["-1", "x", "1.5"] {
            assert!(parse(&req(&[("page_size", bad)])).is_err());
        }
        assert!(parse(&req(&[("direction", "2")])).is_err());
        let r = req(&[
            ("page_size", "10"),
            ("api_key", "secret"),
            ("query", "{\"a\":1}"),
            ("last_pk", "3"),
        ]);
        let l = link(&r, true, &[("last_pk".into(), "20".into())]);
        assert_eq!(
            l,
            "/v1.1/instances/x/classes/?page_size=10&query=%7B%22a%22%3A1%7D&direction=1&last_pk=20"
        );
    }
}
