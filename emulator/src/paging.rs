//! Keyset paging exactly as the API does it: `page_size` (default 100, capped
//! at 100), `direction` (1 = next, 0 = previous), `last_pk` (+ `last_value`
//! for objects ordered by a field), `ordering=asc|desc`, `include_count=1`,
//! and the envelope `{objects, next, prev}` with relative paths.
//!
//! The links follow the platform's rules, which look only at the page itself:
//! a full page links onward (so the last page of a list whose length is a
//! multiple of the page size is followed by an empty one), a first page (no
//! `direction`) has no `prev`, a page read forward always links back, and a
//! short page read backward links `next` to the first page. Links carry only
//! `page_size` and the ordering parameter (`ordering`, or `order_by` for data
//! objects) besides the cursor: a client re-sends its other parameters
//! (`query`, `fields`, ...) when following them.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::api::{HResult, Req, Resp};
pub use crate::dataobjects::ordering::Direction;
use crate::dataobjects::ordering::INCORRECT_PAGE_PARAMETER;

/// Default and maximum page size.
pub const MAX_PAGE_SIZE: usize = 100;

/// The request parameters a link of a plain list reproduces.
pub const LIST_LINK_PARAMS: &[&str] = &["page_size", "ordering"];

/// The request parameters a link of a data object list reproduces.
pub const OBJECT_LINK_PARAMS: &[&str] = &["page_size", "order_by"];

/// The paging parameters of one request.
#[derive(Clone, Debug)]
pub struct PageParams {
    /// Objects per page.
    pub size: usize,
    /// `direction=1` or `0`; `None` on a first page, where no cursor applies.
    pub direction: Option<Direction>,
    /// `ordering=desc`.
    pub desc: bool,
    /// `include_count=1`.
    pub include_count: bool,
}

impl PageParams {
    /// Whether the page is read backward from its cursor (`direction=0`).
    pub fn backward(&self) -> bool {
        self.direction == Some(Direction::Prev)
    }
}

/// 400 `Incorrect page parameter provided.`
pub fn bad_page() -> Resp {
    Resp::detail(StatusCode::BAD_REQUEST, INCORRECT_PAGE_PARAMETER)
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
    let direction = match req.q("direction") {
        None | Some("") => None,
        Some(d) => Some(Direction::from_param(d).map_err(|_| bad_page())?),
    };
    let desc = matches!(req.q("ordering"), Some("desc"));
    let include_count = matches!(
        req.q("include_count"),
        Some("1") | Some("true") | Some("True")
    );
    Ok(PageParams {
        size,
        direction,
        desc,
        include_count,
    })
}

/// Cuts a page out of `items` sorted ascending. `cmp` compares an item with the
/// cursor (`None` when no `last_pk` was given); the cursor applies only when a
/// `direction` was given, as on the platform.
pub fn cut<T>(mut items: Vec<T>, p: &PageParams, cmp: Option<&dyn Fn(&T) -> Ordering>) -> Vec<T> {
    if p.desc {
        items.reverse();
    }
    let cmp = cmp.filter(|_| p.direction.is_some());
    // the order of an item relative to the cursor, in display order
    let relative = |t: &T| -> Option<Ordering> {
        let o = cmp?(t);
        Some(if p.desc { o.reverse() } else { o })
    };
    let backward = p.backward();
    let candidates = items.into_iter().filter(|t| match relative(t) {
        None => true,
        Some(o) if backward => o == Ordering::Less,
        Some(o) => o == Ordering::Greater,
    });
    window(candidates.collect(), p)
}

/// The page of `candidates` (the items past the cursor, in display order): the
/// first `size` read forward, the last `size` read backward.
pub fn window<T>(mut candidates: Vec<T>, p: &PageParams) -> Vec<T> {
    if p.backward() {
        candidates.split_off(candidates.len().saturating_sub(p.size))
    } else {
        candidates.truncate(p.size);
        candidates
    }
}

/// Reads one page straight from an ordered index (a map keyed by the list order):
/// it starts at the cursor and stops after `size` entries `keep` keeps, so a page
/// costs O(log n + page size + the entries `keep` skips) whatever the index's
/// length. `descending` is the display order, `cursor` the key after (or, read
/// backward, before) which the page starts — applied only with a `direction`, as
/// in [`cut`]; it need not be in the index. The page comes in display order.
pub fn index_page<'a, K: Ord, V>(
    index: &'a BTreeMap<K, V>,
    p: &PageParams,
    descending: bool,
    cursor: Option<&K>,
    keep: impl Fn(&'a K, &'a V) -> bool,
) -> Vec<(&'a K, &'a V)> {
    use std::ops::Bound::{self, Excluded, Unbounded};
    let backward = p.backward();
    let cursor = cursor.filter(|_| p.direction.is_some());
    // read in ascending key order when the page lies above the cursor
    let upward = descending == backward;
    let bounds: (Bound<&K>, Bound<&K>) = match (cursor, upward) {
        (None, _) => (Unbounded, Unbounded),
        (Some(c), true) => (Excluded(c), Unbounded),
        (Some(c), false) => (Unbounded, Excluded(c)),
    };
    let range = index.range::<K, _>(bounds);
    let kept = |(k, v): &(&'a K, &'a V)| keep(k, v);
    let mut page: Vec<(&K, &V)> = if upward {
        range.filter(kept).take(p.size).collect()
    } else {
        range.rev().filter(kept).take(p.size).collect()
    };
    if backward {
        page.reverse();
    }
    page
}

