//! CRUD through the SDK against the embedded server, for every resource of the snapshot,
//! driven by the schema: a resource added to `schema/syncano-v1.1.json` is covered here
//! without new test code (or, if its create body needs something the builder below does
//! not know, this test names it and fails).
//!
//! - Every resource with a creatable list endpoint (top level, under an instance, or nested
//!   deeper) is created, read, updated (PATCH, and PUT or a POST full update where declared),
//!   listed, refused undeclared methods with 405, deleted and then not found. The parent
//!   chain of a nested list path comes from its path parameters: the parent is the resource
//!   whose detail path is the longest prefix of the list path; it is created first (once,
//!   recursively) and its key fills the path. Resources with `file` fields (hosting files)
//!   are written as multipart uploads, as the SDK's managers send them.
//! - Singletons (a detail endpoint without a list: account, configs, the current user) get
//!   GET and PATCH / PUT round trips.
//! - Read-only lists (traces, history, admins, runtimes) answer GET and refuse POST.
//!
//! A second test drives a handful of generated nested managers (`groups().users(id)`,
//! `users().groups(id)`, `classes().objects_as::<T>(name)`, `channels().history(name)`).
#![cfg(not(syncano_custom_schema))]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use syncano::test_util::RecordingTransport;
use syncano::transport::ReqwestTransport;
use syncano::{Client, ListRequest, Method, Upload};
use syncano_codegen::names;
use syncano_codegen::schema::{
    self, ChoiceValue, Endpoint, Field, FieldType, HttpMethod, Resource,
};
use syncano_emulator::RunningEmulator;

use crate::support;

/// The status of the last answer `recorder` saw, which must be the answer to
/// `method path`: the sweep checks 201 / 200 / 204 while going through the SDK's typed
/// entry points.
fn status_of(recorder: &RecordingTransport, method: &Method, path: &str) -> u16 {
    match recorder.last() {
        Some(last) if last.request.method == *method && last.request.url.path() == path => {
            match last.status {
                Some(status) => status,
                None => panic!("{method} {path} got no answer"),
            }
        }
        other => panic!("the last request was {other:?}, not {method} {path}"),
    }
}

async fn connect() -> (RunningEmulator, Client, Arc<RecordingTransport>) {
    let server = support::emulator().await;
    let recorder = Arc::new(RecordingTransport::wrapping(ReqwestTransport::new(
        reqwest::Client::new(),
    )));
    let client = support::builder(&server)
        .api_key(server.account_key())
        .transport(recorder.clone())
        .build()
        .expect("client");
    (server, client, recorder)
}

fn snapshot() -> schema::Schema {
    schema::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/syncano-v1.1.json"))
        .expect("the vendored snapshot loads")
}

/// Singletons the account key alone may not read: they are the caller's own record, so
/// they are read with an instance API key plus a user key. Checked: the account key alone
/// is refused.
const NEEDS_USER_KEY: &[&str] = &["CurrentUser"];

/// Last resort: create values the schema format cannot describe (structured JSON whose
/// shape the server validates). Everything else comes from the field types.
fn special_value(resource: &str, field: &str) -> Option<Value> {
    match (resource, field) {
        // a class with one data field, so that its objects carry data
        ("Class", "schema") => Some(json!([{"name": "v", "type": "integer"}])),
        // one history for the whole channel: a `separate_rooms` channel's history is read
        // per room only (the platform's `EnsureChannelRoom`), which a generic sweep
        // cannot name
        ("Channel", "type") => Some(json!("default")),
        // the GCM and APNS message documents (required keys of the platform's JSON schema)
        ("GcmMessage", "content") => Some(json!({
            "registration_ids": ["sweep-device"], "environment": "development", "data": {"n": 1}
        })),
        ("ApnsMessage", "content") => Some(json!({
            "registration_ids": ["sweep-device"], "environment": "development",
            "aps": {"alert": "sweep"}
        })),
        _ => None,
    }
}

