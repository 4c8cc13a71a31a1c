//! Push notification messages (GCM and APNS): creating one on
//! `push_notifications/{gcm,apns}/messages/` and a device's `send_message`.
//!
//! The `content` is checked as the platform checks it: required (an empty value
//! is missing), a JSON string is parsed, then the document is validated against
//! the platform's JSON schema for the service, the first error chosen and worded
//! as the platform words it (`Invalid JSON: Element "environment" contains
//! invalid value.`). The schemas use a handful of JSON-schema keywords, so they
//! are written below as data and checked by a small interpreter of just those
//! keywords, choosing among the errors as `jsonschema.best_match` does (the
//! shallowest error first, a `oneOf` error replaced by the deepest of its
//! alternatives' errors). A valid message also needs the instance's config for
//! its environment: a GCM API key, or an APNS certificate and bundle identifier
//! (`non_field_errors`).
//!
//! The platform then saves the message as `scheduled` (the create answer says so)
//! and a background task sends it, setting `status` to `delivered`,
//! `partially_delivered` or `error` with a `result`. The emulator cannot reach
//! Google or Apple, so that task ends, at once, as it does on the platform when
//! sending fails: `error`, with a `result` saying that the emulator does not
//! deliver push notifications.

use serde_json::{Value, json};

use crate::api::{HResult, Resp};
use crate::auth::Caller;
use crate::behaviour::{Behaviour, Call, Op};
use crate::context::{Ctx, Target};
use crate::engine;
use crate::record_actions;
use crate::render;
use crate::spec::join;
use crate::store::{Key, Record};
use crate::validate;

/// The resources of this module: messages and `send_message` here, the APNs
/// certificates in [`crate::uploads`].
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("GcmMessage").on(Op::Create, |ctx, call| {
            create_message(ctx, call, Service::Gcm)
        }),
        Behaviour::new("ApnsMessage").on(Op::Create, |ctx, call| {
            create_message(ctx, call, Service::Apns)
        }),
        devices("GcmDevice").on(Op::Endpoint("send_message"), |ctx, call| {
            own_device(ctx, call)?;
            send_message(ctx, call, Service::Gcm)
        }),
        devices("ApnsDevice").on(Op::Endpoint("send_message"), |ctx, call| {
            own_device(ctx, call)?;
            send_message(ctx, call, Service::Apns)
        }),
        Behaviour::new("ApnsConfig")
            .on_write(crate::uploads::write_apns_config)
            .on(
                Op::Endpoint("remove_certificate"),
                record_actions::remove_certificate,
            ),
    ]
}

/// Devices, under the platform's device permission (`HasDevicePermission`,
/// `DeviceSerializerMixin`): a user key reaches only the devices registered to its
/// user (others are 404), registers new ones to its user unless the body names one,
/// and may not give a device to another user.
fn devices(resource: &'static str) -> Behaviour {
    Behaviour::new(resource)
        .on(Op::List, |ctx, call| {
            engine::list_owned(ctx, call.req, call.target, "user", device_user(call.caller))
        })
        .on(Op::Create, |ctx, call| {
            let mut body = call.req.body_or_empty();
            if let (Some(u), Some(m)) = (device_user(call.caller), body.as_object_mut()) {
                m.entry("user").or_insert(json!(u));
            }
            engine::create_generic(ctx, call.target, &body, Record::new())
        })
        .on(Op::Get, |ctx, call| {
            own_device(ctx, call)?;
            engine::get(ctx, call)
        })
        .on_write(|ctx, call| {
            let rec = own_device(ctx, call)?;
            if device_user(call.caller).is_some() {
                let given = call.req.body.as_ref().and_then(|b| b.get("user"));
                if given.is_some_and(|u| Some(u) != rec.get("user")) {
                    return Err(Resp::field_error("user", "Cannot change owner of Device."));
                }
            }
            engine::write(ctx, call)
        })
        .on(Op::Delete, |ctx, call| {
            own_device(ctx, call)?;
            engine::delete(ctx, call)
        })
}

