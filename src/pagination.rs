//! Listing: [`ListRequest`] (the list builder), [`Page`] and item streams.
//!
//! The API pages every list with a cursor: `page_size` (default and maximum 100),
//! `direction` (1 forward, 0 backward) and `last_pk` (plus `last_value` when objects are
//! sorted with `order_by`). A page is the envelope `{"objects": [...], "next": path|null,
//! "prev": path|null}` whose `next`/`prev` are relative paths carrying the cursor.
//!
//! The API's links keep only the page size, the ordering and the cursor, so following
//! one ([`Page::next_page`], [`ListRequest::stream`]) re-sends the list's other
//! parameters (`query`, `fields`, `include_count`, ...) that the link lacks, as the
//! Python library did. A full page always has a `next`, even when nothing follows: the
//! page after it is then empty and has none.
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use futures::TryStreamExt;
//! use serde::Deserialize;
//! use syncano::{ListRequest, Ordering};
//!
//! #[derive(Debug, Deserialize)]
//! struct Book { id: u64, title: String }
//!
//! let books = ListRequest::<Book>::new(client.clone(), "/v1.1/instances/lib/classes/book/objects/".into())
//!     .page_size(50)
//!     .order_by("-created_at")
//!     .query(&serde_json::json!({"pages": {"_gt": 100}}));
//!
//! // One page at a time...
//! let first = books.clone().page().await?;
//! if let Some(second) = first.next_page().await? {
//!     println!("{} more", second.objects.len());
//! }
//! // ...or every item, fetching pages lazily...
//! let mut stream = books.clone().limit(120).stream();
//! while let Some(book) = stream.try_next().await? {
//!     println!("{}: {}", book.id, book.title);
//! }
//! // ...or all at once, as raw JSON.
//! let all: Vec<serde_json::Value> = books.raw().collect().await?;
//! # let _ = (all, Ordering::Desc);
//! # Ok(())
//! # }
//! ```
//!
//! A page that still fails once the client's retries are spent ends a
//! [`stream`](ListRequest::stream) with a [`StreamError`]: the error, and the
//! [`ListCursor`] of the page that failed. [`ListRequest::resume`] continues the
//! listing from there, without reading again what was already produced:
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use futures::StreamExt;
//! use syncano::ListRequest;
//!
//! let list = ListRequest::<serde_json::Value>::new(client, "/v1.1/instances/".into());
//! let mut items = Vec::new();
//! let mut stream = list.clone().stream();
//! while let Some(item) = stream.next().await {
//!     match item {
//!         Ok(item) => items.push(item),
//!         Err(stopped) => match stopped.cursor() {
//!             // e.g. after waiting a while
//!             Some(cursor) => stream = list.clone().resume(cursor.clone()).stream(),
//!             None => return Err(stopped.into_error()),
//!         },
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use futures::stream::{self, BoxStream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::{Client, Method};

/// The largest page the API serves.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The direction of a listing from the cursor (`direction=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Items after the cursor (`direction=1`).
    Forward,
    /// Items before the cursor (`direction=0`).
    Backward,
}

impl Direction {
    /// The value of the `direction` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Forward => "1",
            Direction::Backward => "0",
        }
    }
}

/// The order of a listing (`ordering=`; objects use [`ListRequest::order_by`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// Oldest first (`ordering=asc`).
    Asc,
    /// Newest first (`ordering=desc`).
    Desc,
}

impl Ordering {
    /// The value of the `ordering` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Ordering::Asc => "asc",
            Ordering::Desc => "desc",
        }
    }
}

/// A list call being built: the path, the query parameters, and an optional limit on
/// the number of items. Nothing is sent until [`page`](ListRequest::page),
/// [`stream`](ListRequest::stream), [`collect`](ListRequest::collect) or
/// [`page_raw`](ListRequest::page_raw).
pub struct ListRequest<T> {
    client: Client,
    path: String,
    params: Vec<(String, String)>,
    limit: Option<usize>,
    deferred_error: Option<String>,
    _items: PhantomData<fn() -> T>,
}