/// Where a `next` or `prev` link leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    /// Forward from the page's last item.
    AfterLast,
    /// Backward from the page's first item.
    BeforeFirst,
    /// The first page (no cursor).
    FirstPage,
    /// Backward without a cursor (from the end).
    Backward,
}

/// The `next` and `prev` links of a page of `len` items, by the platform's rules.
fn links(p: &PageParams, len: usize) -> (Option<Link>, Option<Link>) {
    let full = len > 0 && len == p.size;
    match p.direction {
        None => (full.then_some(Link::AfterLast), None),
        Some(Direction::Next) => {
            let prev = if len == 0 {
                Link::Backward
            } else {
                Link::BeforeFirst
            };
            (full.then_some(Link::AfterLast), Some(prev))
        }
        Some(Direction::Prev) => {
            let next = if full {
                Link::AfterLast
            } else {
                Link::FirstPage
            };
            (Some(next), full.then_some(Link::BeforeFirst))
        }
    }
}

/// Builds a relative link: the request's path, the `carried` request parameters
/// it has, then `cursor`.
fn link(req: &Req, carried: &[&str], cursor: &[(String, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for name in carried {
        if let Some(value) = req.q(name) {
            ser.append_pair(name, value);
        }
    }
    for (k, v) in cursor {
        ser.append_pair(k, v);
    }
    let query = ser.finish();
    if query.is_empty() {
        req.path.clone()
    } else {
        format!("{}?{query}", req.path)
    }
}

/// One page ready to be sent: the request, its paging parameters, the
/// parameters its links carry, and how to write the cursor of an item.
pub struct Listing<'a, T> {
    /// The request listed.
    pub req: &'a Req,
    /// Its paging parameters.
    pub params: &'a PageParams,
    /// The request parameters the links reproduce ([`LIST_LINK_PARAMS`] or
    /// [`OBJECT_LINK_PARAMS`]).
    pub carried: &'static [&'static str],
    /// The cursor parameters (`last_pk`, maybe `last_value`) of an item.
    pub cursor: &'a dyn Fn(&T) -> Vec<(String, String)>,
}

impl<T> Listing<'_, T> {
    /// The envelope of `page`, whose items render as `objects`; `count` is the
    /// total for `include_count`.
    pub fn envelope(&self, page: &[T], objects: Vec<Value>, count: usize) -> Value {
        let (next, prev) = links(self.params, page.len());
        let render = |l: Option<Link>| -> Value {
            let cursor = match l {
                None => return Value::Null,
                Some(Link::FirstPage) => Vec::new(),
                Some(Link::Backward) => vec![direction(Direction::Prev)],
                Some(Link::AfterLast) => with_direction(Direction::Next, page.last(), self.cursor),
                Some(Link::BeforeFirst) => {
                    with_direction(Direction::Prev, page.first(), self.cursor)
                }
            };
            Value::String(link(self.req, self.carried, &cursor))
        };
        let mut m = Map::new();
        m.insert("objects".into(), Value::Array(objects));
        m.insert("next".into(), render(next));
        m.insert("prev".into(), render(prev));
        if self.params.include_count {
            m.insert("objects_count".into(), Value::from(count));
        }
        Value::Object(m)
    }
}

fn direction(d: Direction) -> (String, String) {
    ("direction".to_owned(), d.as_param().to_owned())
}