/// The user whose devices alone a caller reaches: a user key's, unless the key
/// ignores ACLs.
fn device_user(caller: &Caller) -> Option<i64> {
    match caller {
        Caller::Key {
            ignore_acl: false,
            user,
            ..
        } => *user,
        _ => None,
    }
}

/// The device the path names, if the caller may reach it (404 otherwise).
fn own_device(ctx: &Ctx<'_>, call: &Call<'_>) -> HResult<Record> {
    let t = call.target;
    let segs = &t.m.segs;
    let n = ctx
        .spec
        .routes
        .get(t.route)
        .and_then(|r| r.target_len)
        .unwrap_or(segs.len());
    let (Some(id), Some(parent)) = (
        n.checked_sub(1).and_then(|i| segs.get(i)),
        segs.get(..n.saturating_sub(1)),
    ) else {
        return Err(Resp::not_found());
    };
    let rec = ctx
        .store
        .get(&join(parent), &Key::Str(id.clone()))
        .cloned()
        .ok_or_else(Resp::not_found)?;
    match device_user(call.caller) {
        Some(u) if rec.get("user").and_then(Value::as_i64) != Some(u) => Err(Resp::not_found()),
        _ => Ok(rec),
    }
}

/// The two push services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Service {
    Gcm,
    Apns,
}

impl Service {
    fn schema(self) -> &'static Schema {
        match self {
            Service::Gcm => &GCM,
            Service::Apns => &APNS,
        }
    }

    /// The service's segment in paths (`push_notifications/<name>/`).
    fn name(self) -> &'static str {
        match self {
            Service::Gcm => "gcm",
            Service::Apns => "apns",
        }
    }

    fn message_resource(self) -> &'static str {
        match self {
            Service::Gcm => "GcmMessage",
            Service::Apns => "ApnsMessage",
        }
    }
}

/// The `result` of a message the emulator did not send (its `status` is `error`).
pub fn not_delivered(service: &str) -> String {
    format!(
        "Push notifications are not delivered by the emulator: the message was not sent to {service}."
    )
}

/// The config the platform requires for a message in `environment`: the message of
/// the first thing missing, if any.
fn missing_config(
    ctx: &Ctx<'_>,
    t: &Target,
    service: Service,
    environment: &str,
) -> Option<String> {
    let base = t.instance_path()?;
    let name = match service {
        Service::Gcm => "gcm",
        Service::Apns => "apns",
    };
    let coll = format!("{base}push_notifications/{name}/config/");
    let config = ctx.store.get(&coll, &Key::Str(String::new()));
    let set = |field: &str| {
        config.and_then(|c| c.get(field)).is_some_and(|v| match v {
            Value::String(s) => !s.is_empty(),
            Value::Bool(b) => *b,
            _ => false,
        })
    };
    match service {
        Service::Gcm => (!set(&format!("{environment}_api_key")))
            .then(|| format!("GCM api key for \"{environment}\" environment is required.")),
        // a certificate is `true` in the record once uploaded (the bytes are a blob)
        Service::Apns => {
            if !set(&format!("{environment}_certificate")) {
                Some(format!(
                    "APNS certificate for \"{environment}\" environment is required."
                ))
            } else if !set(&format!("{environment}_bundle_identifier")) {
                Some(format!(
                    "APNS bundle identifier for \"{environment}\" environment is required."
                ))
            } else {
                None
            }
        }
    }
}

/// `POST push_notifications/{gcm,apns}/messages/`.
fn create_message(ctx: &mut Ctx<'_>, call: &Call<'_>, service: Service) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let body = req.body_or_empty();
    if !body.is_object() {
        return Err(Resp::bad(validate::not_a_dict(&body)));
    }
    let content = body.get("content").cloned();
    let (segs, message) = save(ctx, t, service, content, &t.m.segs)?;
    Ok(Resp::created(render::render(
        ctx.spec,
        t.res,
        Some(&segs),
        &message,
    )))
}