impl<T> Clone for ListRequest<T> {
    fn clone(&self) -> Self {
        ListRequest {
            client: self.client.clone(),
            path: self.path.clone(),
            params: self.params.clone(),
            limit: self.limit,
            deferred_error: self.deferred_error.clone(),
            _items: PhantomData,
        }
    }
}

impl<T> fmt::Debug for ListRequest<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListRequest")
            .field("path", &self.path)
            .field("params", &self.params)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<T> ListRequest<T> {
    /// A list of the items at `path` (such as `/v1.1/instances/`) through `client`.
    pub fn new(client: Client, path: String) -> Self {
        ListRequest {
            client,
            path,
            params: Vec::new(),
            limit: None,
            deferred_error: None,
            _items: PhantomData,
        }
    }

    /// Sets query parameter `name` to `value`, replacing an earlier value.
    pub fn param(mut self, name: impl Into<String>, value: impl fmt::Display) -> Self {
        let name = name.into();
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value.to_string()));
        self
    }

    /// Items per page (`page_size=`; the API caps it at [`MAX_PAGE_SIZE`]).
    pub fn page_size(self, size: u32) -> Self {
        self.param("page_size", size)
    }

    /// The direction from the cursor (`direction=`).
    pub fn direction(self, direction: Direction) -> Self {
        self.param("direction", direction.as_str())
    }

    /// The cursor: the id of the item to continue after (or before) (`last_pk=`).
    pub fn last_pk(self, pk: impl fmt::Display) -> Self {
        self.param("last_pk", pk)
    }

    /// The cursor's value of the `order_by` field (`last_value=`).
    pub fn last_value(self, value: impl fmt::Display) -> Self {
        self.param("last_value", value)
    }

    /// Sorts by creation (`ordering=asc|desc`).
    pub fn ordering(self, ordering: Ordering) -> Self {
        self.param("ordering", ordering.as_str())
    }

    /// Sorts data objects by a field, `-field` for descending (`order_by=`).
    pub fn order_by(self, field: &str) -> Self {
        self.param("order_by", field)
    }

    /// Filters data objects (`query=` with the JSON of `query`, e.g.
    /// `json!({"pages": {"_gte": 100}})`). An encoding failure is reported when the
    /// request is sent.
    pub fn query<Q: Serialize + ?Sized>(mut self, query: &Q) -> Self {
        match serde_json::to_string(query) {
            Ok(json) => self.param("query", json),
            Err(e) => {
                self.deferred_error =
                    Some(format!("the list query cannot be encoded as JSON: {e}"));
                self
            }
        }
    }

    /// Returns only these fields (`fields=a,b`).
    pub fn fields<I, S>(self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.param("fields", join(fields))
    }

    /// Leaves these fields out (`excluded_fields=a,b`).
    pub fn excluded_fields<I, S>(self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.param("excluded_fields", join(fields))
    }

    /// Asks for the total count in each page (`include_count=1`, read from
    /// [`Page::objects_count`]).
    pub fn include_count(self) -> Self {
        self.param("include_count", 1)
    }

    /// Stops after `n` items: streams end and pages are cut there, and no page is
    /// fetched once `n` items were produced. Unless a page size was set, the page size
    /// becomes `n` (up to [`MAX_PAGE_SIZE`]) so no more is transferred than needed.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Runs the call through another client (other credentials or connection), like
    /// the Python library's `using(connection)`.
    pub fn using(mut self, client: &Client) -> Self {
        self.client = client.clone();
        self
    }

    /// Continues a listing from `cursor` (taken from the [`StreamError`] that ended a
    /// [`stream`](ListRequest::stream)): the request's path, parameters and limit
    /// become the cursor's, so the next page or stream starts at the page that failed
    /// and nothing produced before is read again. The client stays this request's.
    pub fn resume(mut self, cursor: ListCursor) -> Self {
        self.path = cursor.path;
        self.params = cursor.params;
        self.limit = cursor.remaining;
        self.deferred_error = None;
        self
    }

    /// The same call with items as raw JSON.
    pub fn raw(self) -> ListRequest<Value> {
        ListRequest {
            client: self.client,
            path: self.path,
            params: self.params,
            limit: self.limit,
            deferred_error: self.deferred_error,
            _items: PhantomData,
        }
    }

    /// The path listed.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters set so far.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// The client the call runs through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The parameters actually sent on the first page.
    fn effective_params(&self) -> Result<Vec<(String, String)>> {
        if let Some(message) = &self.deferred_error {
            return Err(Error::InvalidRequest(message.clone()));
        }
        let mut params = self.params.clone();
        if let Some(limit) = self.limit {
            if !params.iter().any(|(n, _)| n == "page_size") {
                let size = limit.clamp(1, MAX_PAGE_SIZE as usize);
                params.push(("page_size".into(), size.to_string()));
            }
        }
        Ok(params)
    }

    /// The first page as the raw JSON envelope.
    pub async fn page_raw(self) -> Result<Value> {
        let params = self.effective_params()?;
        self.client
            .exchange(Method::GET, &self.path, &borrowed(&params), None)
            .await
    }
}

