//! The routing table built from the schema model: every endpoint of every
//! resource, matched segment by segment (literal segments win over parameters).

use percent_encoding::percent_decode_str;
use syncano_codegen::schema::{Endpoint, Field, FieldType, HttpMethod, Resource, Schema};

/// One segment of an endpoint path template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A fixed segment such as `instances`.
    Lit(String),
    /// A path parameter such as `{instance}`.
    Param(String),
}

/// What kind of endpoint a route is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The standard `list` endpoint.
    List,
    /// The standard `detail` endpoint.
    Detail,
    /// Any other endpoint.
    Custom,
}

/// One routable endpoint.
#[derive(Clone, Debug)]
pub struct Route {
    /// Index into [`Spec::resources`].
    pub res: usize,
    /// Index into the resource's endpoints.
    pub ep: usize,
    /// The template, split.
    pub segs: Vec<Seg>,
    /// Standard or custom.
    pub kind: Kind,
    /// Detail routes of ancestors: (route index, number of segments of its path).
    pub ancestors: Vec<(usize, usize)>,
    /// For custom endpoints that extend the resource's detail path: the number
    /// of segments of that detail path (the record they act on).
    pub target_len: Option<usize>,
}

/// How the records of a resource are keyed.
#[derive(Clone, Debug)]
pub struct KeySpec {
    /// The detail path parameter (`id`, `name`, `registration_id` ...); `None`
    /// for a singleton resource whose detail path ends in a literal.
    pub param: Option<String>,
    /// The field holding the key.
    pub field: String,
    /// Keys are allocated by the server (integers).
    pub auto: bool,
}

/// The schema plus its routing table.
pub struct Spec {
    /// The resources, as the schema model gives them.
    pub resources: Vec<Resource>,
    /// The document as loaded (served at `/v1.1/schema/`).
    pub document: serde_json::Value,
    /// Every endpoint.
    pub routes: Vec<Route>,
    /// Key spec per resource.
    pub keys: Vec<KeySpec>,
    /// Write fields per route.
    write: Vec<Vec<Field>>,
}

/// A request path matched to a route.
#[derive(Clone, Debug)]
pub struct Matched {
    /// Index into [`Spec::routes`].
    pub route: usize,
    /// The concrete (decoded) segments of the request path.
    pub segs: Vec<String>,
}

/// Splits a template or concrete path into segments (empty ones dropped).
pub fn split(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn template_segs(path: &str) -> Vec<Seg> {
    split(path)
        .into_iter()
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') && s.len() > 2 {
                Seg::Param(s[1..s.len() - 1].to_owned())
            } else {
                Seg::Lit(s.to_owned())
            }
        })
        .collect()
}

fn same_shape(a: &[Seg], b: &[Seg]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Seg::Lit(p), Seg::Lit(q)) => p == q,
            (Seg::Param(_), Seg::Param(_)) => true,
            _ => false,
        })
}

/// Joins segments into a path with leading and trailing `/`, percent-encoding each.
pub fn join(segs: &[String]) -> String {
    let mut out = String::from("/");
    for s in segs {
        out.push_str(&encode_segment(s));
        out.push('/');
    }
    out
}

/// Percent-encodes one path segment.
pub fn encode_segment(s: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const SEG: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'?')
        .add(b'{')
        .add(b'}')
        .add(b'/')
        .add(b'%');
    utf8_percent_encode(s, SEG).to_string()
}

