//! The `order_by` list parameter and keyset paging over it.
//!
//! `order_by=field` sorts ascending, `order_by=-field` descending, on `id`,
//! `created_at`, `updated_at` or a class field with `order_index`. Ties are broken by
//! `id` in the same direction. Objects without a value sort last when ascending and
//! first when descending. Pages continue from a cursor: the `last_pk` and `last_value`
//! (the sort value of the last or first object shown) of the previous page, with
//! `direction=1` for the next page and `direction=0` for the previous one.
//!
//! Errors answer 400 with `{"detail": "<message>"}` ([`OrderByError::body`]).

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

use super::datetime::{format_datetime, parse_lenient_datetime};
use super::schema::{ClassField, FieldKind};
use super::validate::{INTEGER_MAX, INTEGER_MIN, STRING_MAX_LENGTH};

/// `order_by` names no field.
pub const INCORRECT_ORDER_BY: &str = "Incorrect order_by parameter provided.";
/// `order_by` names a system field that cannot be sorted on.
pub const CANNOT_ORDER: &str = "Cannot use specified order_by field.";
/// `order_by` names a class field without `order_index`.
pub const CANNOT_ORDER_UNINDEXED: &str =
    "Cannot use specified order_by field. Set required index on schema first.";
/// A malformed `page_size`, `direction`, `last_pk` or `last_value`.
pub const INCORRECT_PAGE_PARAMETER: &str = "Incorrect page parameter provided.";

/// System fields of a data object that exist but cannot be sorted on.
const UNORDERABLE_MODEL_FIELDS: &[&str] = &[
    "revision",
    "owner",
    "owner_id",
    "owner_permissions",
    "group",
    "group_id",
    "group_permissions",
    "other_permissions",
    "channel",
    "channel_id",
    "channel_room",
    "acl",
];

/// A rejected `order_by` or page parameter; `message` is the platform's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderByError {
    /// The message, as the API puts it under `"detail"`.
    pub message: String,
}

impl OrderByError {
    fn new(message: &str) -> Self {
        OrderByError {
            message: message.to_owned(),
        }
    }

    /// The 400 response body: `{"detail": "<message>"}`.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        map.insert("detail".into(), Value::String(self.message.clone()));
        Value::Object(map)
    }
}

impl fmt::Display for OrderByError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OrderByError {}

/// The paging direction of a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `direction=1`: the page after the cursor.
    Next,
    /// `direction=0`: the page before the cursor.
    Prev,
}

impl Direction {
    /// Reads the `direction` parameter (`0` or `1`).
    pub fn from_param(raw: &str) -> Result<Direction, OrderByError> {
        match raw.trim().parse::<i64>() {
            Ok(1) => Ok(Direction::Next),
            Ok(0) => Ok(Direction::Prev),
            _ => Err(OrderByError::new(INCORRECT_PAGE_PARAMETER)),
        }
    }

    /// The parameter value (`"1"` or `"0"`).
    pub fn as_param(self) -> &'static str {
        match self {
            Direction::Next => "1",
            Direction::Prev => "0",
        }
    }
}

/// How the sort field's values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// `id`: plain id paging, `last_value` is not used.
    Id,
    /// `created_at` / `updated_at`.
    Datetime,
    /// A class field.
    Class(FieldKind),
}

/// A parsed `order_by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The field sorted on (the key in the stored object).
    pub field: String,
    /// Whether the order is descending (`-field`).
    pub descending: bool,
    /// How its values compare.
    pub kind: OrderKind,
}