/// `POST push_notifications/{gcm,apns}/devices/{registration_id}/send_message/`: a
/// message to this device, its `content` as given with `registration_ids` set to
/// the device's alone (an empty `content` when none is given), validated and kept
/// as any message; answered 200 with the message.
fn send_message(ctx: &mut Ctx<'_>, call: &Call<'_>, service: Service) -> HResult<Resp> {
    let (req, t) = (call.req, call.target);
    let instance = t.instance.clone().unwrap_or_default();
    let registration_id = t
        .param("registration_id")
        .map(str::to_owned)
        .ok_or_else(Resp::not_found)?;
    let under = |list: &str| {
        [
            "v1.1",
            "instances",
            &instance,
            "push_notifications",
            service.name(),
            list,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let device_coll = join(&under("devices"));
    if ctx
        .store
        .get(&device_coll, &Key::Str(registration_id.clone()))
        .is_none()
    {
        return Err(Resp::not_found());
    }
    let body = req.body_or_empty();
    if !body.is_object() {
        return Err(Resp::bad(validate::not_a_dict(&body)));
    }
    // the platform writes the device into the content it was given (which it cannot
    // do to a JSON array or a string: those reach the validation as they are)
    let mut content = match body.get("content") {
        None => json!({}),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(parsed @ Value::Object(_)) => parsed,
            _ => Value::String(s.clone()),
        },
        Some(other) => other.clone(),
    };
    if let Value::Object(m) = &mut content {
        m.insert("registration_ids".into(), json!([registration_id]));
    }
    let (msegs, message) = save(ctx, t, service, Some(content), &under("messages"))?;
    let res = ctx
        .spec
        .resources
        .iter()
        .position(|r| r.name == service.message_resource())
        .ok_or_else(Resp::not_found)?;
    Ok(Resp::ok(render::render(
        ctx.spec,
        res,
        Some(&msegs),
        &message,
    )))
}

/// Validates `content` and the config, stores the message (in the state the
/// emulator's "delivery" leaves it) and returns its path segments and the message
/// as the platform answers a create: still `scheduled`.
fn save(
    ctx: &mut Ctx<'_>,
    t: &Target,
    service: Service,
    content: Option<Value>,
    list: &[String],
) -> HResult<(Vec<String>, Record)> {
    let content = check_content(service, content).map_err(|e| Resp::field_error("content", e))?;
    let environment = content
        .get("environment")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(problem) = missing_config(ctx, t, service, &environment) {
        return Err(Resp::bad(json!({ "non_field_errors": [problem] })));
    }
    let coll = join(list);
    let id = ctx.store.next_id(&format!("{coll}#seq"))?;
    let now = crate::time::now();
    let mut message = Record::new();
    message.insert("id".into(), json!(id));
    message.insert("content".into(), content);
    message.insert("status".into(), json!("scheduled"));
    message.insert("result".into(), json!({}));
    message.insert("created_at".into(), json!(now));
    message.insert("updated_at".into(), json!(now));
    // what the platform's sending task does when it cannot send: status and result
    // change, nothing else (not even `updated_at`)
    let mut sent = message.clone();
    sent.insert("status".into(), json!("error"));
    let name = match service {
        Service::Gcm => "GCM",
        Service::Apns => "APNS",
    };
    sent.insert("result".into(), json!(not_delivered(name)));
    ctx.store.put(&coll, Key::Int(id), sent)?;
    let mut segs = list.to_vec();
    segs.push(id.to_string());
    Ok((segs, message))
}

/// The platform's `JSONField(required=True, schema=…)`: missing or empty
/// (`null`, `false`, `0`, `""`, `[]`, `{}`) is required, a string must parse as
/// JSON, and the value must match the schema. Returns the value or the message.
fn check_content(service: Service, content: Option<Value>) -> Result<Value, String> {
    let value = match content {
        None => return Err(REQUIRED.into()),
        Some(v) if is_empty(&v) => return Err(REQUIRED.into()),
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(&s).map_err(|_| "Not a valid JSON string.".to_owned())?
        }
        Some(v) => v,
    };
    let mut errors = Vec::new();
    check(&value, service.schema(), &[], &mut errors);
    match best_match(errors) {
        None => Ok(value),
        Some(e) => Err(format!("Invalid JSON: {}", e.describe())),
    }
}