impl Spec {
    /// Builds the routing table from a parsed schema and its raw document.
    pub fn new(schema: Schema, document: serde_json::Value) -> Spec {
        let resources = schema.resources;
        let mut routes = Vec::new();
        for (ri, r) in resources.iter().enumerate() {
            for (ei, e) in r.endpoints.iter().enumerate() {
                let kind = match e.name.as_str() {
                    "list" => Kind::List,
                    "detail" => Kind::Detail,
                    _ => Kind::Custom,
                };
                routes.push(Route {
                    res: ri,
                    ep: ei,
                    segs: template_segs(&e.path),
                    kind,
                    ancestors: Vec::new(),
                    target_len: None,
                });
            }
        }
        // ancestors: detail routes whose template is a strict prefix (ending in a parameter)
        let details: Vec<(usize, Vec<Seg>)> = routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == Kind::Detail)
            .map(|(i, r)| (i, r.segs.clone()))
            .collect();
        for route in routes.iter_mut() {
            for k in 1..route.segs.len() {
                if !matches!(route.segs[k - 1], Seg::Param(_)) {
                    continue;
                }
                if let Some((di, _)) = details
                    .iter()
                    .find(|(_, d)| same_shape(d, &route.segs[..k]))
                {
                    route.ancestors.push((*di, k));
                }
            }
            if route.kind == Kind::Custom {
                let own_detail = resources
                    .get(route.res)
                    .and_then(|r| r.endpoints.iter().find(|e| e.name == "detail"))
                    .map(|e| template_segs(&e.path));
                if let Some(d) = own_detail {
                    if d.len() < route.segs.len() && same_shape(&d, &route.segs[..d.len()]) {
                        route.target_len = Some(d.len());
                    }
                }
            }
        }
        let keys = resources.iter().map(key_spec).collect();
        let mut spec = Spec {
            resources,
            document,
            routes,
            keys,
            write: Vec::new(),
        };
        spec.write = (0..spec.routes.len())
            .map(|i| spec.compute_write_fields(i))
            .collect();
        spec
    }

    /// The resource of a route.
    pub fn resource(&self, route: usize) -> Option<&Resource> {
        self.routes
            .get(route)
            .and_then(|r| self.resources.get(r.res))
    }

    /// The endpoint of a route.
    pub fn endpoint(&self, route: usize) -> Option<&Endpoint> {
        let r = self.routes.get(route)?;
        self.resources.get(r.res)?.endpoints.get(r.ep)
    }

    /// The endpoint name of a route.
    pub fn endpoint_name(&self, r: &Route) -> String {
        self.resources
            .get(r.res)
            .and_then(|x| x.endpoints.get(r.ep))
            .map(|e| e.name.clone())
            .unwrap_or_default()
    }

    /// Index of the `detail` route of a resource.
    pub fn detail_route(&self, res: usize) -> Option<usize> {
        self.routes
            .iter()
            .position(|r| r.res == res && r.kind == Kind::Detail)
    }

    /// Matches a concrete request path.
    pub fn match_path(&self, path: &str) -> Option<Matched> {
        let raw = split(path);
        let mut segs = Vec::with_capacity(raw.len());
        for s in raw {
            segs.push(percent_decode_str(s).decode_utf8().ok()?.into_owned());
        }
        let mut best: Option<(usize, Vec<bool>)> = None;
        for (i, r) in self.routes.iter().enumerate() {
            if r.segs.len() != segs.len() {
                continue;
            }
            let mut score = Vec::with_capacity(segs.len());
            let mut ok = true;
            for (t, s) in r.segs.iter().zip(&segs) {
                match t {
                    Seg::Lit(l) => {
                        if l != s {
                            ok = false;
                            break;
                        }
                        score.push(true);
                    }
                    Seg::Param(_) => {
                        if s.is_empty() {
                            ok = false;
                            break;
                        }
                        score.push(false)
                    }
                }
            }
            if ok && best.as_ref().is_none_or(|(_, b)| score > *b) {
                best = Some((i, score));
            }
        }
        let (route, _) = best?;
        Some(Matched { route, segs })
    }

    /// The literal segments that follow `segs` in some template (for link roots).
    pub fn children_of(&self, segs: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.routes {
            if r.segs.len() <= segs.len() {
                continue;
            }
            let prefix_ok = r.segs.iter().zip(segs).all(|(t, s)| match t {
                Seg::Lit(l) => l == s,
                Seg::Param(_) => true,
            });
            if !prefix_ok {
                continue;
            }
            if let Some(Seg::Lit(next)) = r.segs.get(segs.len()) {
                if !out.contains(next) {
                    out.push(next.clone());
                }
            }
        }
        out.sort();
        out
    }

    /// The fields an endpoint validates writes against (see `compute_write_fields`).
    pub fn write_fields(&self, route: usize) -> &[Field] {
        self.write.get(route).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The fields an endpoint validates writes against: for `list` and
    /// `detail`, the endpoint's declared fields over the resource's; for custom
    /// endpoints, their declared fields (the request body).
    fn compute_write_fields(&self, route: usize) -> Vec<Field> {
        let (Some(e), Some(r)) = (self.endpoint(route), self.resource(route)) else {
            return Vec::new();
        };
        let standard = matches!(
            self.routes.get(route).map(|x| x.kind),
            Some(Kind::List | Kind::Detail)
        );
        match &e.fields {
            Some(own) if !standard => own.clone(),
            Some(own) => {
                let mut out = own.clone();
                for f in &r.fields {
                    if !out.iter().any(|o| o.name == f.name) {
                        out.push(f.clone());
                    }
                }
                out
            }
            None => r.fields.clone(),
        }
    }
}