/// Parses `order_by` for a class with `fields`.
pub fn parse_order_by(value: &str, fields: &[ClassField]) -> Result<OrderBy, OrderByError> {
    let (descending, name) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let kind = if let Some(field) = fields.iter().find(|f| f.name == name) {
        if !field.order_index {
            return Err(OrderByError::new(CANNOT_ORDER_UNINDEXED));
        }
        OrderKind::Class(field.ty)
    } else {
        match name {
            "id" => OrderKind::Id,
            "created_at" | "updated_at" => OrderKind::Datetime,
            _ if UNORDERABLE_MODEL_FIELDS.contains(&name) => {
                return Err(OrderByError::new(CANNOT_ORDER));
            }
            _ => return Err(OrderByError::new(INCORRECT_ORDER_BY)),
        }
    };
    Ok(OrderBy {
        field: name.to_owned(),
        descending,
        kind,
    })
}

/// Reads the `last_pk` parameter (a non-negative 32-bit id).
pub fn parse_last_pk(raw: &str) -> Result<i64, OrderByError> {
    match raw.trim().parse::<i64>() {
        Ok(pk) if (0..=INTEGER_MAX).contains(&pk) => Ok(pk),
        _ => Err(OrderByError::new(INCORRECT_PAGE_PARAMETER)),
    }
}

impl OrderBy {
    /// Plain ordering by id (`ordering=asc|desc` on lists without `order_by`).
    pub fn by_id(descending: bool) -> OrderBy {
        OrderBy {
            field: "id".into(),
            descending,
            kind: OrderKind::Id,
        }
    }

    /// The `order_by` parameter value that produces this ordering.
    pub fn param(&self) -> String {
        if self.descending {
            format!("-{}", self.field)
        } else {
            self.field.clone()
        }
    }