/// Settings a create needs outside its own body, written first to a singleton of the same
/// scope (PATCH, the named file fields as multipart): the platform refuses a push message
/// unless the config of its environment is set (a GCM API key; an APNS certificate and
/// bundle identifier).
fn prerequisite(resource: &str) -> Option<(&'static str, Value, &'static [&'static str])> {
    match resource {
        "GcmMessage" => Some((
            "GcmConfig",
            json!({"development_api_key": "sweep-key"}),
            &[],
        )),
        "ApnsMessage" => Some((
            "ApnsConfig",
            json!({"development_bundle_identifier": "com.example.sweep"}),
            &["development_certificate"],
        )),
        _ => None,
    }
}

const ALL_METHODS: [HttpMethod; 5] = [
    HttpMethod::Get,
    HttpMethod::Post,
    HttpMethod::Put,
    HttpMethod::Patch,
    HttpMethod::Delete,
];

fn http(method: HttpMethod) -> Method {
    Method::from_bytes(method.as_http().as_bytes()).expect("an HTTP method")
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

/// `prefix` covers the first segments of `path` (both templates; parameters match
/// parameters whatever their names) and `path` is longer.
fn template_prefix(prefix: &str, path: &str) -> bool {
    let (p, q) = (segments(prefix), segments(path));
    p.len() < q.len()
        && p.iter()
            .zip(&q)
            .all(|(a, b)| if is_param(a) { is_param(b) } else { a == b })
}

fn fill(template: &str, values: &[(String, String)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |path, (name, value)| {
            path.replace(&format!("{{{name}}}"), value)
        })
}

fn choice_json(value: &ChoiceValue) -> Value {
    match value {
        ChoiceValue::Int(i) => json!(i),
        ChoiceValue::Str(s) => json!(s),
    }
}

/// A key as it appears in a path.
fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The value of the path parameter `param` in a record: the field of that name, or for
/// `x_id` the field `x` (a scalar, or a nested record's `id`, as memberships show it).
fn key_of(who: &str, record: &Value, param: &str) -> Value {
    if let Some(v @ (Value::String(_) | Value::Number(_))) = record.get(param) {
        return v.clone();
    }
    if let Some(base) = param.strip_suffix("_id") {
        match record.get(base) {
            Some(v @ (Value::String(_) | Value::Number(_))) => return v.clone(),
            Some(Value::Object(o)) if o.get("id").is_some_and(|v| !v.is_null()) => {
                return o["id"].clone();
            }
            _ => {}
        }
    }
    panic!("{who}: the record has no value for the path parameter `{param}`: {record}")
}

/// The server echoes a written value as is, or (a membership's reference) as the nested
/// record with that id.
fn echoes(sent: &Value, got: &Value) -> bool {
    sent == got || got.as_object().is_some_and(|o| o.get("id") == Some(sent))
}

/// A string for `field`, within its length limits.
fn text_for(field: &Field, stem: &str) -> String {
    let max = field.max_length.unwrap_or(64).min(40) as usize;
    let mut text = stem.to_owned();
    text.truncate(max);
    while (text.len() as u64) < field.min_length.unwrap_or(0) {
        text.push('x');
    }
    text
}

/// A record the sweep made: what it sent, what came back, and where it lives.
#[derive(Clone, Debug)]
struct Made {
    sent: Value,
    /// The files sent with it (multipart), by field.
    files: Vec<(String, Upload)>,
    record: Value,
    /// The detail endpoint's path parameters with their values, in path order.
    params: Vec<(String, String)>,
    /// The key as JSON (a number or a string), for references to this record.
    key: Value,
    path: String,
}

struct Sweep {
    schema: Arc<schema::Schema>,
    client: Client,
    recorder: Arc<RecordingTransport>,
    /// Parents and referenced records, one per resource, made on first need.
    context: BTreeMap<String, Made>,
    n: usize,
}

impl Sweep {
    fn next(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    fn resource(&self, name: &str) -> &Resource {
        self.schema
            .resources
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no resource {name}"))
    }

    fn status_of(&self, method: &Method, path: &str) -> u16 {
        status_of(&self.recorder, method, path)
    }

    /// The resource whose detail path is the longest prefix of `path`.
    fn parent_of(&self, path: &str) -> Option<Resource> {
        self.schema
            .resources
            .iter()
            .filter_map(|r| r.detail().map(|d| (r, d)))
            .filter(|(_, d)| template_prefix(&d.path, path))
            .max_by_key(|(_, d)| segments(&d.path).len())
            .map(|(r, _)| r.clone())
    }

    /// Values for the path parameters of `endpoint` (all but a detail's own key), taken
    /// from the parent record, made first.
    async fn scope_params(
        &mut self,
        who: &str,
        path: &str,
        params: &[String],
    ) -> Vec<(String, String)> {
        if params.is_empty() {
            return Vec::new();
        }
        let parent = self.parent_of(path).unwrap_or_else(|| {
            panic!("{who}: no resource's detail path is a prefix of {path}; cannot derive the parent chain")
        });
        let made = self.context_record(&parent.name).await;
        assert_eq!(
            made.params.len(),
            params.len(),
            "{who}: the parent {} ({}) does not fill the parameters {params:?} of {path}",
            parent.name,
            made.path
        );
        params
            .iter()
            .zip(made.params)
            .map(|(name, (_, value))| (name.clone(), value))
            .collect()
    }

    /// The record of `name` used as a parent or a reference, made once.
    async fn context_record(&mut self, name: &str) -> Made {
        if let Some(made) = self.context.get(name) {
            return made.clone();
        }
        let made = Box::pin(self.create(name)).await;
        self.context.insert(name.to_owned(), made.clone());
        made
    }

    /// The creatable resource `field` refers to: the one named like the field
    /// (`script` → Script), or the only one whose name ends with it (`backup` → FullBackup).
    fn reference_target(&self, resource: &Resource, field: &Field) -> Option<String> {
        if !matches!(
            field.ty,
            FieldType::Integer | FieldType::String | FieldType::Slug | FieldType::Json
        ) {
            return None;
        }
        let candidates: Vec<&Resource> = self
            .schema
            .resources
            .iter()
            .filter(|r| r.name != resource.name && r.detail().is_some())
            .filter(|r| r.list().is_some_and(|l| l.allows(HttpMethod::Post)))
            .collect();
        if let Some(exact) = candidates
            .iter()
            .find(|r| names::snake_ok(&r.name) == field.name)
        {
            return Some(exact.name.clone());
        }
        let suffix = format!("_{}", field.name);
        let ends: Vec<&&Resource> = candidates
            .iter()
            .filter(|r| names::snake_ok(&r.name).ends_with(&suffix))
            .collect();
        match ends.as_slice() {
            [only] => Some(only.name.clone()),
            _ => None,
        }
    }

    /// A value for a required field, from its type and limits.
    fn required_value(&mut self, resource: &Resource, field: &Field) -> Value {
        let n = self.next();
        match &field.ty {
            FieldType::Email => json!(format!("sweep{n}@example.com")),
            FieldType::String | FieldType::Slug | FieldType::Text => {
                json!(text_for(
                    field,
                    &format!("s{n}{}", resource.name.to_lowercase())
                ))
            }
            FieldType::Integer => json!(field.min_value.unwrap_or(1.0) as i64),
            FieldType::Float | FieldType::Decimal => json!(field.min_value.unwrap_or(1.0)),
            FieldType::Boolean => json!(true),
            FieldType::Choice => field
                .choices
                .first()
                .map(|c| choice_json(&c.value))
                .unwrap_or_else(|| {
                    panic!(
                        "{}.{}: a choice field without choices",
                        resource.name, field.name
                    )
                }),
            ty => panic!(
                "resource {}: the sweep cannot build a value for required field `{}` ({ty:?}); teach create_body",
                resource.name, field.name
            ),
        }
    }

    /// A value for an optional field when one can be chosen without knowing its meaning:
    /// a choice other than the default, the other boolean, an integer within its bounds.
    fn optional_value(field: &Field) -> Option<Value> {
        match &field.ty {
            FieldType::Choice => field
                .choices
                .iter()
                .map(|c| choice_json(&c.value))
                .find(|v| Some(v) != field.default.as_ref()),
            FieldType::Boolean => Some(json!(
                !field
                    .default
                    .as_ref()
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            )),
            FieldType::Integer if field.min_value.is_some() || field.max_value.is_some() => {
                let low = field.min_value.unwrap_or(1.0).max(1.0);
                Some(json!(low.min(field.max_value.unwrap_or(low)) as i64))
            }
            _ => None,
        }
    }

    /// The data fields an extensible resource's parent declares in its `schema`.
    async fn data_fields(&mut self, resource: &Resource) -> Vec<(String, String)> {
        if !resource.extensible {
            return Vec::new();
        }
        let list = resource.list().expect("an extensible resource has a list");
        let Some(parent) = self.parent_of(&list.path) else {
            return Vec::new();
        };
        let made = self.context_record(&parent.name).await;
        made.record["schema"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        (
                            f["name"]
                                .as_str()
                                .expect("a schema field has a name")
                                .to_owned(),
                            f["type"]
                                .as_str()
                                .expect("a schema field has a type")
                                .to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn data_value(&mut self, resource: &Resource, name: &str, ty: &str) -> Value {
        let n = self.next() as i64;
        match ty {
            "integer" => json!(n),
            "float" => json!(n as f64 + 0.5),
            "boolean" => json!(n % 2 == 0),
            "string" | "text" => json!(format!("d{n}")),
            other => panic!(
                "resource {}: the sweep cannot build a value for data field `{name}` ({other}); teach data_value",
                resource.name
            ),
        }
    }

    /// A valid create body for `resource`.
    async fn create_body(&mut self, resource: &Resource) -> (Value, Vec<(String, Upload)>) {
        let mut body = Map::new();
        let mut files = Vec::new();
        for field in resource.fields.iter().filter(|f| f.is_writable()) {
            if matches!(field.ty, FieldType::File) {
                if field.required {
                    files.push((field.name.clone(), self.upload(resource)));
                }
                continue;
            }
            let value = if let Some(special) = special_value(&resource.name, &field.name) {
                Some(special)
            } else if let Some(target) = self.reference_target(resource, field) {
                Some(self.context_record(&target).await.key)
            } else if field.required {
                Some(self.required_value(resource, field))
            } else {
                Self::optional_value(field)
            };
            if let Some(value) = value {
                body.insert(field.name.clone(), value);
            }
        }
        for (name, ty) in self.data_fields(resource).await {
            let value = self.data_value(resource, &name, &ty);
            body.insert(name, value);
        }
        (Value::Object(body), files)
    }

    /// A small text file, its length different each time.
    fn upload(&mut self, resource: &Resource) -> Upload {
        let n = self.next();
        Upload::from_bytes(
            format!("sweep{n}.txt"),
            format!("{} {}", resource.name, "x".repeat(n)).into_bytes(),
        )
    }

    /// `method path` with `body`, as JSON, or as multipart when there are files.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        files: &[(String, Upload)],
    ) -> syncano::Result<Value> {
        if files.is_empty() {
            self.client.request(method, path, Some(body)).await
        } else {
            let parts: Vec<(&str, Option<&Upload>)> = files
                .iter()
                .map(|(name, upload)| (name.as_str(), Some(upload)))
                .collect();
            self.client
                .request_multipart(method, path, body, &parts)
                .await
        }
    }

    /// Checks that every field sent (but write-only ones) comes back.
    fn assert_echo(&self, who: &str, resource: &Resource, sent: &Value, got: &Value) {
        for (name, value) in sent.as_object().expect("bodies are objects") {
            if resource
                .fields
                .iter()
                .any(|f| &f.name == name && f.write_only)
            {
                assert!(
                    got.get(name).is_none(),
                    "{who}: write-only `{name}` is returned: {got}"
                );
                continue;
            }
            assert!(
                echoes(value, &got[name]),
                "{who}: `{name}` was written as {value} but reads {} in {got}",
                got[name]
            );
        }
    }

    /// POST to the list endpoint of `name` (parents first); checks 201 and the echo.
    async fn create(&mut self, name: &str) -> Made {
        let resource = self.resource(name).clone();
        let list = resource
            .list()
            .filter(|l| l.allows(HttpMethod::Post))
            .unwrap_or_else(|| {
                panic!("{name} is needed as a parent or reference but has no creatable list")
            });
        let detail = resource
            .detail()
            .unwrap_or_else(|| panic!("{name} has no detail endpoint"))
            .clone();
        let scope = self.scope_params(name, &list.path, &list.path_params).await;
        let list_path = fill(&list.path, &scope);
        if let Some((config, settings, file_fields)) = prerequisite(name) {
            let config_path = fill(
                &self
                    .resource(config)
                    .detail()
                    .unwrap_or_else(|| panic!("{config} has no detail endpoint"))
                    .path,
                &scope,
            );
            let uploads: Vec<(String, Upload)> = file_fields
                .iter()
                .map(|f| {
                    // `.p12`: sent as application/x-pkcs12, the type the server accepts
                    let upload = Upload::from_bytes(format!("{f}.p12"), b"sweep".to_vec());
                    ((*f).to_owned(), upload)
                })
                .collect();
            self.send(Method::PATCH, &config_path, &settings, &uploads)
                .await
                .unwrap_or_else(|e| panic!("{name}: PATCH {config_path} {settings}: {e}"));
        }
        let (body, files) = self.create_body(&resource).await;
        let created: Value = self
            .send(Method::POST, &list_path, &body, &files)
            .await
            .unwrap_or_else(|e| panic!("{name}: POST {list_path} {body}: {e}"));
        assert_eq!(
            self.status_of(&Method::POST, &list_path),
            201,
            "{name}: create status"
        );
        self.assert_echo(&format!("{name} create"), &resource, &body, &created);
        let key_param = detail
            .path_params
            .last()
            .expect("a detail has a key")
            .clone();
        let key = key_of(name, &created, &key_param);
        let mut params = scope;
        params.push((key_param, key_text(&key)));
        let path = fill(&detail.path, &params);
        assert_eq!(
            created["links"]["self"].as_str(),
            Some(path.as_str()),
            "{name}: links.self of the new record"
        );
        Made {
            sent: body,
            files,
            record: created,
            params,
            key,
            path,
        }
    }

    /// The field an update changes, and a new value for it: a data field of an extensible
    /// resource, else `description`, else a boolean, a choice, a string, a JSON field.
    async fn update_value(
        &mut self,
        resource: &Resource,
        current: &Value,
    ) -> Option<(String, Value)> {
        if let Some((name, ty)) = self.data_fields(resource).await.into_iter().next() {
            let value = self.data_value(resource, &name, &ty);
            return Some((name, value));
        }
        let n = self.next();
        let candidates: Vec<Field> = resource
            .fields
            .iter()
            .filter(|f| f.is_writable() && !f.write_only && !f.primary_key)
            .filter(|f| special_value(&resource.name, &f.name).is_none())
            .filter(|f| self.reference_target(resource, f).is_none())
            .cloned()
            .collect();
        let rank = |f: &Field| match f.ty {
            _ if f.name == "description" => 0,
            FieldType::Boolean => 1,
            FieldType::Choice => 2,
            FieldType::String | FieldType::Text => 3,
            FieldType::Json => 4,
            _ => 9,
        };
        let field = candidates
            .iter()
            .filter(|f| rank(f) < 9)
            .min_by_key(|f| rank(f))?;
        let now = &current[&field.name];
        let value = match field.ty {
            FieldType::Boolean => json!(!now.as_bool().unwrap_or(false)),
            FieldType::Choice => field
                .choices
                .iter()
                .map(|c| choice_json(&c.value))
                .find(|v| v != now)?,
            FieldType::Json => json!({"sweep": n}),
            _ => json!(text_for(
                field,
                &format!("u{n}{}", resource.name.to_lowercase())
            )),
        };
        Some((field.name.clone(), value))
    }

    /// PATCH one field, then PUT (or a detail POST, the full update of data objects) a full
    /// body with another value; each answer and a fresh GET show the new value.
    async fn update_round_trips(
        &mut self,
        who: &str,
        resource: &Resource,
        detail: &Endpoint,
        path: &str,
        full_body: impl Fn(&Value) -> Map<String, Value>,
    ) {
        let current: Value = self.get(who, path).await;
        if detail.allows(HttpMethod::Patch) {
            let (field, value) = self
                .update_value(resource, &current)
                .await
                .unwrap_or_else(|| panic!("{who}: no writable field to PATCH"));
            let body = json!({ field.clone(): value.clone() });
            let patched: Value = self
                .client
                .request(Method::PATCH, path, Some(&body))
                .await
                .unwrap_or_else(|e| panic!("{who}: PATCH {path} {body}: {e}"));
            assert_eq!(
                self.status_of(&Method::PATCH, path),
                200,
                "{who}: PATCH status"
            );
            assert_eq!(
                patched[&field], value,
                "{who}: PATCH answers the new `{field}`"
            );
            let fetched = self.get(who, path).await;
            assert_eq!(
                fetched[&field], value,
                "{who}: GET after PATCH reads the new `{field}`"
            );
        }
        let replace = [HttpMethod::Put, HttpMethod::Post]
            .into_iter()
            .find(|m| detail.allows(*m));
        if let Some(method) = replace {
            let current: Value = self.get(who, path).await;
            let (field, value) = self
                .update_value(resource, &current)
                .await
                .unwrap_or_else(|| panic!("{who}: no writable field to {method:?}"));
            let mut body = full_body(&current);
            body.insert(field.clone(), value.clone());
            let body = Value::Object(body);
            let method = http(method);
            let replaced: Value = self
                .client
                .request(method.clone(), path, Some(&body))
                .await
                .unwrap_or_else(|e| panic!("{who}: {method} {path} {body}: {e}"));
            assert_eq!(self.status_of(&method, path), 200, "{who}: {method} status");
            self.assert_echo(&format!("{who} {method}"), resource, &body, &replaced);
            let fetched = self.get(who, path).await;
            assert_eq!(
                fetched[&field], value,
                "{who}: GET after {method} reads the new `{field}`"
            );
        }
    }

    /// Replaces the files of a record: PATCH with new files only, then PUT (or a detail
    /// POST) with the fields sent on create and new files. Each answer shows what the
    /// server derived from the new file (the record changed beyond `updated_at`), and a
    /// fresh GET reads the same.
    async fn file_round_trips(
        &mut self,
        who: &str,
        resource: &Resource,
        detail: &Endpoint,
        made: &Made,
    ) {
        let replace = [HttpMethod::Put, HttpMethod::Post]
            .into_iter()
            .find(|m| detail.allows(*m));
        let patch = detail
            .allows(HttpMethod::Patch)
            .then_some(HttpMethod::Patch);
        for method in [patch, replace].into_iter().flatten() {
            let before = self.get(who, &made.path).await;
            let files: Vec<(String, Upload)> = made
                .files
                .iter()
                .map(|(name, _)| (name.clone(), self.upload(resource)))
                .collect();
            let body = if method == HttpMethod::Patch {
                json!({})
            } else {
                made.sent.clone()
            };
            let method = http(method);
            let answer = self
                .send(method.clone(), &made.path, &body, &files)
                .await
                .unwrap_or_else(|e| panic!("{who}: {method} {} with new files: {e}", made.path));
            assert_eq!(
                self.status_of(&method, &made.path),
                200,
                "{who}: {method} status"
            );
            self.assert_echo(&format!("{who} {method}"), resource, &body, &answer);
            let strip = |record: &Value| {
                let mut record = record.clone();
                record.as_object_mut().map(|o| o.remove("updated_at"));
                record
            };
            assert_ne!(
                strip(&answer),
                strip(&before),
                "{who}: {method} with a new file shows in the record"
            );
            assert_eq!(
                self.get(who, &made.path).await,
                answer,
                "{who}: GET after {method}"
            );
        }
    }

    async fn get(&self, who: &str, path: &str) -> Value {
        let fetched: Value = self
            .client
            .request::<(), _>(Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("{who}: GET {path}: {e}"));
        assert_eq!(self.status_of(&Method::GET, path), 200, "{who}: GET status");
        fetched
    }

    /// Every method `endpoint` does not declare answers 405 with the API's body — once
    /// the caller passes the emulator's permission table, which judges such
    /// a method as a write of the route (a create on a list), as the platform checks
    /// permissions first: traces, for one, are read-only for every admin (403).
    async fn assert_undeclared_refused(&self, who: &str, endpoint: &Endpoint, path: &str) {
        use syncano_emulator::permissions::{self, Callers, Op};
        for method in ALL_METHODS {
            if endpoint.allows(method) {
                continue;
            }
            let op = Op::of_undeclared(&endpoint.name, Some(method));
            // the owner's account key, or an instance key with a user key where only a
            // user may read (`NEEDS_USER_KEY`)
            let caller = if NEEDS_USER_KEY.contains(&who) {
                Callers::KEY | Callers::USER
            } else {
                Callers::OWNER | Callers::ACCOUNT
            };
            let expected = if permissions::allowed(who, op).meets(caller) {
                syncano::StatusCode::METHOD_NOT_ALLOWED
            } else {
                syncano::StatusCode::FORBIDDEN
            };
            let body = matches!(
                method,
                HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch
            )
            .then(|| json!({}));
            let error = self
                .client
                .request(http(method), path, body.as_ref())
                .await
                .map(|_: Value| ())
                .expect_err("an undeclared method is refused");
            assert_eq!(
                error.status(),
                Some(expected),
                "{who} {method:?} {path}: {error}"
            );
            if expected == syncano::StatusCode::METHOD_NOT_ALLOWED {
                assert_eq!(
                    error.api().and_then(|a| a.body.clone()),
                    Some(
                        json!({"detail": format!("Method \"{}\" not allowed.", method.as_http())})
                    ),
                    "{who} {method:?} {path}: the 405 body"
                );
            }
        }
    }

    /// The list answers the paging envelope and holds `key` (via the SDK's pager).
    async fn assert_listed(
        &self,
        who: &str,
        list: &Endpoint,
        list_path: &str,
        key_param: &str,
        key: &Value,
    ) {
        let page = self.get(who, list_path).await;
        let envelope = page
            .as_object()
            .unwrap_or_else(|| panic!("{who}: a list page is an object: {page}"));
        assert!(envelope["objects"].is_array(), "{who}: `objects` in {page}");
        for link in ["next", "prev"] {
            assert!(
                envelope
                    .get(link)
                    .is_some_and(|v| v.is_null() || v.is_string()),
                "{who}: `{link}` in {page}"
            );
        }
        let listed = ListRequest::<Value>::new(self.client.clone(), list_path.to_owned())
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{who}: list {list_path}: {e}"));
        assert!(
            listed
                .iter()
                .any(|item| &key_of(who, item, key_param) == key),
            "{who}: the list {} holds the new record {key}",
            list.path
        );
    }

    /// The full sweep of one resource with a creatable list.
    async fn sweep_creatable(&mut self, resource: &Resource) {
        let who = resource.name.clone();
        let list = resource.list().expect("a list").clone();
        let detail = resource
            .detail()
            .unwrap_or_else(|| panic!("{who}: a creatable list without a detail endpoint"))
            .clone();
        let made = self.create(&who).await;
        let key_param = made.params.last().expect("a key").0.clone();
        let list_path = fill(&list.path, &made.params[..made.params.len() - 1]);

        let fetched = self.get(&who, &made.path).await;
        assert_eq!(
            key_of(&who, &fetched, &key_param),
            made.key,
            "{who}: GET the new record"
        );
        self.assert_echo(&format!("{who} GET"), resource, &made.sent, &fetched);

        if made.files.is_empty() {
            let sent = made.sent.clone();
            self.update_round_trips(&who, resource, &detail, &made.path, |_| {
                sent.as_object().expect("an object").clone()
            })
            .await;
        } else {
            self.file_round_trips(&who, resource, &detail, &made).await;
        }

        if list.allows(HttpMethod::Get) {
            self.assert_listed(&who, &list, &list_path, &key_param, &made.key)
                .await;
        }
        self.assert_undeclared_refused(&who, &list, &list_path)
            .await;
        self.assert_undeclared_refused(&who, &detail, &made.path)
            .await;

        if detail.allows(HttpMethod::Delete) {
            self.client
                .request::<(), ()>(Method::DELETE, &made.path, None)
                .await
                .unwrap_or_else(|e| panic!("{who}: DELETE {}: {e}", made.path));
            assert_eq!(
                self.status_of(&Method::DELETE, &made.path),
                204,
                "{who}: DELETE status"
            );
            let gone = self
                .client
                .request::<(), Value>(Method::GET, &made.path, None)
                .await
                .expect_err("deleted");
            assert!(gone.is_not_found(), "{who}: GET after DELETE: {gone}");
        }
    }

    /// GET and PATCH / PUT round trips on a detail endpoint without a list.
    async fn sweep_singleton(&mut self, resource: &Resource) {
        let who = resource.name.clone();
        let detail = resource.detail().expect("a detail").clone();
        let scope = self
            .scope_params(&who, &detail.path, &detail.path_params)
            .await;
        let path = fill(&detail.path, &scope);
        let saved = self.client.clone();
        if NEEDS_USER_KEY.contains(&who.as_str()) {
            let refused = self
                .client
                .request::<(), Value>(Method::GET, &path, None)
                .await
                .expect_err("the account key alone is refused");
            assert_eq!(
                refused.status(),
                Some(syncano::StatusCode::FORBIDDEN),
                "{who}: {refused}"
            );
            let api_key = self.context_record("ApiKey").await.record["api_key"]
                .as_str()
                .expect("an api key")
                .to_owned();
            let user_key = self.context_record("User").await.record["user_key"]
                .as_str()
                .expect("a user key")
                .to_owned();
            self.client = saved.with_api_key(api_key).with_user_key(user_key);
        }
        let fetched = self.get(&who, &path).await;
        // `links.self` of a singleton may name the record behind it (the current user's is
        // `users/{id}/`, as on the platform): it must answer, with the same record. The
        // account alone shows no links, as on the platform (`AdminFullSerializer`).
        let link = match fetched["links"]["self"].as_str() {
            Some(link) => link.to_owned(),
            None if resource.name == "Account" => path.clone(),
            None => panic!("{who}: links.self in {fetched}"),
        };
        if link != path {
            let behind = self.get(&who, &link).await;
            assert_eq!(
                behind["id"], fetched["id"],
                "{who}: links.self {link} is the same record"
            );
        }

        // a full body: the required writable fields as they are (or built, when not shown)
        let required: Vec<Field> = resource
            .fields
            .iter()
            .filter(|f| f.is_writable() && f.required)
            .cloned()
            .collect();
        let mut built = Map::new();
        for field in &required {
            if field.write_only || fetched.get(&field.name).is_none() {
                let value = self.required_value(resource, field);
                built.insert(field.name.clone(), value);
            }
        }
        self.update_round_trips(&who, resource, &detail, &path, move |current| {
            let mut body = built.clone();
            for field in &required {
                if let Some(value) = current
                    .get(&field.name)
                    .filter(|_| !body.contains_key(&field.name))
                {
                    body.insert(field.name.clone(), value.clone());
                }
            }
            body
        })
        .await;
        self.assert_undeclared_refused(&who, &detail, &path).await;
        self.client = saved;
    }

    /// A list without POST: GET answers (a page, or an object when not paged), undeclared
    /// methods are refused, and a listed record can be read at its `links.self`.
    async fn sweep_read_only_list(&mut self, resource: &Resource) {
        let who = resource.name.clone();
        let list = resource.list().expect("a list").clone();
        let scope = self.scope_params(&who, &list.path, &list.path_params).await;
        let path = fill(&list.path, &scope);
        let page = self.get(&who, &path).await;
        if list.paginated == Some(false) {
            assert!(
                page.is_object(),
                "{who}: an unpaged list is an object: {page}"
            );
        } else {
            assert!(page["objects"].is_array(), "{who}: `objects` in {page}");
            if let (Some(first), Some(detail)) = (page["objects"].get(0), resource.detail()) {
                let link = first["links"]["self"]
                    .as_str()
                    .expect("links.self")
                    .to_owned();
                assert!(detail.allows(HttpMethod::Get));
                self.get(&who, &link).await;
            }
        }
        self.assert_undeclared_refused(&who, &list, &path).await;
    }
}

#[tokio::test]
async fn every_resource_round_trips_through_the_sdk() {
    let (server, client, recorder) = connect().await;
    let schema = Arc::new(snapshot());
    let mut sweep = Sweep {
        schema: schema.clone(),
        client,
        recorder,
        context: BTreeMap::new(),
        n: 0,
    };

    let mut covered = Vec::new();
    let mut singletons = Vec::new();
    let mut read_only = Vec::new();
    for resource in &schema.resources {
        match (resource.list(), resource.detail()) {
            (Some(list), _) if list.allows(HttpMethod::Post) => {
                sweep.sweep_creatable(resource).await;
                covered.push(resource.name.clone());
            }
            (Some(list), _) if list.allows(HttpMethod::Get) => {
                sweep.sweep_read_only_list(resource).await;
                read_only.push(resource.name.clone());
            }
            (None, Some(detail)) if detail.allows(HttpMethod::Get) => {
                sweep.sweep_singleton(resource).await;
                singletons.push(resource.name.clone());
            }
            _ => {}
        }
    }
    eprintln!("swept: {covered:?}\nsingletons: {singletons:?}\nread-only lists: {read_only:?}");
    // The sweep must not silently cover nothing: top level, under an instance, nested.
    for expected in [
        "Instance",
        "ApiKey",
        "Channel",
        "Class",
        "DataObject",
        "Group",
        "GroupMembership",
        "HostingFile",
        "UserGroupMembership",
        "GcmDevice",
        "ApnsMessage",
        "Schedule",
        "Script",
        "Trigger",
        "User",
    ] {
        assert!(
            covered.iter().any(|c| c == expected),
            "{expected} was not swept: {covered:?}"
        );
    }
    for expected in [
        "Account",
        "CurrentUser",
        "SnippetConfig",
        "GcmConfig",
        "ApnsConfig",
    ] {
        assert!(
            singletons.iter().any(|c| c == expected),
            "{expected} was not swept: {singletons:?}"
        );
    }
    server.shutdown().await;
}

/// A typed data object of the class the typed test makes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Book {
    title: String,
    pages: i64,
}

/// The generated nested managers, typed, against the emulator: memberships from both
/// sides, data objects through the class manager (and through a model's link), and a
/// channel's history.
#[tokio::test]
async fn generated_nested_managers_work_against_the_emulator() {
    use syncano::{
        ChannelCreate, ChannelPublishRequest, ClassCreate, DataObjectCreate, DataObjectUpdate,
        GroupCreate, GroupMembershipCreate, GroupUpdate, InstanceCreate, UserCreate,
        UserGroupMembershipCreate,
    };

    let (server, client, _) = connect().await;
    let instances = client.instances();
    let instance = instances
        .create(&InstanceCreate::new("typed-nested"))
        .await
        .expect("instance");
    let name = instance.name.as_str();

    // groups and users, then memberships seen from the group
    let groups = instances.groups(name);
    let group = groups
        .create(&GroupCreate::new().label("readers"))
        .await
        .expect("group");
    let users = instances.users(name);
    let ann = users
        .create(&UserCreate::new("ann", "secret-1"))
        .await
        .expect("ann");
    let bob = users
        .create(&UserCreate::new("bob", "secret-2"))
        .await
        .expect("bob");

    let members = groups.users(group.id);
    assert_eq!(members.group_id(), group.id.to_string());
    let joined = members
        .create(&GroupMembershipCreate::new(json!(ann.id)))
        .await
        .expect("ann joins");
    assert_eq!(joined.user["id"], json!(ann.id));
    assert_eq!(joined.user["username"], "ann");
    let fetched = members.get(ann.id).await.expect("membership");
    assert_eq!(fetched, joined);
    // the model's child accessor follows links.self to the same list
    let via_model = group.users(&client).expect("group.users");
    assert_eq!(via_model.group_id(), members.group_id());
    via_model
        .create(&GroupMembershipCreate::new(json!(bob.id)))
        .await
        .expect("bob joins");
    let listed: Vec<i64> = members
        .list()
        .collect()
        .await
        .expect("members")
        .iter()
        .map(|m| m.user["id"].as_i64().expect("user id"))
        .collect();
    assert_eq!(listed, [ann.id, bob.id]);
    // a membership's manager is recovered from its own link
    let membership_manager = joined.manager(&client).expect("membership manager");
    assert_eq!(membership_manager.group_id(), group.id.to_string());

    // the same membership seen from the user; leaving from one side shows on the other
    let anns_groups = users.groups(ann.id);
    let seen: Vec<_> = anns_groups.list().collect().await.expect("ann's groups");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].group["id"], json!(group.id));
    anns_groups.delete(group.id).await.expect("ann leaves");
    assert!(
        members
            .get(ann.id)
            .await
            .expect_err("ann left")
            .is_not_found()
    );
    let rejoined = anns_groups
        .create(&UserGroupMembershipCreate::new(json!(group.id)))
        .await
        .expect("ann joins from her side");
    assert_eq!(rejoined.group["label"], "readers");
    members.get(ann.id).await.expect("visible from the group");
    members.delete(bob.id).await.expect("bob leaves");
    let duplicate = anns_groups
        .create(&UserGroupMembershipCreate::new(json!(group.id)))
        .await
        .expect_err("already a member");
    assert!(duplicate.is_validation(), "{duplicate}");
    let group = groups
        .update(group.id, &GroupUpdate::new().description("typed"))
        .await
        .expect("group update");
    assert_eq!(group.description.as_deref(), Some("typed"));

    // data objects through the typed class manager
    let classes = instances.classes(name);
    let class = classes
        .create(&ClassCreate::new(
            "books",
            json!([{"name": "title", "type": "string"}, {"name": "pages", "type": "integer"}]),
        ))
        .await
        .expect("class");
    let books = classes.objects_as::<Book>(&class.name);
    assert_eq!(books.class_name(), "books");
    let dune = books
        .create(&DataObjectCreate::new(Book {
            title: "Dune".into(),
            pages: 412,
        }))
        .await
        .expect("dune");
    assert_eq!(dune.data.title, "Dune");
    let got = books.get(dune.id).await.expect("get dune");
    assert_eq!(got.data, dune.data);
    let updated = books
        .update(
            dune.id,
            &DataObjectUpdate::new(Book {
                title: "Dune".into(),
                pages: 500,
            }),
        )
        .await
        .expect("update dune");
    assert_eq!(updated.data.pages, 500);
    // the class model reaches the same objects through its links
    let via_class = class
        .objects(&client)
        .expect("class.objects")
        .typed::<Book>();
    via_class
        .create(&DataObjectCreate::new(Book {
            title: "Emma".into(),
            pages: 300,
        }))
        .await
        .expect("emma");
    let titles: Vec<String> = books
        .list()
        .collect()
        .await
        .expect("books")
        .into_iter()
        .map(|b| b.data.title)
        .collect();
    assert_eq!(titles, ["Dune", "Emma"]);
    books.delete(dune.id).await.expect("delete dune");
    assert!(
        books
            .get(dune.id)
            .await
            .expect_err("deleted")
            .is_not_found()
    );

    // a channel's history: what publish wrote, through the nested manager
    let channels = instances.channels(name);
    let channel = channels
        .create(&ChannelCreate::new("news").custom_publish(true))
        .await
        .expect("channel");
    let published = channels
        .publish(
            &channel.name,
            &ChannelPublishRequest::new().payload(json!({"headline": "typed"})),
        )
        .await
        .expect("publish");
    let history = channels.history(&channel.name);
    let changes = history.list().collect().await.expect("history");
    assert!(
        changes
            .iter()
            .any(|c| c.id == published.id && c.payload == Some(json!({"headline": "typed"}))),
        "{changes:?}"
    );
    assert_eq!(
        history.get(published.id).await.expect("one change"),
        published
    );

    instances.delete(name).await.expect("instance delete");
    server.shutdown().await;
}
