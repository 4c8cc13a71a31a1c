//! What a resource module declares: the operations it handles itself and the
//! hooks the generic engine calls while creating or updating one of its records.
//!
//! A resource module (`users`, `channels` ...) exposes `fn behaviours() ->
//! Vec<Behaviour>`, one [`Behaviour`] per schema resource it owns, named exactly as
//! the schema names the resource (`"User"`, `"Channel"`). [`crate::registry`]
//! collects them; [`crate::dispatch`] looks one up by the matched route's resource.
//! This module holds only the types, so resource modules and the generic engine can
//! use them without importing the registry (no import circle).

use std::fmt;

use serde_json::{Map, Value};
use syncano_codegen::schema::HttpMethod;

use crate::api::{HResult, Req, Resp};
use crate::auth::Caller;
use crate::context::{Ctx, Target};
use crate::store::Record;

/// One operation on a resource, as the permission table and the registry name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op<'a> {
    /// `GET` on the list endpoint.
    List,
    /// `POST` on the list endpoint.
    Create,
    /// `GET` (or `HEAD`) on the detail endpoint.
    Get,
    /// `PATCH` on the detail endpoint.
    Update,
    /// `PUT` (or `POST`) on the detail endpoint: a whole-record write.
    Replace,
    /// `DELETE` on the detail endpoint.
    Delete,
    /// A write (`POST` ...) on the custom endpoint the schema names so (`publish`,
    /// `rename` ...).
    Endpoint(&'a str),
    /// A read (`GET`, `HEAD`, `OPTIONS`) of the custom endpoint the schema names so
    /// (`poll`, `get_objects` ...). Handlers are registered under [`Op::Endpoint`]
    /// and serve both.
    EndpointRead(&'a str),
}

impl<'a> Op<'a> {
    /// The operation `method` performs on the schema endpoint named `endpoint`
    /// (`list`, `detail` or a custom endpoint's name). `OPTIONS` (no [`HttpMethod`])
    /// counts as the endpoint's read, as DRF checks permissions for it as for any safe
    /// method.
    pub fn of(endpoint: &'a str, method: Option<HttpMethod>) -> Op<'a> {
        match (endpoint, method) {
            ("list", Some(HttpMethod::Post)) => Op::Create,
            ("list", _) => Op::List,
            ("detail", Some(HttpMethod::Patch)) => Op::Update,
            ("detail", Some(HttpMethod::Put | HttpMethod::Post)) => Op::Replace,
            ("detail", Some(HttpMethod::Delete)) => Op::Delete,
            ("detail", _) => Op::Get,
            (name, None | Some(HttpMethod::Get)) => Op::EndpointRead(name),
            (name, _) => Op::Endpoint(name),
        }
    }

    /// The operation the permission table judges a `method` the endpoint does not
    /// declare as: a write of the route (on a list, a create), as DRF checks
    /// permissions before it looks for a handler (which then answers 405).
    pub fn of_undeclared(endpoint: &'a str, method: Option<HttpMethod>) -> Op<'a> {
        match (endpoint, method) {
            ("list", Some(m)) if m != HttpMethod::Get => Op::Create,
            _ => Op::of(endpoint, method),
        }
    }

    /// Whether the operation only reads.
    pub fn is_read(self) -> bool {
        matches!(self, Op::List | Op::Get | Op::EndpointRead(_))
    }

    /// The operation handlers are registered under: a custom endpoint's read and
    /// write share one handler.
    fn handled_as(self) -> Op<'a> {
        match self {
            Op::EndpointRead(name) => Op::Endpoint(name),
            other => other,
        }
    }
}

impl fmt::Display for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::List => f.write_str("list"),
            Op::Create => f.write_str("create"),
            Op::Get => f.write_str("get"),
            Op::Update => f.write_str("update"),
            Op::Replace => f.write_str("replace"),
            Op::Delete => f.write_str("delete"),
            Op::Endpoint(name) => f.write_str(name),
            Op::EndpointRead(name) => write!(f, "{name} (read)"),
        }
    }
}

/// A request as a handler receives it: already routed, authenticated and allowed
/// by the permission table.
pub struct Call<'a> {
    /// The request.
    pub req: &'a Req,
    /// The matched route, with its path parameters by name.
    pub target: &'a Target,
    /// Who is calling.
    pub caller: &'a Caller,
    /// The request's method.
    pub method: HttpMethod,
}

/// A handler of one operation.
pub type Handler = fn(&mut Ctx<'_>, &Call<'_>) -> HResult<Resp>;

/// Values the server sets on a new record of the resource, before it is stored.
pub type CreateHook = fn(&mut Record);

/// Checks on a validated create or update body that the schema cannot express.
pub type CheckHook = fn(&Map<String, Value>) -> HResult<()>;

/// How one schema resource differs from the generic schema-driven engine.
pub struct Behaviour {
    /// The resource's name in the schema (`"DataObject"`).
    pub resource: &'static str,
    /// The operations with their own handler; every other operation is generic.
    pub handlers: Vec<(Op<'static>, Handler)>,
    /// Server-set values of a new record ([`crate::engine::create_record`]).
    pub on_create: Option<CreateHook>,
    /// Extra checks on a validated write body.
    pub check: Option<CheckHook>,
    /// The emulator-wide counter the record ids come from, for ids unique across
    /// instances (invitations); `None` numbers each collection on its own.
    pub id_counter: Option<&'static str>,
    /// Records are named by a slug the client gives (the platform's
    /// `StrippedSlugField`, lowercased before it is checked), on create and rename.
    pub slug_names: bool,
}

impl fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Behaviour")
            .field("resource", &self.resource)
            .field(
                "handlers",
                &self.handlers.iter().map(|(op, _)| *op).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Behaviour {
    /// A resource that behaves generically until told otherwise.
    pub fn new(resource: &'static str) -> Behaviour {
        Behaviour {
            resource,
            handlers: Vec::new(),
            on_create: None,
            check: None,
            id_counter: None,
            slug_names: false,
        }
    }

    /// Handles `op` with `handler`.
    pub fn on(mut self, op: Op<'static>, handler: Handler) -> Behaviour {
        self.handlers.push((op, handler));
        self
    }

    /// Handles both detail writes (`PATCH` and `PUT`) with `handler`.
    pub fn on_write(self, handler: Handler) -> Behaviour {
        self.on(Op::Update, handler).on(Op::Replace, handler)
    }

    /// Sets the server-set values of new records.
    pub fn on_create(mut self, hook: CreateHook) -> Behaviour {
        self.on_create = Some(hook);
        self
    }

    /// Adds checks on validated write bodies.
    pub fn check(mut self, hook: CheckHook) -> Behaviour {
        self.check = Some(hook);
        self
    }

    /// Names records by slugs ([`Behaviour::slug_names`]).
    pub fn slug_names(mut self) -> Behaviour {
        self.slug_names = true;
        self
    }

    /// Numbers new records from the emulator-wide counter `name`.
    pub fn ids_from(mut self, name: &'static str) -> Behaviour {
        self.id_counter = Some(name);
        self
    }

    /// The handler of `op`, if the resource has its own.
    pub fn handler(&self, op: Op<'_>) -> Option<Handler> {
        let op = op.handled_as();
        self.handlers
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, h)| *h)
    }
}