    /// The object's sort value (`None` when unset).
    pub fn value_of<'a>(&self, object: &'a Map<String, Value>) -> Option<&'a Value> {
        object.get(&self.field).filter(|v| !v.is_null())
    }

    /// The `last_value` to put in a next/prev link for `object`, or `None` when its
    /// value is unset (the link then carries no `last_value`) or the order is by id.
    pub fn cursor_value(&self, object: &Map<String, Value>) -> Option<String> {
        if self.kind == OrderKind::Id {
            return None;
        }
        Some(match self.value_of(object)? {
            Value::String(s) => s.clone(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            other => other.to_string(),
        })
    }

    /// Reads a `last_value` parameter into a stored-form value (`None`: absent, or the
    /// cursor object had no value).
    pub fn parse_last_value(&self, raw: Option<&str>) -> Result<Option<Value>, OrderByError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let bad = || OrderByError::new(INCORRECT_PAGE_PARAMETER);
        let integer = |s: &str| -> Result<Value, OrderByError> {
            match s.trim().parse::<i64>() {
                Ok(i) if (INTEGER_MIN..=INTEGER_MAX).contains(&i) => Ok(Value::from(i)),
                _ => Err(bad()),
            }
        };
        let value = match self.kind {
            OrderKind::Id => integer(raw)?,
            OrderKind::Datetime | OrderKind::Class(FieldKind::Datetime) => Value::String(
                format_datetime(&parse_lenient_datetime(raw).map_err(|_| bad())?),
            ),
            OrderKind::Class(FieldKind::Integer | FieldKind::Reference) => integer(raw)?,
            OrderKind::Class(FieldKind::Float) => {
                let f = raw.trim().parse::<f64>().map_err(|_| bad())?;
                Value::Number(serde_json::Number::from_f64(f).ok_or_else(bad)?)
            }
            OrderKind::Class(FieldKind::Boolean) => match raw {
                "True" | "t" | "1" => Value::Bool(true),
                "False" | "f" | "0" => Value::Bool(false),
                "None" => return Ok(None),
                _ => return Err(bad()),
            },
            OrderKind::Class(_) => {
                if raw.chars().count() > STRING_MAX_LENGTH {
                    return Err(bad());
                }
                Value::String(raw.to_owned())
            }
        };
        Ok(Some(value))
    }

    /// Ascending comparison of (value, id) keys, unset values last.
    fn ascending(&self, a: (Option<&Value>, i64), b: (Option<&Value>, i64)) -> Ordering {
        ascending(self.kind, a, b)
    }

    /// The order of the objects of a collection by this field, ascending, as an
    /// index holds them ([`SortKey`]).
    pub fn index_order(&self) -> IndexOrder {
        IndexOrder {
            field: self.field.clone(),
            kind: self.kind,
        }
    }

    /// The cursor `(last_value, last_pk)` as a key of the ascending index
    /// ([`IndexOrder`]); `None` without a `last_pk` (or with `last_pk=0`), where no
    /// cursor applies, as in [`OrderBy::after`].
    pub fn cursor_key(&self, last_value: Option<&Value>, last_pk: Option<i64>) -> Option<SortKey> {
        let id = last_pk.filter(|pk| *pk != 0)?;
        let value = match self.kind {
            OrderKind::Id => None,
            _ => last_value.filter(|v| !v.is_null()).cloned(),
        };
        Some(SortKey {
            kind: self.kind,
            value,
            id,
        })
    }

    /// The display order of two stored objects: by the sort value, then by `id`, both
    /// in this ordering's direction.
    pub fn compare(&self, a: &Map<String, Value>, b: &Map<String, Value>) -> Ordering {
        let ord = self.ascending((self.value_of(a), id_of(a)), (self.value_of(b), id_of(b)));
        if self.descending { ord.reverse() } else { ord }
    }

    /// Keyset predicate: whether `object` lies strictly after (`Direction::Next`) or
    /// strictly before (`Direction::Prev`) the cursor `(last_value, last_pk)` in display
    /// order. Without a `last_pk` every object qualifies, as on the platform.
    /// `last_value` is ignored when ordering by id.
    pub fn after(
        &self,
        object: &Map<String, Value>,
        last_value: Option<&Value>,
        last_pk: Option<i64>,
        direction: Direction,
    ) -> bool {
        let Some(last_pk) = last_pk.filter(|pk| *pk != 0) else {
            return true;
        };
        let last_value = last_value.filter(|v| !v.is_null());
        let ord = self.ascending(
            (self.value_of(object), id_of(object)),
            (last_value, last_pk),
        );
        let ord = if self.descending { ord.reverse() } else { ord };
        match direction {
            Direction::Next => ord == Ordering::Greater,
            Direction::Prev => ord == Ordering::Less,
        }
    }

    /// Selects one page: the objects past the cursor in `direction`, in display order,
    /// at most `page_size` of them (for `Prev`, the ones closest to the cursor). The
    /// flag tells whether the page is full (`len == page_size`), which the platform
    /// uses to decide whether to link onwards.
    pub fn select_page<'a>(
        &self,
        objects: impl IntoIterator<Item = &'a Map<String, Value>>,
        last_value: Option<&Value>,
        last_pk: Option<i64>,
        direction: Option<Direction>,
        page_size: usize,
    ) -> (Vec<&'a Map<String, Value>>, bool) {
        let dir = direction.unwrap_or(Direction::Next);
        let mut selected: Vec<&Map<String, Value>> = objects
            .into_iter()
            .filter(|o| direction.is_none() || self.after(o, last_value, last_pk, dir))
            .collect();
        selected.sort_by(|a, b| self.compare(a, b));
        if dir == Direction::Prev && selected.len() > page_size {
            selected.drain(..selected.len() - page_size);
        } else {
            selected.truncate(page_size);
        }
        let full = page_size > 0 && selected.len() == page_size;
        (selected, full)
    }
}

