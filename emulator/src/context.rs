//! What every handler works with: the emulator's settings, the request's context
//! (schema, store, files) and the route a request matched, with its path parameters
//! by name.

use crate::api::{FilePart, Req, Resp};
use crate::behaviour::Behaviour;
use crate::spec::{Kind, Matched, Spec, join};
use crate::store::Store;

/// Emulator-wide settings the handlers read.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Maximum request body size in bytes.
    pub body_limit: usize,
    /// Maximum number of requests in one batch.
    pub batch_limit: usize,
    /// Whether file URLs start with the request's origin
    /// ([`crate::EmulatorConfig::absolute_file_urls`]).
    pub absolute_file_urls: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            body_limit: 1024 * 1024,
            batch_limit: 50,
            absolute_file_urls: true,
        }
    }
}

/// Everything a handler needs.
pub struct Ctx<'a> {
    /// The schema and routes.
    pub spec: &'a Spec,
    /// The state (locked for the duration of the request).
    pub store: &'a mut Store,
    /// Settings.
    pub settings: &'a Settings,
    /// The file parts of the request's `multipart/form-data` body (none for JSON
    /// bodies; batch sub-requests never see them, see [`Ctx::files_of`]).
    pub files: &'a [FilePart],
    /// The request's [`Req::origin`], which starts the absolute URLs of stored files.
    pub origin: &'a str,
    /// The dispatcher, for requests made on behalf of another (batch items).
    pub dispatch: fn(&mut Ctx<'_>, &Req) -> Resp,
}

impl Ctx<'_> {
    /// The file parts `req` carries: the request's own, none for a batch sub-request.
    pub fn files_of(&self, req: &Req) -> &[FilePart] {
        if req.in_batch { &[] } else { self.files }
    }
}

/// A request matched to a route of the schema.
#[derive(Clone, Debug)]
pub struct Target {
    /// Route index.
    pub route: usize,
    /// Resource index.
    pub res: usize,
    /// The match.
    pub m: Matched,
    /// The instance named in the path.
    pub instance: Option<String>,
    /// Standard or custom endpoint.
    pub kind: Kind,
    /// The path parameters by the names the schema's path template gives them
    /// (`instance`, `class_name`, `id` ...), decoded.
    pub params: Vec<(String, String)>,
    /// How the resource differs from the generic engine, if it does.
    pub behaviour: Option<&'static Behaviour>,
}

impl Target {
    /// The value of the path parameter `name` (as the schema's template names it).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path parameter `name` as an integer id.
    pub fn id_param(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(|v| v.parse().ok())
    }

    /// The concrete path of the instance (`/v1.1/instances/<name>/`).
    pub fn instance_path(&self) -> Option<String> {
        self.instance
            .as_ref()
            .map(|i| join(&["v1.1".into(), "instances".into(), i.clone()]))
    }
}