const REQUIRED: &str = "This field is required.";

/// Python's falsiness of a parsed JSON value.
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// The JSON-schema keywords the platform's message schemas use.
struct Schema {
    ty: Option<&'static str>,
    additional_properties: bool,
    unique_items: bool,
    max_items: Option<usize>,
    max_properties: Option<usize>,
    maximum: Option<i64>,
    minimum: Option<i64>,
    one_of_values: &'static [&'static str],
    required: &'static [&'static str],
    properties: &'static [(&'static str, Schema)],
    items: Option<&'static Schema>,
    one_of: &'static [Schema],
}

const ANY: Schema = Schema {
    ty: None,
    additional_properties: true,
    unique_items: false,
    max_items: None,
    max_properties: None,
    maximum: None,
    minimum: None,
    one_of_values: &[],
    required: &[],
    properties: &[],
    items: None,
    one_of: &[],
};

const fn typed(ty: &'static str) -> Schema {
    Schema {
        ty: Some(ty),
        ..ANY
    }
}

const STRING: Schema = typed("string");
const BOOLEAN: Schema = typed("boolean");
const INTEGER: Schema = typed("integer");
const STRINGS: Schema = Schema {
    items: Some(&STRING),
    ..typed("array")
};
const REGISTRATION_IDS: Schema = Schema {
    unique_items: true,
    max_items: Some(1000),
    items: Some(&STRING),
    ..typed("array")
};
const ENVIRONMENT: Schema = Schema {
    one_of_values: &["development", "production"],
    ..typed("string")
};
const PAYLOAD: Schema = Schema {
    max_properties: Some(256),
    ..typed("object")
};

/// The platform's GCM message schema (the keys of a GCM HTTP request).
const GCM: Schema = Schema {
    additional_properties: false,
    required: &["registration_ids", "environment"],
    properties: &[
        ("registration_ids", REGISTRATION_IDS),
        ("environment", ENVIRONMENT),
        ("data", PAYLOAD),
        ("notification", PAYLOAD),
        ("collapse_key", STRING),
        (
            "priority",
            Schema {
                one_of_values: &["normal", "high"],
                ..typed("string")
            },
        ),
        ("content_available", BOOLEAN),
        ("delay_while_idle", BOOLEAN),
        (
            "time_to_live",
            Schema {
                maximum: Some(3600 * 24 * 28),
                minimum: Some(1),
                ..typed("integer")
            },
        ),
        ("restricted_package_name", STRING),
        ("dry_run", BOOLEAN),
    ],
    ..typed("object")
};

/// The platform's APNS message schema (other keys are allowed: custom payload).
const APNS: Schema = Schema {
    required: &["registration_ids", "environment", "aps"],
    properties: &[
        ("registration_ids", REGISTRATION_IDS),
        ("environment", ENVIRONMENT),
        (
            "aps",
            Schema {
                required: &["alert"],
                properties: &[
                    (
                        "alert",
                        Schema {
                            one_of: &[
                                STRING,
                                Schema {
                                    required: &["title", "body"],
                                    properties: &[
                                        ("title", STRING),
                                        ("body", STRING),
                                        ("title-loc-key", STRING),
                                        ("title-loc-args", STRINGS),
                                        ("action-loc-key", STRING),
                                        ("loc-key", STRING),
                                        ("loc-args", STRINGS),
                                        ("launch-image", STRING),
                                    ],
                                    ..typed("object")
                                },
                            ],
                            ..ANY
                        },
                    ),
                    ("badge", INTEGER),
                    ("sound", STRING),
                    ("content-available", INTEGER),
                    ("category", STRING),
                ],
                ..typed("object")
            },
        ),
    ],
    ..typed("object")
};