/// Compares two present sort values of a field of `kind`.
fn compare_values(kind: OrderKind, a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i.cmp(&j),
            _ => x
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&y.as_f64().unwrap_or(0.0)),
        },
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => {
            // Values in the API format compare correctly as text; parse anything else.
            let canonical = |s: &str| s.len() == 27 && s.ends_with('Z');
            let dates = matches!(
                kind,
                OrderKind::Datetime | OrderKind::Class(FieldKind::Datetime)
            ) && !(canonical(x) && canonical(y));
            match (dates, parse_lenient_datetime(x), parse_lenient_datetime(y)) {
                (true, Ok(dx), Ok(dy)) => dx.cmp(&dy),
                _ => x.as_str().cmp(y.as_str()),
            }
        }
        // Mixed types cannot occur in validated data; keep the order total anyway.
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Ascending comparison of (value, id) keys of a field of `kind`, unset values last.
fn ascending(kind: OrderKind, a: (Option<&Value>, i64), b: (Option<&Value>, i64)) -> Ordering {
    if kind == OrderKind::Id {
        return a.1.cmp(&b.1);
    }
    let by_value = match (a.0, b.0) {
        (Some(x), Some(y)) => compare_values(kind, x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_value.then(a.1.cmp(&b.1))
}

/// The ascending order of a collection's objects by one field, which an ordered
/// index keeps: the field and how its values compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexOrder {
    /// The field sorted on.
    pub field: String,
    /// How its values compare.
    pub kind: OrderKind,
}

impl IndexOrder {
    /// Where `object` stands in this order.
    pub fn key_of(&self, object: &Map<String, Value>) -> SortKey {
        let value = match self.kind {
            OrderKind::Id => None,
            _ => object.get(&self.field).filter(|v| !v.is_null()).cloned(),
        };
        SortKey {
            kind: self.kind,
            value,
            id: id_of(object),
        }
    }
}

/// An object's place in the ascending order of one field ([`IndexOrder`]): its
/// value (unset values last) then its id, compared exactly as [`OrderBy::compare`]
/// compares objects ascending.
#[derive(Debug, Clone)]
pub struct SortKey {
    kind: OrderKind,
    value: Option<Value>,
    id: i64,
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        ascending(
            self.kind,
            (self.value.as_ref(), self.id),
            (other.value.as_ref(), other.id),
        )
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SortKey {}

fn id_of(object: &Map<String, Value>) -> i64 {
    object.get("id").and_then(Value::as_i64).unwrap_or(0)
}

fn rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields() -> Vec<ClassField> {
        let mut score = ClassField::new("score", FieldKind::Integer);
        score.order_index = true;
        let mut when = ClassField::new("when", FieldKind::Datetime);
        when.order_index = true;
        let mut name = ClassField::new("name", FieldKind::String);
        name.order_index = true;
        let mut flag = ClassField::new("flag", FieldKind::Boolean);
        flag.order_index = true;
        let mut ratio = ClassField::new("ratio", FieldKind::Float);
        ratio.order_index = true;
        let mut plain = ClassField::new("plain", FieldKind::String);
        plain.filter_index = true;
        vec![score, when, name, flag, ratio, plain]
    }

    fn obj(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    /// ids 1..=8; scores with ties and two unset values.
    fn objects() -> Vec<Map<String, Value>> {
        let scores = [
            json!(5),
            json!(3),
            Value::Null,
            json!(5),
            json!(1),
            json!(3),
            Value::Null,
            json!(5),
        ];
        scores
            .iter()
            .enumerate()
            .map(|(i, s)| obj(json!({"id": i + 1, "score": s})))
            .collect()
    }

    fn order(objects: &[Map<String, Value>], by: &OrderBy) -> Vec<i64> {
        let mut list: Vec<&Map<String, Value>> = objects.iter().collect();
        list.sort_by(|a, b| by.compare(a, b));
        list.iter().map(|o| id_of(o)).collect()
    }

    #[test]
    fn parses_fields_and_errors() {
        let f = fields();
        assert_eq!(
            parse_order_by("score", &f).unwrap(),
            OrderBy {
                field: "score".into(),
                descending: false,
                kind: OrderKind::Class(FieldKind::Integer)
            }
        );
        let desc = parse_order_by("-created_at", &f).unwrap();
        assert!(desc.descending);
        assert_eq!(desc.kind, OrderKind::Datetime);
        assert_eq!(desc.param(), "-created_at");
        assert_eq!(parse_order_by("-id", &f).unwrap(), OrderBy::by_id(true));
        assert_eq!(
            parse_order_by("updated_at", &f).unwrap().kind,
            OrderKind::Datetime
        );
        for (value, message) in [
            ("nope", INCORRECT_ORDER_BY),
            ("", INCORRECT_ORDER_BY),
            ("-", INCORRECT_ORDER_BY),
            ("--score", INCORRECT_ORDER_BY),
            ("revision", CANNOT_ORDER),
            ("-owner", CANNOT_ORDER),
            ("channel_room", CANNOT_ORDER),
            ("plain", CANNOT_ORDER_UNINDEXED),
        ] {
            let e = parse_order_by(value, &f).unwrap_err();
            assert_eq!(e.message, message, "{value}");
            assert_eq!(e.body(), json!({"detail": message}));
        }
        assert_eq!(INCORRECT_ORDER_BY, "Incorrect order_by parameter provided.");
        assert_eq!(
            CANNOT_ORDER_UNINDEXED,
            "Cannot use specified order_by field. Set required index on schema first."
        );
    }

    #[test]
    fn compare_breaks_ties_by_id_and_puts_unset_last_ascending() {
        let f = fields();
        let objects = objects();
        assert_eq!(
            order(&objects, &parse_order_by("score", &f).unwrap()),
            vec![5, 2, 6, 1, 4, 8, 3, 7]
        );
        assert_eq!(
            order(&objects, &parse_order_by("-score", &f).unwrap()),
            vec![7, 3, 8, 4, 1, 6, 2, 5]
        );
        assert_eq!(
            order(&objects, &OrderBy::by_id(false)),
            vec![1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert_eq!(
            order(&objects, &OrderBy::by_id(true)),
            vec![8, 7, 6, 5, 4, 3, 2, 1]
        );
    }

    #[test]
    fn compare_other_kinds() {
        let f = fields();
        let list = vec![
            obj(
                json!({"id": 1, "when": "2000-01-02T00:00:00.000000Z", "name": "b", "flag": true, "ratio": 2.5}),
            ),
            obj(
                json!({"id": 2, "when": "2000-01-01T00:00:00.000000Z", "name": "B", "flag": false, "ratio": 10}),
            ),
            obj(
                json!({"id": 3, "when": "2000-01-03T00:00:00.000000Z", "name": "a", "flag": true, "ratio": -1}),
            ),
        ];
        assert_eq!(
            order(&list, &parse_order_by("when", &f).unwrap()),
            vec![2, 1, 3]
        );
        assert_eq!(
            order(&list, &parse_order_by("name", &f).unwrap()),
            vec![2, 3, 1]
        );
        assert_eq!(
            order(&list, &parse_order_by("flag", &f).unwrap()),
            vec![2, 1, 3]
        );
        assert_eq!(
            order(&list, &parse_order_by("-ratio", &f).unwrap()),
            vec![2, 1, 3]
        );
    }

    /// Walks every page forward, then back from the end, and checks the pages tile the
    /// full order exactly.
    fn walk(by: &OrderBy, objects: &[Map<String, Value>], page_size: usize) {
        let expected = order(objects, by);
        let mut seen = Vec::new();
        let (mut page, mut full) = by.select_page(objects, None, None, None, page_size);
        let mut pages = Vec::new();
        loop {
            let ids: Vec<i64> = page.iter().map(|o| id_of(o)).collect();
            seen.extend(ids.clone());
            pages.push(ids);
            if !full {
                break;
            }
            let Some(last) = page.last() else { break };
            let last_value = by
                .parse_last_value(by.cursor_value(last).as_deref())
                .unwrap();
            (page, full) = by.select_page(
                objects,
                last_value.as_ref(),
                Some(id_of(last)),
                Some(Direction::Next),
                page_size,
            );
            if page.is_empty() {
                break;
            }
        }
        assert_eq!(seen, expected, "forward walk of {}", by.param());
        // Backwards from the last page.
        let mut back = pages.pop().unwrap_or_default();
        let mut first_id = back.first().copied();
        let mut collected = back.clone();
        while let Some(id) = first_id {
            let first = objects.iter().find(|o| id_of(o) == id).unwrap();
            let last_value = by
                .parse_last_value(by.cursor_value(first).as_deref())
                .unwrap();
            let (page, _) = by.select_page(
                objects,
                last_value.as_ref(),
                Some(id),
                Some(Direction::Prev),
                page_size,
            );
            back = page.iter().map(|o| id_of(o)).collect();
            if back.is_empty() {
                break;
            }
            assert_eq!(
                Some(&back),
                pages.pop().as_ref(),
                "backward page of {}",
                by.param()
            );
            first_id = back.first().copied();
            let mut all = back.clone();
            all.extend(collected);
            collected = all;
        }
        assert_eq!(collected, expected, "backward walk of {}", by.param());
    }

    #[test]
    fn keyset_paging_across_ties_and_unset_values() {
        let f = fields();
        let objects = objects();
        for param in ["score", "-score", "id", "-id"] {
            let by = parse_order_by(param, &f).unwrap();
            for page_size in 1..=9 {
                walk(&by, &objects, page_size);
            }
        }
    }

    /// Pages read from an index by [`SortKey`] from the cursor on are the pages
    /// [`OrderBy::select_page`] selects from the whole class, for every cursor
    /// (on a value, on an unset value, on no object at all), both directions and
    /// both orders.
    #[test]
    fn index_pages_match_pages_selected_from_the_whole_class() {
        use crate::paging::{PageParams, index_page};
        use std::collections::BTreeMap;
        let f = fields();
        let objects = objects();
        let mut cursors: Vec<(Option<Value>, Option<i64>)> = vec![(None, None)];
        for value in [
            None,
            Some(json!(0)),
            Some(json!(3)),
            Some(json!(5)),
            Some(json!(9)),
        ] {
            for pk in 0..=9 {
                cursors.push((value.clone(), Some(pk)));
            }
        }
        for param in ["score", "-score", "created_at"] {
            let by = parse_order_by(param, &f).unwrap();
            let index: BTreeMap<SortKey, i64> = objects
                .iter()
                .map(|o| (by.index_order().key_of(o), id_of(o)))
                .collect();
            for direction in [None, Some(Direction::Next), Some(Direction::Prev)] {
                for size in [0, 1, 3, 8, 100] {
                    for (value, pk) in &cursors {
                        let p = PageParams {
                            size,
                            direction,
                            desc: false,
                            include_count: false,
                        };
                        let (selected, _) =
                            by.select_page(&objects, value.as_ref(), *pk, direction, size);
                        let want: Vec<i64> = selected.iter().map(|o| id_of(o)).collect();
                        let cursor = by.cursor_key(value.as_ref(), *pk);
                        let got: Vec<i64> =
                            index_page(&index, &p, by.descending, cursor.as_ref(), |_, _| true)
                                .into_iter()
                                .map(|(_, id)| *id)
                                .collect();
                        assert_eq!(got, want, "{param} {direction:?} {size} {value:?} {pk:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn after_predicate() {
        let by = parse_order_by("score", &fields()).unwrap();
        let o = |id: i64, score: Value| obj(json!({"id": id, "score": score}));
        let five = json!(5);
        // Ascending, cursor (5, id 4).
        assert!(by.after(&o(8, json!(5)), Some(&five), Some(4), Direction::Next));
        assert!(!by.after(&o(1, json!(5)), Some(&five), Some(4), Direction::Next));
        assert!(by.after(&o(1, json!(5)), Some(&five), Some(4), Direction::Prev));
        assert!(
            by.after(&o(3, Value::Null), Some(&five), Some(4), Direction::Next),
            "unset values come last"
        );
        assert!(!by.after(&o(3, Value::Null), Some(&five), Some(4), Direction::Prev));
        // Cursor on an unset value (no last_value): only later unset values follow.
        assert!(by.after(&o(7, Value::Null), None, Some(3), Direction::Next));
        assert!(!by.after(&o(2, Value::Null), None, Some(3), Direction::Next));
        assert!(!by.after(&o(8, json!(5)), None, Some(3), Direction::Next));
        assert!(by.after(&o(8, json!(5)), None, Some(3), Direction::Prev));
        // Descending flips it.
        let desc = parse_order_by("-score", &fields()).unwrap();
        assert!(desc.after(&o(1, json!(5)), Some(&five), Some(4), Direction::Next));
        assert!(desc.after(&o(3, Value::Null), Some(&five), Some(4), Direction::Prev));
        // No last_pk: no restriction.
        assert!(by.after(&o(1, json!(1)), Some(&five), None, Direction::Next));
        // Id ordering ignores last_value.
        let id = OrderBy::by_id(false);
        assert!(id.after(&o(5, json!(0)), Some(&json!(99)), Some(4), Direction::Next));
        assert!(!id.after(&o(4, json!(0)), None, Some(4), Direction::Next));
    }

    #[test]
    fn cursor_values_round_trip() {
        let f = fields();
        let o = obj(
            json!({"id": 1, "score": 5, "when": "2000-01-02T03:04:05.000006Z", "name": "x y",
            "flag": false, "ratio": 1.5}),
        );
        for (param, raw, value) in [
            ("score", "5", json!(5)),
            (
                "when",
                "2000-01-02T03:04:05.000006Z",
                json!("2000-01-02T03:04:05.000006Z"),
            ),
            ("name", "x y", json!("x y")),
            ("flag", "False", json!(false)),
            ("ratio", "1.5", json!(1.5)),
        ] {
            let by = parse_order_by(param, &f).unwrap();
            assert_eq!(by.cursor_value(&o).as_deref(), Some(raw), "{param}");
            assert_eq!(
                by.parse_last_value(Some(raw)).unwrap(),
                Some(value),
                "{param}"
            );
        }
        assert_eq!(
            parse_order_by("score", &f)
                .unwrap()
                .cursor_value(&obj(json!({"id": 2}))),
            None
        );
        assert_eq!(OrderBy::by_id(false).cursor_value(&o), None);
        let when = parse_order_by("when", &f).unwrap();
        assert_eq!(
            when.parse_last_value(Some("2000-01-02")).unwrap(),
            Some(json!("2000-01-02T00:00:00.000000Z"))
        );
        assert_eq!(when.parse_last_value(None).unwrap(), None);
    }

    #[test]
    fn page_parameter_errors() {
        let f = fields();
        for (param, raw) in [
            ("score", "x"),
            ("score", "99999999999"),
            ("when", "soon"),
            ("flag", "yes"),
            ("ratio", "x"),
        ] {
            let e = parse_order_by(param, &f)
                .unwrap()
                .parse_last_value(Some(raw))
                .unwrap_err();
            assert_eq!(e.message, INCORRECT_PAGE_PARAMETER, "{param}={raw}");
        }
        let long = "x".repeat(129);
        assert!(
            parse_order_by("name", &f)
                .unwrap()
                .parse_last_value(Some(&long))
                .is_err()
        );
        assert_eq!(Direction::from_param("1").unwrap(), Direction::Next);
        assert_eq!(Direction::from_param("0").unwrap(), Direction::Prev);
        assert_eq!(
            Direction::from_param("2").unwrap_err().body(),
            json!({"detail": "Incorrect page parameter provided."})
        );
        assert!(Direction::from_param("x").is_err());
        assert_eq!(parse_last_pk("12").unwrap(), 12);
        assert!(parse_last_pk("-1").is_err());
        assert!(parse_last_pk("a").is_err());
    }
}