/// Query pairs in the borrowed form [`Client::send`] takes.
fn borrowed(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn join<I, S>(fields: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    fields
        .into_iter()
        .map(|f| f.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl<T: DeserializeOwned + Send + 'static> ListRequest<T> {
    /// The first page (cut at the [`limit`](ListRequest::limit), if any).
    pub async fn page(self) -> Result<Page<T>> {
        let params = self.effective_params()?;
        let mut page = fetch_page(
            &self.client,
            &self.path,
            &borrowed(&params),
            carried(&params),
        )
        .await?;
        if let Some(limit) = self.limit {
            page.objects.truncate(limit);
        }
        Ok(page)
    }

    /// The first item, or `None` for an empty list. Asks for a page of one item unless
    /// a page size was set.
    pub async fn first(self) -> Result<Option<T>> {
        let request = if self.params.iter().any(|(n, _)| n == "page_size") {
            self
        } else {
            self.page_size(1)
        };
        Ok(request.page().await?.objects.into_iter().next())
    }

    /// Every item across pages, as a lazy stream: a page is fetched only when the
    /// items of the previous one are used up, and only one page is held at a time.
    /// The stream ends after the [`limit`](ListRequest::limit), at the last page, or
    /// after the first error, a [`StreamError`] carrying the cursor to
    /// [`resume`](ListRequest::resume) from.
    pub fn stream(self) -> BoxStream<'static, Result<T, StreamError>> {
        let start = self
            .effective_params()
            .map(|params| (self.path.clone(), params));
        let state = StreamState {
            client: self.client,
            start: Some(start),
            carried: Vec::new(),
            next: None,
            last_path: None,
            buffer: VecDeque::new(),
            remaining: self.limit,
            done: false,
        };
        stream::unfold(state, next_item).boxed()
    }

    /// Every item across pages (up to the [`limit`](ListRequest::limit)), in one `Vec`.
    pub async fn collect(self) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut stream = self.stream();
        while let Some(item) = stream.next().await {
            items.push(item.map_err(StreamError::into_error)?);
        }
        Ok(items)
    }
}

/// A path and the query parameters to send with it.
type Target = (String, Vec<(String, String)>);

/// Where a stream is: the first request still to send, the next page's path, the
/// items of the current page not yet produced, and how many items may still be.
struct StreamState<T> {
    client: Client,
    start: Option<Result<Target>>,
    /// The list's own parameters, re-sent with each link (see [`carried`]).
    carried: Vec<(String, String)>,
    next: Option<String>,
    last_path: Option<String>,
    buffer: VecDeque<T>,
    remaining: Option<usize>,
    done: bool,
}