fn with_direction<T>(
    d: Direction,
    item: Option<&T>,
    cursor: &dyn Fn(&T) -> Vec<(String, String)>,
) -> Vec<(String, String)> {
    let mut pairs = vec![direction(d)];
    pairs.extend(item.map(cursor).unwrap_or_default());
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(size: usize, direction: Option<Direction>, desc: bool) -> PageParams {
        PageParams {
            size,
            direction,
            desc,
            include_count: false,
        }
    }

    const FWD: Option<Direction> = Some(Direction::Next);
    const BACK: Option<Direction> = Some(Direction::Prev);

    fn cut_ids(items: Vec<i64>, p: &PageParams, cursor: Option<i64>) -> Vec<i64> {
        let f = cursor.map(|c| move |x: &i64| x.cmp(&c));
        cut(items, p, f.as_ref().map(|f| f as &dyn Fn(&i64) -> Ordering))
    }

    #[test]
    fn pages_forward_backward_and_descending() {
        let all: Vec<i64> = (1..=10).collect();
        let page = |p: PageParams, cursor| cut_ids(all.clone(), &p, cursor);
        assert_eq!(page(params(3, None, false), None), [1, 2, 3]);
        assert_eq!(page(params(3, FWD, false), Some(3)), [4, 5, 6]);
        assert_eq!(page(params(3, FWD, false), Some(9)), [10]);
        assert_eq!(page(params(3, BACK, false), Some(4)), [1, 2, 3]);
        assert_eq!(page(params(3, BACK, false), Some(8)), [5, 6, 7]);
        assert_eq!(page(params(3, BACK, false), None), [8, 9, 10]);
        assert_eq!(page(params(3, None, true), None), [10, 9, 8]);
        assert_eq!(page(params(3, FWD, true), Some(8)), [7, 6, 5]);
        assert_eq!(page(params(3, BACK, true), Some(7)), [10, 9, 8]);
        assert_eq!(page(params(0, None, false), None), Vec::<i64>::new());
        // without a direction the platform applies no cursor
        assert_eq!(page(params(3, None, false), Some(5)), [1, 2, 3]);
    }

    #[test]
    fn index_pages_match_the_pages_cut_from_the_whole_list() {
        let all: Vec<i64> = (1..=10).collect();
        let index: BTreeMap<i64, i64> = all.iter().map(|k| (*k, *k)).collect();
        let even = |v: &i64| v % 2 == 0;
        for desc in [false, true] {
            for direction in [None, FWD, BACK] {
                for cursor in [None, Some(0), Some(1), Some(4), Some(7), Some(10), Some(11)] {
                    for size in [0, 1, 3, 100] {
                        let p = params(size, direction, desc);
                        let indexed: Vec<i64> =
                            index_page(&index, &p, desc, cursor.as_ref(), |_, _| true)
                                .into_iter()
                                .map(|(k, _)| *k)
                                .collect();
                        assert_eq!(
                            indexed,
                            cut_ids(all.clone(), &p, cursor),
                            "{p:?} {cursor:?}"
                        );
                        let filtered: Vec<i64> =
                            index_page(&index, &p, desc, cursor.as_ref(), |_, v| even(v))
                                .into_iter()
                                .map(|(k, _)| *k)
                                .collect();
                        let evens = all.iter().copied().filter(|v| even(v)).collect();
                        assert_eq!(filtered, cut_ids(evens, &p, cursor), "{p:?} {cursor:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn links_look_only_at_the_page() {
        use Link::*;
        // a first page: onward when full, never back
        assert_eq!(links(&params(3, None, false), 3), (Some(AfterLast), None));
        assert_eq!(links(&params(3, None, false), 2), (None, None));
        // forward: onward when full, always back
        assert_eq!(
            links(&params(3, FWD, false), 3),
            (Some(AfterLast), Some(BeforeFirst))
        );
        assert_eq!(links(&params(3, FWD, false), 1), (None, Some(BeforeFirst)));
        assert_eq!(links(&params(3, FWD, false), 0), (None, Some(Backward)));
        // backward: back when full; onward from the last item, or to the first page
        assert_eq!(
            links(&params(3, BACK, false), 3),
            (Some(AfterLast), Some(BeforeFirst))
        );
        assert_eq!(links(&params(3, BACK, false), 2), (Some(FirstPage), None));
        assert_eq!(links(&params(0, None, false), 0), (None, None));
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
            origin: String::new(),
            version: None,
        }
    }

    #[test]
    fn parameters() {
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
        assert_eq!(parse(&req(&[])).map(|p| p.direction).ok(), Some(None));
        assert_eq!(
            parse(&req(&[("direction", "0")])).map(|p| p.direction).ok(),
            Some(BACK)
        );
    }

    #[test]
    fn links_carry_page_size_ordering_and_the_cursor_only() {
        let r = req(&[
            ("query", "{\"a\":1}"),
            ("api_key", "secret"),
            ("ordering", "desc"),
            ("page_size", "2"),
            ("direction", "1"),
            ("last_pk", "3"),
        ]);
        let p = parse(&r).expect("valid");
        let cursor = |id: &i64| vec![("last_pk".to_owned(), id.to_string())];
        let listing = Listing {
            req: &r,
            params: &p,
            carried: LIST_LINK_PARAMS,
            cursor: &cursor,
        };
        let body = listing.envelope(&[4, 5], vec![Value::Null, Value::Null], 10);
        assert_eq!(
            body["next"],
            "/v1.1/instances/x/classes/?page_size=2&ordering=desc&direction=1&last_pk=5"
        );
        assert_eq!(
            body["prev"],
            "/v1.1/instances/x/classes/?page_size=2&ordering=desc&direction=0&last_pk=4"
        );
        assert!(body.get("objects_count").is_none());
        // a short page read backward leads to the first page
        let r = req(&[("direction", "0"), ("last_pk", "3")]);
        let p = parse(&r).expect("valid");
        let listing = Listing {
            req: &r,
            params: &p,
            carried: OBJECT_LINK_PARAMS,
            cursor: &cursor,
        };
        let body = listing.envelope(&[1, 2], vec![Value::Null, Value::Null], 2);
        assert_eq!(body["next"], "/v1.1/instances/x/classes/");
        assert_eq!(body["prev"], Value::Null);
    }
}