fn key_spec(r: &Resource) -> KeySpec {
    let detail = r.endpoints.iter().find(|e| e.name == "detail");
    let last = detail.and_then(|d| template_segs(&d.path).pop());
    match last {
        Some(Seg::Param(p)) => {
            let field = if r.fields.iter().any(|f| f.name == p) {
                p.clone()
            } else if r.fields.iter().any(|f| f.name == "id") {
                "id".to_owned()
            } else {
                p.clone()
            };
            let auto = match r.fields.iter().find(|f| f.name == field) {
                Some(f) => matches!(f.ty, FieldType::Integer) || f.read_only,
                None => true,
            };
            KeySpec {
                param: Some(p),
                field,
                auto,
            }
        }
        _ => KeySpec {
            param: None,
            field: String::new(),
            auto: false,
        },
    }
}

/// Lower-case name of a method as the schema declares it.
pub fn method_of(m: &axum::http::Method) -> Option<HttpMethod> {
    match m.as_str() {
        "GET" | "HEAD" => Some(HttpMethod::Get),
        "POST" => Some(HttpMethod::Post),
        "PUT" => Some(HttpMethod::Put),
        "PATCH" => Some(HttpMethod::Patch),
        "DELETE" => Some(HttpMethod::Delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Spec {
        let doc = r#"[
          {"name": "Script", "properties": {"id": {"type": "integer", "read_only": true}},
           "endpoints": {
             "list": {"path": "/v1.1/instances/{instance}/snippets/scripts/", "methods": ["get", "post"], "properties": ["instance"]},
             "detail": {"path": "/v1.1/instances/{instance}/snippets/scripts/{id}/", "methods": ["get"], "properties": ["instance", "id"]},
             "run": {"path": "/v1.1/instances/{instance}/snippets/scripts/{id}/run/", "methods": ["post"], "properties": ["instance", "id"]}}},
          {"name": "Runtime", "properties": {},
           "endpoints": {"list": {"path": "/v1.1/instances/{instance}/snippets/scripts/runtimes/", "methods": ["get"], "properties": ["instance"]}}},
          {"name": "Instance", "properties": {"name": {"type": "string", "required": true}},
           "endpoints": {"detail": {"path": "/v1.1/instances/{name}/", "methods": ["get"], "properties": ["name"]}}}
        ]"#;
        let schema = syncano_codegen::schema::parse(doc, "test").expect("test schema parses");
        Spec::new(schema, serde_json::Value::Null)
    }

    #[test]
    fn literal_segments_win_and_parameters_decode() {
        let s = spec();
        let m = s
            .match_path("/v1.1/instances/x/snippets/scripts/runtimes/")
            .expect("match");
        assert_eq!(
            s.resource(m.route).map(|r| r.name.as_str()),
            Some("Runtime")
        );
        let m = s
            .match_path("/v1.1/instances/x/snippets/scripts/12/")
            .expect("match");
        assert_eq!(s.resource(m.route).map(|r| r.name.as_str()), Some("Script"));
        assert_eq!(m.segs[5], "12");
        let m = s.match_path("/v1.1/instances/a%20b/").expect("match");
        assert_eq!(m.segs[2], "a b");
        assert!(s.match_path("/v1.1/instances/x/nothing/").is_none());
        assert!(s.match_path("/v1.1/instances/%FF/").is_none());
    }

    #[test]
    fn ancestors_targets_and_keys() {
        let s = spec();
        let run = s
            .match_path("/v1.1/instances/x/snippets/scripts/1/run/")
            .expect("match");
        let r = &s.routes[run.route];
        assert_eq!(r.kind, Kind::Custom);
        assert_eq!(r.target_len, Some(6));
        // the instance and the script are checked ancestors
        assert_eq!(
            r.ancestors.iter().map(|(_, k)| *k).collect::<Vec<_>>(),
            vec![3, 6]
        );
        let script = s
            .resources
            .iter()
            .position(|r| r.name == "Script")
            .expect("script");
        assert!(s.keys[script].auto);
        let inst = s
            .resources
            .iter()
            .position(|r| r.name == "Instance")
            .expect("instance");
        assert!(!s.keys[inst].auto);
        assert_eq!(
            s.children_of(&["v1.1".into(), "instances".into(), "x".into()]),
            vec!["snippets"]
        );
    }
}