async fn next_item<T: DeserializeOwned + Send + 'static>(
    mut state: StreamState<T>,
) -> Option<(Result<T, StreamError>, StreamState<T>)> {
    loop {
        if state.remaining == Some(0) {
            return None;
        }
        if let Some(item) = state.buffer.pop_front() {
            state.remaining = state.remaining.map(|r| r - 1);
            return Some((Ok(item), state));
        }
        if state.done {
            return None;
        }
        let (fetched, cursor) = match state.start.take() {
            Some(Ok((path, params))) => {
                state.carried = carried(&params);
                let page = fetch_page(&state.client, &path, &borrowed(&params), Vec::new()).await;
                let cursor = ListCursor {
                    path,
                    params,
                    remaining: state.remaining,
                };
                (page, Some(cursor))
            }
            Some(Err(e)) => (Err(e), None),
            None => match state.next.take() {
                Some(path) => {
                    let resend = missing_from(&path, &state.carried);
                    let page = fetch_page(&state.client, &path, &resend, Vec::new()).await;
                    let cursor = ListCursor::at_link(&path, &state.carried, state.remaining);
                    state.last_path = Some(path);
                    (page, Some(cursor))
                }
                None => return None,
            },
        };
        match fetched {
            Ok(page) => {
                state.buffer = page.objects.into();
                // Stop at the last page, and on a server that points a page at itself.
                state.next = page
                    .next
                    .filter(|next| state.last_path.as_deref() != Some(next.as_str()));
                state.done = state.next.is_none();
            }
            Err(error) => {
                state.done = true;
                let stopped = StreamError {
                    error,
                    cursor: cursor.map(Box::new),
                };
                return Some((Err(stopped), state));
            }
        }
    }
}

/// Where a listing stands: the page to fetch next, with every parameter it needs, and
/// how many items the [`limit`](ListRequest::limit) still allows. Taken from a
/// [`StreamError`], given to [`ListRequest::resume`]; it serializes, so it can be
/// kept across runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    path: String,
    params: Vec<(String, String)>,
    remaining: Option<usize>,
}

impl ListCursor {
    /// The cursor of the page a `link` (a `next` path with its cursor in the query)
    /// points to: the link's own parameters, then the list's `carried` ones it lacks.
    fn at_link(link: &str, carried: &[(String, String)], remaining: Option<usize>) -> Self {
        let (path, query) = link.split_once('?').unwrap_or((link, ""));
        let mut params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        for (name, value) in missing_from(link, carried) {
            params.push((name.to_owned(), value.to_owned()));
        }
        ListCursor {
            path: path.to_owned(),
            params,
            remaining,
        }
    }

    /// The path of the page to fetch next (without its query).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query parameters of that page, its cursor (`last_pk`, ...) included.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// How many items the listing's limit still allows (`None`: no limit).
    pub fn remaining(&self) -> Option<usize> {
        self.remaining
    }
}

/// The error that ended a [`stream`](ListRequest::stream), with the [`ListCursor`] of
/// the page that failed.
///
/// It dereferences to the [`Error`] (so `stopped.is_not_found()` works), displays as
/// it, has its [`source`](std::error::Error::source), and converts into it, so `?`
/// works in functions returning [`syncano::Result`](crate::Result).
#[derive(Debug)]
pub struct StreamError {
    error: Error,
    cursor: Option<Box<ListCursor>>,
}

impl StreamError {
    /// The error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The error, the cursor dropped.
    pub fn into_error(self) -> Error {
        self.error
    }

    /// Where to [`resume`](ListRequest::resume) the listing: the page that failed.
    /// `None` when the request could not be built at all (a query that does not
    /// encode), which resuming cannot mend.
    pub fn cursor(&self) -> Option<&ListCursor> {
        self.cursor.as_deref()
    }

    /// The error and the cursor.
    pub fn into_parts(self) -> (Error, Option<ListCursor>) {
        (self.error, self.cursor.map(|c| *c))
    }
}

impl Deref for StreamError {
    type Target = Error;

