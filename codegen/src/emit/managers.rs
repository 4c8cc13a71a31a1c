//! Managers (one per resource, scoped by its path parameters), the child accessors
//! between them, the model conveniences and the `Client` accessors of root resources.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::methods::{self, ActionBody, ManagerMethod, MethodKind};
use super::namespace::Namespace;
use super::plan::ResPlan;
use super::resource::{FilePart, Payloads, endpoints_doc, model_type};
use super::structs::{Registry, ident};
use super::{GenerateError, docs, model_methods};
use crate::names::{bare, snake_ok};
use crate::runtime_names::RuntimeNames;
use crate::schema::{Endpoint, HttpMethod};
use crate::validate::template_params;

const MAP: &str = "::serde_json::Map<String, ::serde_json::Value>";

fn map_type() -> TokenStream {
    match syn::parse_str::<syn::Type>(MAP) {
        Ok(t) => quote!(#t),
        Err(_) => quote!(::serde_json::Value),
    }
}

/// An example value for a path parameter of `resource` in docs.
fn example_arg(param: &str, resource: &str) -> String {
    if param == "id" || param.ends_with("_id") {
        "1".to_string()
    } else if param == "name" {
        format!("\"my-{}\"", bare(&snake_ok(resource)).replace('_', "-"))
    } else {
        format!("\"my-{}\"", param.replace('_', "-"))
    }
}

/// How to reach resource `i`'s manager from a `client` in an example: through the
/// client's accessor, the instance scope's, or the parent's child accessor.
fn example_chain(plans: &[ResPlan<'_>], i: usize, shared: &SharedNames) -> String {
    let p = &plans[i];
    if let Some(acc) = &shared.client_accessors[i] {
        return format!("client.{acc}()");
    }
    if let Some(acc) = &shared.scope_accessors[i] {
        return format!("client.instance(\"my-instance\").{acc}()");
    }
    if let Some((pi, acc)) = &p.parent {
        let parent = &plans[*pi];
        if let Some(d) = parent.res.detail() {
            let args: Vec<String> = d.path_params[parent.scope.len()..]
                .iter()
                .map(|a| example_arg(a, &parent.res.name))
                .collect();
            return format!(
                "{}.{acc}({})",
                example_chain(plans, *pi, shared),
                args.join(", ")
            );
        }
    }
    let mut args = vec!["&client".to_string()];
    args.extend(p.scope.iter().map(|s| example_arg(s, "")));
    // `<Manager>::new`: a type position, so a generic manager takes its default
    format!("<syncano::{}Manager>::new({})", p.ty, args.join(", "))
}

/// The name of the private helper that builds endpoint `e`'s path (`list_path`,
/// `detail_path`, `rename_path`, ...).
fn path_fn_name(e: &Endpoint) -> String {
    format!("{}_path", bare(&snake_ok(&e.name)))
}

/// The private helper that builds endpoint `e`'s path: scope parameters come from
/// `self`, the others from the arguments, each percent-encoded.
fn path_fn(
    e: &Endpoint,
    scope_len: usize,
    name: &syn::Ident,
    scope: &[String],
    scope_fields: &[syn::Ident],
) -> TokenStream {
    let ids = id_args(e, scope_len);
    let doc = docs::attrs(&format!("The path of {}.", docs::code(&e.path)));
    let params = template_params(&e.path).unwrap_or_default();
    let mut fmt = String::new();
    let mut lets = Vec::new();
    let mut rest = e.path.as_str();
    for name in &params {
        let marker = format!("{{{name}}}");
        let Some(pos) = rest.find(&marker) else {
            continue;
        };
        let id = ident(&snake_ok(name));
        let text = id.to_string();
        // a local named like the parameter (raw identifiers cannot be captured by
        // `format!`, so `r#type` becomes `type_`)
        let local = match text.strip_prefix("r#") {
            Some(raw) => format_ident!("{}_", raw),
            None => id.clone(),
        };
        fmt.push_str(&rest[..pos].replace('{', "{{").replace('}', "}}"));
        fmt.push_str(&format!("{{{local}}}"));
        rest = &rest[pos + marker.len()..];
        let field = scope
            .iter()
            .position(|p| p == name)
            .map(|i| &scope_fields[i]);
        lets.push(match field {
            Some(field) => quote!(let #local = crate::path::segment(&self.#field);),
            None => quote!(let #local = crate::path::segment(&#id);),
        });
    }
    let body = if lets.is_empty() {
        let p = &e.path;
        quote!(String::from(#p))
    } else {
        fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
        quote!(#(#lets)* format!(#fmt))
    };
    quote! {
        #doc
        fn #name(&self, #(#ids: impl ::std::fmt::Display),*) -> String {
            #body
        }
    }
}

/// The id arguments of an endpoint (its parameters beyond the scope).
fn id_args(e: &Endpoint, scope_len: usize) -> Vec<syn::Ident> {
    e.path_params
        .iter()
        .skip(scope_len)
        .map(|p| ident(&snake_ok(p)))
        .collect()
}

/// The accessors on runtime types, resolved for all resources at once (examples of one
/// resource show the accessors of others): the client's, for root resources, and the
/// instance scope's, for resources directly in an instance.
pub(crate) struct SharedNames {
    /// By resource index: the `Client` accessor.
    pub client_accessors: Vec<Option<String>>,
    /// By resource index: the `InstanceScope` accessor.
    pub scope_accessors: Vec<Option<String>>,
}

impl SharedNames {
    pub fn new(plans: &[ResPlan<'_>], runtime: &RuntimeNames) -> Self {
        let mut client = Namespace::new("Client", runtime);
        let mut scope = Namespace::new(SCOPE_TYPE, runtime);
        let client_accessors = plans
            .iter()
            .map(|p| {
                (p.is_root() && !p.accessor.is_empty())
                    .then(|| client.claim(&p.accessor, "_manager"))
            })
            .collect();
        let scope_accessors = (0..plans.len())
            .map(|i| match (&plans[i].parent, in_instance_scope(plans, i)) {
                (Some((_, acc)), true) => Some(scope.claim(acc, "_manager")),
                _ => None,
            })
            .collect();
        SharedNames {
            client_accessors,
            scope_accessors,
        }
    }
}

/// The runtime's instance scope (`client.instance(name)`), which gets an accessor for
/// every resource directly below the resource named [`SCOPE_RESOURCE`].
const SCOPE_TYPE: &str = "InstanceScope";
/// The schema resource whose children the instance scope reaches.
const SCOPE_RESOURCE: &str = "Instance";

/// Whether resource `i` is reached from the instance scope: a child of the instance
/// resource, scoped by the instance alone.
pub(crate) fn in_instance_scope(plans: &[ResPlan<'_>], i: usize) -> bool {
    let p = &plans[i];
    p.scope.len() == 1
        && p.parent
            .as_ref()
            .is_some_and(|(pi, _)| plans[*pi].res.name == SCOPE_RESOURCE)
}

/// The struct field holding scope parameter `param` (the manager's own fields keep
/// their names).
fn scope_field(param: &str) -> syn::Ident {
    let id = snake_ok(param);
    if matches!(bare(&id), "client" | "_data") {
        ident(&format!("{}_param", bare(&id)))
    } else {
        ident(&id)
    }
}

pub(crate) fn emit(
    reg: &mut Registry,
    plans: &[ResPlan<'_>],
    i: usize,
    payloads: &Payloads<'_>,
    runtime: &RuntimeNames,
    shared: &SharedNames,
) -> Result<(), GenerateError> {
    let p = &plans[i];
    let res = p.res;
    let ty = &p.ty;
    let mgr_name = format!("{ty}Manager");
    reg.claim(
        &mgr_name,
        &format!("the manager of resource \"{}\"", res.name),
    )?;
    let mgr = format_ident!("{}", mgr_name);
    let generic = p.generic();
    let t = quote!(T);
    let model = model_type(p, Some(&t));
    let scope_fields: Vec<syn::Ident> = p.scope.iter().map(|s| scope_field(s)).collect();
    let scope_len = p.scope.len();

    // names, resolved before rendering: the runtime's, the fixed ones, the standard
    // methods, scope getters, children, custom endpoints, private path helpers
    let mut ns = Namespace::new(&mgr_name, runtime);
    for fixed in ["new", "using", "client"] {
        ns.reserve(fixed)?;
    }
    if generic {
        ns.reserve("typed")?;
    }
    let planned = methods::plan(p, payloads);
    let mut method_names = Vec::new();
    for m in planned
        .iter()
        .filter(|m| m.suffix == "_endpoint" && is_standard_kind(&m.kind))
    {
        method_names.push(ns.claim(&m.preferred, m.suffix));
    }
    let getter_names: Vec<String> = p
        .scope
        .iter()
        .map(|s| ns.claim(&snake_ok(s), "_param"))
        .collect();
    let mut child_names = Vec::new();
    for (acc, ci) in &p.children {
        let typed = plans[*ci]
            .generic()
            .then(|| ns.claim(&format!("{}_as", bare(acc)), "_manager"));
        child_names.push((ns.claim(acc, "_manager"), typed));
    }
    for m in planned.iter().filter(|m| !is_standard_kind(&m.kind)) {
        method_names.push(ns.claim(&m.preferred, m.suffix));
    }
    let mut path_fn_names: Vec<(&str, String)> = Vec::new();
    for e in &res.endpoints {
        if planned.iter().any(|m| m.endpoint.name == e.name) {
            path_fn_names.push((e.name.as_str(), ns.claim(&path_fn_name(e), "_fn")));
        }
    }
    let path_of = |e: &Endpoint| -> syn::Ident {
        let name = path_fn_names
            .iter()
            .find(|(n, _)| *n == e.name)
            .map(|(_, f)| f.clone())
            .unwrap_or_else(|| path_fn_name(e));
        ident(&name)
    };

    let mut plain_methods: Vec<TokenStream> = Vec::new(); // no trait bounds needed
    // children
    for ((_, ci), (name, typed_name)) in p.children.iter().zip(&child_names) {
        let c = &plans[*ci];
        let cm = format_ident!("{}Manager", c.ty);
        let Some(d) = res.detail() else { continue };
        let ids = id_args(d, scope_len);
        let base = c.base.map(docs::endpoint).unwrap_or_default();
        let acc_id = ident(name);
        let doc = docs::attrs(&format!(
            "The [`{}Manager`] of the {} below one of these (at {base}).",
            c.ty,
            docs::code(&c.res.name)
        ));
        plain_methods.push(quote! {
            #doc
            pub fn #acc_id(&self, #(#ids: impl ::std::fmt::Display),*) -> #cm {
                #cm::new(&self.client, #(&self.#scope_fields,)* #(#ids),*)
            }
        });
        if let Some(typed_name) = typed_name {
            let typed_id = ident(typed_name);
            let doc = docs::attrs(&format!(
                "As [`{name}`](Self::{}), with the user-defined fields read into (and written from) your own type `U`.",
                bare(name)
            ));
            plain_methods.push(quote! {
                #doc
                pub fn #typed_id<U>(&self, #(#ids: impl ::std::fmt::Display),*) -> #cm<U> {
                    #cm::new(&self.client, #(&self.#scope_fields,)* #(#ids),*)
                }
            });
        }
    }

    // endpoint methods
    let render = Render {
        plans,
        i,
        payloads,
        model,
        detail_fn: res.detail().map(&path_of),
    };
    let mut endpoint_methods = Vec::new();
    for (m, name) in planned.iter().zip(reorder(&planned, method_names)) {
        let path_id = path_of(m.endpoint);
        let ids = id_args(m.endpoint, scope_len);
        if let Some(tokens) = render_method(&render, m, &name, &path_id, &ids)? {
            endpoint_methods.push(tokens);
        }
    }
    let path_fns: Vec<TokenStream> = res
        .endpoints
        .iter()
        .filter(|e| path_fn_names.iter().any(|(n, _)| *n == e.name))
        .map(|e| path_fn(e, scope_len, &path_of(e), &p.scope, &scope_fields))
        .collect();

    // the manager struct
    let example = example_doc(plans, i, shared);
    let mut doc = format!(
        "The {} objects of one scope: one method per endpoint and HTTP method the schema declares.\n\n{}",
        docs::code(&res.name),
        endpoints_doc(p)
    );
    if !p.scope.is_empty() {
        let list: Vec<String> = p.scope.iter().map(|s| docs::code(s)).collect();
        doc.push_str(&format!(
            "\n\nScoped by the path parameters {}.",
            list.join(", ")
        ));
    }
    doc.push_str(&format!("\n\n# Example\n\n{example}"));
    let doc = docs::attrs(&doc);
    let (struct_generics, impl_generics, ty_generics, phantom, phantom_init) = if generic {
        (
            {
                let m = map_type();
                quote!(<T = #m>)
            },
            quote!(<T>),
            quote!(<T>),
            quote!(_data: ::std::marker::PhantomData<fn() -> T>,),
            quote!(_data: ::std::marker::PhantomData,),
        )
    } else {
        (quote!(), quote!(), quote!(), quote!(), quote!())
    };
    let label = &mgr_name;
    let debug_fields = p
        .scope
        .iter()
        .zip(&scope_fields)
        .map(|(s, id)| quote!(.field(#s, &self.#id)));
    let new_doc = docs::attrs(&format!(
        "A manager for the {} objects of the given scope, calling through `client`.",
        docs::code(&res.name)
    ));
    let getters =
        p.scope
            .iter()
            .zip(&scope_fields)
            .zip(&getter_names)
            .map(|((s, field), getter)| {
                let d = docs::attrs(&format!(
                    "The path parameter {} of this scope.",
                    docs::code(s)
                ));
                let getter = ident(getter);
                quote! {
                    #d
                    pub fn #getter(&self) -> &str { &self.#field }
                }
            });
    let bounds = if generic {
        quote!(<T: ::serde::Serialize + ::serde::de::DeserializeOwned>)
    } else {
        quote!()
    };
    let typed = if generic {
        quote! {
            /// The same manager, reading and writing the user-defined fields as your own type `U`.
            pub fn typed<U>(&self) -> #mgr<U> {
                #mgr { client: self.client.clone(), #( #scope_fields: self.#scope_fields.clone(), )* #phantom_init }
            }
        }
    } else {
        quote!()
    };
    // A generic manager implements `Clone` by hand: the derive would require `T: Clone`.
    let (derive, clone_impl) = if generic {
        (
            quote!(),
            quote! {
                impl #impl_generics ::std::clone::Clone for #mgr #ty_generics {
                    fn clone(&self) -> Self {
                        Self { client: self.client.clone(), #( #scope_fields: self.#scope_fields.clone(), )* #phantom_init }
                    }
                }
            },
        )
    } else {
        (quote!(#[derive(Clone)]), quote!())
    };
    // Without a type parameter the endpoint methods need no bounds: one impl block.
    let (inherent_methods, bounded_methods) = if generic {
        (Vec::new(), endpoint_methods)
    } else {
        (endpoint_methods, Vec::new())
    };
    reg.push(quote! {
        #doc
        #derive
        pub struct #mgr #struct_generics {
            client: crate::Client,
            #( #scope_fields: String, )*
            #phantom
        }
        #clone_impl
        impl #impl_generics ::std::fmt::Debug for #mgr #ty_generics {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#label) #(#debug_fields)* .finish()
            }
        }
        impl #impl_generics #mgr #ty_generics {
            #new_doc
            pub fn new(client: &crate::Client, #( #scope_fields: impl ::std::fmt::Display ),*) -> Self {
                Self { client: client.clone(), #( #scope_fields: #scope_fields.to_string(), )* #phantom_init }
            }
            /// The same manager, calling through another client (other credentials or settings).
            pub fn using(&self, client: &crate::Client) -> Self {
                let mut manager = self.clone();
                manager.client = client.clone();
                manager
            }
            /// The client this manager calls through.
            pub fn client(&self) -> &crate::Client { &self.client }
            #typed
            #( #getters )*
            #( #plain_methods )*
            #( #inherent_methods )*
            #( #path_fns )*
        }
    });
    if !bounded_methods.is_empty() {
        reg.push(quote! {
            impl #bounds #mgr #ty_generics {
                #( #bounded_methods )*
            }
        });
    }

    // the accessors on the client (root resources) and the instance scope
    let (g, r) = if generic {
        (quote!(<T>), quote!(#mgr<T>))
    } else {
        (quote!(), quote!(#mgr))
    };
    let runtime_accessors = [
        (
            &shared.client_accessors[i],
            quote!(crate::Client),
            "",
            quote!(self),
        ),
        (
            &shared.scope_accessors[i],
            quote!(crate::InstanceScope),
            " of this instance",
            quote!(self.client(), self.name()),
        ),
    ];
    for (acc, target, whose, args) in runtime_accessors {
        let Some(acc) = acc else { continue };
        let acc = ident(acc);
        let doc = docs::attrs(&format!(
            "The [`{mgr_name}`] of the {} objects{whose}.",
            docs::code(&res.name)
        ));
        reg.push(quote! {
            impl #target {
                #doc
                pub fn #acc #g(&self) -> #r { #mgr::new(#args) }
            }
        });
    }

    model_methods::emit(reg, plans, i, payloads, runtime);
    Ok(())
}

/// Whether a kind is one of the standard methods (which keep their names on a clash).
fn is_standard_kind(kind: &MethodKind) -> bool {
    !matches!(
        kind,
        MethodKind::Action(_) | MethodKind::Query { .. } | MethodKind::Call
    )
}

/// The resolved names in the order of `planned` (they were claimed standard first).
fn reorder(planned: &[ManagerMethod<'_>], claimed: Vec<String>) -> Vec<String> {
    let n_standard = planned.iter().filter(|m| is_standard_kind(&m.kind)).count();
    let (standard, custom) = claimed.split_at(n_standard.min(claimed.len()));
    let mut standard = standard.iter();
    let mut custom = custom.iter();
    planned
        .iter()
        .filter_map(|m| {
            if is_standard_kind(&m.kind) {
                standard.next().cloned()
            } else {
                custom.next().cloned()
            }
        })
        .collect()
}

/// What rendering one resource's methods needs.
struct Render<'r, 'a> {
    plans: &'r [ResPlan<'a>],
    i: usize,
    payloads: &'r Payloads<'a>,
    /// The model type, `Ty` or `Ty<T>`.
    model: TokenStream,
    /// The private helper building the detail path.
    detail_fn: Option<syn::Ident>,
}

/// The code of one planned method (`None` when its payload type is missing).
fn render_method(
    r: &Render<'_, '_>,
    m: &ManagerMethod<'_>,
    name: &str,
    path_fn: &syn::Ident,
    ids: &[syn::Ident],
) -> Result<Option<TokenStream>, GenerateError> {
    let (p, payloads, model) = (&r.plans[r.i], r.payloads, &r.model);
    let res = p.res;
    let ty = &p.ty;
    let e = m.endpoint;
    if let Some(arg) = ids
        .iter()
        .map(|i| bare(&i.to_string()).to_string())
        .find(|i| matches!(i.as_str(), "body" | "query" | "patch"))
    {
        return Err(GenerateError::new(format!(
            "resource \"{}\", endpoint \"{}\": a path parameter named \"{arg}\" collides with the method argument of that name",
            res.name, e.name
        )));
    }
    let fn_name = ident(name);
    let path = quote!(self.#path_fn(#(#ids),*));
    let id_params = quote!(#(#ids: impl ::std::fmt::Display),*);
    let comma = if ids.is_empty() { quote!() } else { quote!(,) };
    let verb = format_ident!("{}", m.http.as_http());
    let where_ = format!("`{} {}`", m.http.as_http(), e.path.replace('`', "'"));
    let generic = p.generic();
    let payload_ty = |name: &str| -> TokenStream {
        let id = format_ident!("{}", name);
        if generic { quote!(#id<T>) } else { quote!(#id) }
    };
    let tokens = match &m.kind {
        MethodKind::List => {
            let doc = docs::attrs(&format!(
                "Lists the {} objects ({where_}); a lazy, paged request: tune it, then `page`, `stream` or `collect` it.",
                docs::code(&res.name)
            ));
            quote! {
                #doc
                pub fn #fn_name(&self, #id_params) -> crate::ListRequest<#model> {
                    crate::ListRequest::new(self.client.clone(), #path)
                }
            }
        }
        MethodKind::ListPlain => {
            let doc = docs::attrs(&format!(
                "Fetches the {} listing ({where_}), a plain JSON object.",
                docs::code(&res.name)
            ));
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params) -> crate::Result<::serde_json::Value> {
                    self.client.get(&#path).await
                }
            }
        }
        MethodKind::Get => {
            let doc = docs::attrs(&format!("Fetches one [`{ty}`] ({where_})."));
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params) -> crate::Result<#model> {
                    self.client.get(&#path).await
                }
            }
        }
        MethodKind::GetRaw => {
            let doc = docs::attrs(&format!(
                "Fetches one {} as raw JSON ({where_}).",
                docs::code(&res.name)
            ));
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params) -> crate::Result<::serde_json::Value> {
                    self.client.get(&#path).await
                }
            }
        }
        MethodKind::Delete => {
            let doc = docs::attrs(&format!(
                "Deletes one {} ({where_}).",
                docs::code(&res.name)
            ));
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params) -> crate::Result<()> {
                    self.client.delete(&#path).await
                }
            }
        }
        MethodKind::Create | MethodKind::Replace | MethodKind::Update => {
            let (body, text) = match m.kind {
                MethodKind::Create => (payloads.create.clone(), "Creates"),
                MethodKind::Replace => (payloads.create.clone(), "Replaces (every writable field)"),
                _ => (
                    payloads.update.as_ref().map(|u| u.0.clone()),
                    "Updates (only the fields set)",
                ),
            };
            let Some(body) = body else { return Ok(None) };
            let files = payloads.files_of(&body);
            let body_ty = payload_ty(&body);
            let mut text = format!("{text} one [`{ty}`] ({where_}).");
            if !files.is_empty() {
                text.push_str(MULTIPART_DOC);
            }
            // a create of a record keyed by a name checks by that name before sending
            // again when its answer is lost
            let named = match (&m.kind, methods::name_key(p), &r.detail_fn) {
                (MethodKind::Create, Some(key), Some(detail_fn)) if files.is_empty() => {
                    Some((key, detail_fn))
                }
                _ => None,
            };
            if let Some((key, _)) = named {
                text.push_str(&format!(
                    "\n\nWhen the answer is lost after the request was sent, the record is looked up by its {} before the create is sent again, so it is never made twice (see [`create_named`](crate::idempotent::create_named)).",
                    docs::code(&key.name)
                ));
            }
            let doc = docs::attrs(&text);
            let call = match named {
                Some((key, detail_fn)) => {
                    let key_id = ident(&snake_ok(&key.name));
                    quote! {
                    let detail = self.#detail_fn(#(#ids,)* &body.#key_id);
                    crate::idempotent::create_named(&self.client, &#path, &detail, body).await
                    }
                }
                None => body_call(&verb, &path, files),
            };
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params #comma body: &#body_ty) -> crate::Result<#model> {
                    #call
                }
            }
        }
        MethodKind::GetOrCreate { key } => {
            let Some(body) = payloads.create.clone() else {
                return Ok(None);
            };
            if !payloads.files_of(&body).is_empty() {
                return Ok(None);
            }
            let (Some(detail), Some(detail_fn)) = (res.detail(), &r.detail_fn) else {
                return Ok(None);
            };
            let body_ty = payload_ty(&body);
            let key_id = ident(&snake_ok(key));
            let doc = docs::attrs(&format!(
                "Creates one [`{ty}`] ({where_}), or fetches the existing one when its {} is taken (`GET {}`).\n\nA `400` naming {} as not unique is the only answer taken for \"exists\"; any other error is returned. Two callers racing to create the same {} both end with the same record.",
                docs::code(key),
                detail.path.replace('`', "'"),
                docs::code(key),
                docs::code(key),
            ));
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params #comma body: &#body_ty) -> crate::Result<#model> {
                    let detail = self.#detail_fn(#(#ids,)* &body.#key_id);
                    crate::create::get_or_create(&self.client, &#path, &detail, #key, body).await
                }
            }
        }
        MethodKind::UpdateFields => {
            let doc = docs::attrs(&format!(
                "Updates the fields a [`ObjectPatch`](crate::object::ObjectPatch) sets, with its write operators (`_increment`, `_add` …) and `expected_revision` ({where_}); the answer is read as [`{ty}`]."
            ));
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params #comma patch: &crate::object::ObjectPatch) -> crate::Result<#model> {
                    self.client.request(crate::Method::#verb, &#path, Some(patch)).await
                }
            }
        }
        MethodKind::Action(_) | MethodKind::Query { .. } | MethodKind::Call => {
            render_custom(r, m, &fn_name, &path, ids)
        }
    };
    Ok(Some(tokens))
}

/// The code of a custom endpoint's method.
fn render_custom(
    r: &Render<'_, '_>,
    m: &ManagerMethod<'_>,
    fn_name: &syn::Ident,
    path: &TokenStream,
    ids: &[syn::Ident],
) -> TokenStream {
    let (p, payloads, model) = (&r.plans[r.i], r.payloads, &r.model);
    let plans = r.plans;
    let id_params = quote!(#(#ids: impl ::std::fmt::Display),*);
    let comma = if ids.is_empty() { quote!() } else { quote!(,) };
    let e = m.endpoint;
    let res = p.res;
    let verb = format_ident!("{}", m.http.as_http());
    let where_ = format!("`{} {}`", m.http.as_http(), e.path.replace('`', "'"));
    let ret = if e.status == Some(204) {
        quote!(())
    } else if let Some(r) = &e.returns {
        match plans.iter().find(|q| &q.res.name == r) {
            Some(q) if q.res.name == res.name => model.clone(),
            Some(q) => {
                let id = format_ident!("{}", q.ty);
                quote!(#id)
            }
            None => quote!(::serde_json::Value),
        }
    } else {
        quote!(::serde_json::Value)
    };
    let mut text = format!("Calls the {} endpoint ({where_}).", docs::code(&e.name));
    if let Some(d) = e
        .description
        .as_deref()
        .map(docs::md)
        .filter(|d| !d.is_empty())
    {
        text.push_str(&format!("\n\n{d}"));
    }
    match &m.kind {
        MethodKind::Query { paged: true } => {
            text.push_str("\n\nThe answer is paged: a lazy request.");
            let doc = docs::attrs(&text);
            let item = if e.returns.is_some() {
                ret
            } else {
                quote!(::serde_json::Value)
            };
            quote! {
                #doc
                pub fn #fn_name(&self, #id_params) -> crate::ListRequest<#item> {
                    crate::ListRequest::new(self.client.clone(), #path)
                }
            }
        }
        MethodKind::Query { paged: false } => {
            text.push_str(
                "\n\n`query` holds the query parameters, e.g. `&[(\"name\", \"value\")]`; `&[]` sends none.",
            );
            let doc = docs::attrs(&text);
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params #comma query: &[(&str, &str)]) -> crate::Result<#ret> {
                    self.client.get_with_query(&#path, query).await
                }
            }
        }
        MethodKind::Action(ActionBody::Request(req)) => {
            let files = payloads.files_of(req);
            if !files.is_empty() {
                text.push_str(MULTIPART_DOC);
            }
            let doc = docs::attrs(&text);
            let call = body_call(&verb, path, files);
            let req = format_ident!("{}", req);
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params #comma body: &#req) -> crate::Result<#ret> {
                    #call
                }
            }
        }
        MethodKind::Action(ActionBody::Any) => {
            text.push_str(
                "\n\n`body` is any serializable value (the schema does not describe it).",
            );
            let doc = docs::attrs(&text);
            quote! {
                #doc
                pub async fn #fn_name<B: ::serde::Serialize + ?Sized>(&self, #id_params #comma body: &B) -> crate::Result<#ret> {
                    self.client.request(crate::Method::#verb, &#path, Some(body)).await
                }
            }
        }
        _ => {
            let doc = docs::attrs(&text);
            quote! {
                #doc
                pub async fn #fn_name(&self, #id_params) -> crate::Result<#ret> {
                    self.client.call(crate::Method::#verb, &#path).await
                }
            }
        }
    }
}

fn example_doc(plans: &[ResPlan<'_>], i: usize, shared: &SharedNames) -> String {
    let p = &plans[i];
    let chain = example_chain(plans, i, shared);
    let mut body = format!("let manager = {chain};\n");
    let list_paged = p
        .res
        .list()
        .is_some_and(|l| l.allows(HttpMethod::Get) && l.is_paginated());
    if list_paged {
        let list = p.res.list();
        let args: Vec<String> = list
            .map(|l| {
                l.path_params[p.scope.len()..]
                    .iter()
                    .map(|a| example_arg(a, &p.res.name))
                    .collect()
            })
            .unwrap_or_default();
        body.push_str(&format!(
            "let items = manager.list({}).limit(10).collect().await?;\nprintln!(\"{{}} objects\", items.len());\n",
            args.join(", ")
        ));
    } else if let Some(d) = p.res.detail().filter(|d| d.allows(HttpMethod::Get)) {
        let args: Vec<String> = d.path_params[p.scope.len()..]
            .iter()
            .map(|a| example_arg(a, &p.res.name))
            .collect();
        body.push_str(&format!(
            "let item = manager.get({}).await?;\nprintln!(\"{{item:?}}\");\n",
            args.join(", ")
        ));
    } else {
        body.push_str("println!(\"{manager:?}\");\n");
    }
    format!(
        "```no_run\n# async fn example(client: syncano::Client) -> syncano::Result<()> {{\n{body}# Ok(())\n# }}\n```"
    )
}

/// The doc sentence of a method sending `multipart/form-data`.
const MULTIPART_DOC: &str = "\n\nSent as `multipart/form-data`: the [`Upload`](crate::Upload) fields as file parts, the others as text parts.";

/// The call sending `body` with `verb` to `path`: as JSON, or as `multipart/form-data`
/// when the body type has `file` members.
fn body_call(verb: &syn::Ident, path: &TokenStream, files: &[FilePart]) -> TokenStream {
    if files.is_empty() {
        return quote!(self.client.request(crate::Method::#verb, &#path, Some(body)).await);
    }
    let parts = files.iter().map(|(wire, id, optional)| {
        if *optional {
            quote!((#wire, body.#id.as_ref()))
        } else {
            quote!((#wire, Some(&body.#id)))
        }
    });
    quote!(self.client.request_multipart(crate::Method::#verb, &#path, body, &[#(#parts),*]).await)
}