/// One failed keyword.
#[derive(Debug)]
struct SchemaError {
    /// Where, relative to the value the keyword's schema applied to (for the
    /// alternatives of a `oneOf`: relative to the `oneOf`'s value, as in `jsonschema`).
    path: Vec<String>,
    /// The platform's wording of the failure (after `Object ` / `Element "…" `).
    what: String,
    /// `oneOf` and `anyOf` are weak matches in `best_match`.
    weak: bool,
    /// The errors of a `oneOf`'s alternatives.
    context: Vec<SchemaError>,
}

impl SchemaError {
    fn describe(&self) -> String {
        if self.path.is_empty() {
            format!("Object {}", self.what)
        } else {
            format!("Element \"{}\" {}", self.path.join("->"), self.what)
        }
    }

    /// `jsonschema.exceptions.relevance`: shallower first, then strong over weak.
    fn relevance(&self) -> (isize, bool) {
        (-(self.path.len() as isize), !self.weak)
    }
}

/// `jsonschema.exceptions.best_match`: the first most relevant error; while it has
/// a context, the first least relevant error of that context.
fn best_match(errors: Vec<SchemaError>) -> Option<SchemaError> {
    let mut best: Option<SchemaError> = None;
    for e in errors {
        if best.as_ref().is_none_or(|b| e.relevance() > b.relevance()) {
            best = Some(e);
        }
    }
    let mut best = best?;
    while !best.context.is_empty() {
        let mut pick: Option<SchemaError> = None;
        for e in std::mem::take(&mut best.context) {
            if pick.as_ref().is_none_or(|p| e.relevance() < p.relevance()) {
                pick = Some(e);
            }
        }
        best = pick?;
    }
    Some(best)
}

/// JSON-schema draft 4 types, as `jsonschema` 2.6 checks them (booleans are not
/// numbers, `1.0` is not an integer).
fn is_type(v: &Value, ty: &str) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// Equality as Python compares parsed JSON (`1 == 1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, a)| y.get(k).is_some_and(|b| same(a, b)))
        }
        _ => a == b,
    }
}