    fn deref(&self) -> &Error {
        &self.error
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for StreamError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.error)
    }
}

impl From<StreamError> for Error {
    fn from(stopped: StreamError) -> Self {
        stopped.error
    }
}

/// The envelope of one page as the API sends it.
#[derive(Deserialize)]
struct Envelope<T> {
    objects: Vec<T>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    prev: Option<String>,
    #[serde(default)]
    objects_count: Option<u64>,
}

/// The parameters a link replaces.
const CURSOR_PARAMS: [&str; 3] = ["direction", "last_pk", "last_value"];

/// A list's own parameters, without the cursor: what following a link re-sends.
fn carried(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(n, _)| !CURSOR_PARAMS.contains(&n.as_str()))
        .cloned()
        .collect()
}

/// The `carried` parameters that `link` does not have itself.
fn missing_from<'a>(link: &str, carried: &'a [(String, String)]) -> Vec<(&'a str, &'a str)> {
    let in_link: Vec<String> = link
        .split_once('?')
        .map(|(_, query)| {
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(name, _)| name.into_owned())
                .collect()
        })
        .unwrap_or_default();
    carried
        .iter()
        .filter(|(n, _)| !in_link.iter().any(|l| l == n))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// One page: `path` with `query`; `carried` is kept on the page for its links.
async fn fetch_page<T: DeserializeOwned>(
    client: &Client,
    path: &str,
    query: &[(&str, &str)],
    carried: Vec<(String, String)>,
) -> Result<Page<T>> {
    let envelope: Envelope<T> = client.exchange(Method::GET, path, query, None).await?;
    Ok(Page {
        objects: envelope.objects,
        next: envelope.next.filter(|p| !p.is_empty()),
        prev: envelope.prev.filter(|p| !p.is_empty()),
        objects_count: envelope.objects_count,
        carried,
        client: client.clone(),
    })
}

/// One page of a list.
#[derive(Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of the page.
    pub objects: Vec<T>,
    /// The path of the next page, if there is one.
    pub next: Option<String>,
    /// The path of the previous page, if there is one.
    pub prev: Option<String>,
    /// The total number of items, when asked for with
    /// [`include_count`](ListRequest::include_count).
    pub objects_count: Option<u64>,
    /// The list's own parameters, re-sent with `next` and `prev`.
    carried: Vec<(String, String)>,
    client: Client,
}

impl<T: fmt::Debug> fmt::Debug for Page<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Page")
            .field("objects", &self.objects)
            .field("next", &self.next)
            .field("prev", &self.prev)
            .field("objects_count", &self.objects_count)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> Page<T> {
    /// Fetches the next page (following `next` with the same client and the list's
    /// parameters the link lacks), or `None` on the last page.
    pub async fn next_page(&self) -> Result<Option<Page<T>>> {
        self.fetch(self.next.as_deref()).await
    }

    /// Fetches the previous page (following `prev`), or `None` on the first page.
    pub async fn prev_page(&self) -> Result<Option<Page<T>>> {
        self.fetch(self.prev.as_deref()).await
    }

    /// The page at `path`, if any, through the same client.
    async fn fetch(&self, path: Option<&str>) -> Result<Option<Page<T>>> {
        match path {
            Some(path) => {
                let resend = missing_from(path, &self.carried);
                let page = fetch_page(&self.client, path, &resend, self.carried.clone()).await?;
                Ok(Some(page))
            }
            None => Ok(None),
        }
    }
}

impl<T> Page<T> {
    /// Whether there is a next page.
    pub fn has_next(&self) -> bool {
        self.next.is_some()
    }

    /// Whether there is a previous page.
    pub fn has_prev(&self) -> bool {
        self.prev.is_some()
    }

    /// The items of the page.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.objects.iter()
    }

    /// The number of items on the page.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the page has no items.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The client that fetched the page.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.objects.into_iter()
    }
}

impl<'a, T> IntoIterator for &'a Page<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.objects.iter()
    }
}