/// Collects the errors of `v` against `s`, in the order `jsonschema` yields them
/// (the keywords in the order the platform's schemas list them).
fn check(v: &Value, s: &Schema, path: &[String], out: &mut Vec<SchemaError>) {
    let err = |what: String| SchemaError {
        path: path.to_vec(),
        what,
        weak: false,
        context: Vec::new(),
    };
    if let Some(ty) = s.ty {
        if !is_type(v, ty) {
            out.push(err(format!(
                "contains value of wrong type (expected: {ty})."
            )));
        }
    }
    if let Value::Object(m) = v {
        if !s.additional_properties && m.keys().any(|k| !s.properties.iter().any(|(p, _)| p == k)) {
            out.push(err("contains unexpected property.".into()));
        }
    }
    if let Value::Array(items) = v {
        if s.unique_items
            && items
                .iter()
                .enumerate()
                .any(|(i, a)| items[..i].iter().any(|b| same(a, b)))
        {
            out.push(err("contains non-unique values.".into()));
        }
        if let Some(max) = s.max_items.filter(|max| items.len() > *max) {
            out.push(err(format!(
                "contains too many items defined (max: {max})."
            )));
        }
    }
    if let (Value::Object(m), Some(max)) = (v, s.max_properties) {
        if m.len() > max {
            out.push(err(format!(
                "contains too many properties defined (max: {max})."
            )));
        }
    }
    if let (Some(x), false) = (v.as_f64(), v.is_boolean()) {
        if let Some(max) = s.maximum.filter(|max| x > *max as f64) {
            out.push(err(format!("contains too high value (max: {max}).")));
        }
        if let Some(min) = s.minimum.filter(|min| x < *min as f64) {
            out.push(err(format!("contains too low value (min: {min}).")));
        }
    }
    if !s.one_of_values.is_empty() && !s.one_of_values.iter().any(|e| v.as_str() == Some(e)) {
        out.push(err("contains invalid value.".into()));
    }
    if let Value::Object(m) = v {
        for r in s.required {
            if !m.contains_key(*r) {
                out.push(err("is missing one or all of required properties".into()));
            }
        }
        for (name, sub) in s.properties {
            if let Some(pv) = m.get(*name) {
                let mut p = path.to_vec();
                p.push((*name).to_owned());
                check(pv, sub, &p, out);
            }
        }
    }
    if let (Value::Array(items), Some(sub)) = (v, s.items) {
        for (i, item) in items.iter().enumerate() {
            let mut p = path.to_vec();
            p.push(i.to_string());
            check(item, sub, &p, out);
        }
    }
    if !s.one_of.is_empty() {
        let mut context = Vec::new();
        let mut valid = 0;
        for alt in s.one_of {
            let mut errs = Vec::new();
            check(v, alt, &[], &mut errs);
            if errs.is_empty() {
                valid += 1;
            }
            context.extend(errs);
        }
        if valid != 1 {
            out.push(SchemaError {
                path: path.to_vec(),
                what: "doesn't match any of possible values".into(),
                weak: true,
                context: if valid == 0 { context } else { Vec::new() },
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gcm(v: Value) -> Result<Value, String> {
        check_content(Service::Gcm, Some(v))
    }

    fn apns(v: Value) -> Result<Value, String> {
        check_content(Service::Apns, Some(v))
    }

    #[test]
    fn the_first_shallowest_error_wins() {
        // both properties are wrong: the first in the schema's order is reported
        assert_eq!(
            gcm(json!({"environment": 1, "registration_ids": "x"})).unwrap_err(),
            "Invalid JSON: Element \"registration_ids\" contains value of wrong type (expected: array)."
        );
        // a missing key (top level) beats a wrong item (deeper)
        assert_eq!(
            gcm(json!({"registration_ids": [1]})).unwrap_err(),
            "Invalid JSON: Object is missing one or all of required properties"
        );
    }

    #[test]
    fn one_of_reports_an_alternatives_error() {
        assert_eq!(
            apns(json!({"environment": "development", "registration_ids": ["a"], "aps": {"alert": {"title": 1}}}))
                .unwrap_err(),
            "Invalid JSON: Element \"title\" contains value of wrong type (expected: string)."
        );
        assert_eq!(
            apns(json!({"environment": "development", "registration_ids": ["a"], "aps": {"alert": true}}))
                .unwrap_err(),
            "Invalid JSON: Object contains value of wrong type (expected: string)."
        );
        assert!(
            apns(
                json!({"environment": "development", "registration_ids": ["a"],
            "aps": {"alert": {"title": "t", "body": "b"}}, "custom": 1})
            )
            .is_ok()
        );
    }

    #[test]
    fn numbers_compare_as_python_does() {
        assert_eq!(
            gcm(json!({"environment": "development", "registration_ids": ["a"], "time_to_live": 1.0}))
                .unwrap_err(),
            "Invalid JSON: Element \"time_to_live\" contains value of wrong type (expected: integer)."
        );
        assert_eq!(
            gcm(
                json!({"environment": "development", "registration_ids": ["a"], "time_to_live": 0})
            )
            .unwrap_err(),
            "Invalid JSON: Element \"time_to_live\" contains too low value (min: 1)."
        );
        assert!(same(&json!([1]), &json!([1.0])));
        assert!(!same(&json!(true), &json!(1)));
    }
}
