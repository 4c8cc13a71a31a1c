//! Managers (one per resource, scoped by its path parameters), the child accessors
//! between them, the model conveniences and the `Client` accessors of root resources.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::plan::ResPlan;
use super::resource::{FilePart, Payloads, endpoints_doc, has_body, model_type};
use super::structs::{Registry, field_ident, ident};
use super::{GenerateError, docs};
use crate::names::{bare, snake_ok};
use crate::schema::{Endpoint, FieldType, HttpMethod};
use crate::validate::template_params;

const MAP: &str = "::serde_json::Map<String, ::serde_json::Value>";

/// Names a custom endpoint method must not take (std trait methods clippy expects to
/// be trait implementations).
const TRAIT_METHODS: &[&str] = &[
    "add",
    "sub",
    "mul",
    "div",
    "rem",
    "neg",
    "not",
    "shl",
    "shr",
    "bitand",
    "bitor",
    "bitxor",
    "clone",
    "default",
    "deref",
    "deref_mut",
    "drop",
    "eq",
    "cmp",
    "partial_cmp",
    "from_iter",
    "from_str",
    "hash",
    "index",
    "index_mut",
    "into_iter",
    "next",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "fmt",
];

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

/// How to reach resource `i`'s manager from a `client` in an example.
fn example_chain(plans: &[ResPlan<'_>], i: usize) -> String {
    let p = &plans[i];
    let turbofish = if p.generic() {
        "::<serde_json::Map<String, serde_json::Value>>"
    } else {
        ""
    };
    if p.is_root() && !p.accessor.is_empty() {
        return format!("client.{}{turbofish}()", p.accessor);
    }
    if let Some((pi, acc)) = &p.parent {
        let parent = &plans[*pi];
        if let Some(d) = parent.res.detail() {
            let args: Vec<String> = d.path_params[parent.scope.len()..]
                .iter()
                .map(|a| example_arg(a, &parent.res.name))
                .collect();
            return format!(
                "{}.{acc}{turbofish}({})",
                example_chain(plans, *pi),
                args.join(", ")
            );
        }
    }
    let mut args = vec!["&client".to_string()];
    args.extend(p.scope.iter().map(|s| example_arg(s, "")));
    let generic = if p.generic() {
        "::<serde_json::Map<String, serde_json::Value>>"
    } else {
        ""
    };
    format!(
        "syncano::{}Manager{generic}::new({})",
        p.ty,
        args.join(", ")
    )
}

/// The name of the private helper that builds endpoint `e`'s path (`list_path`,
/// `detail_path`, `rename_path`, ...).
fn path_fn_name(e: &Endpoint) -> String {
    format!("{}_path", bare(&snake_ok(&e.name)))
}

/// The private helper that builds endpoint `e`'s path: scope parameters come from
/// `self`, the others from the arguments, each percent-encoded.
fn path_fn(e: &Endpoint, scope_len: usize) -> TokenStream {
    let name = ident(&path_fn_name(e));
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
        let in_scope = e
            .path_params
            .iter()
            .position(|p| p == name)
            .is_some_and(|i| i < scope_len);
        lets.push(if in_scope {
            quote!(let #local = crate::path::segment(&self.#id);)
        } else {
            quote!(let #local = crate::path::segment(&#id);)
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

/// Whether a custom POST/PUT/PATCH endpoint without a request struct is an action
/// on the object that takes no body: it declares empty `fields`, or declares none and
/// answers the resource itself (`returns`) or nothing (`status: 204`).
fn sends_no_body(e: &Endpoint, resource: &str) -> bool {
    match &e.fields {
        Some(fields) => fields.is_empty(),
        None => e.status == Some(204) || e.returns.as_deref() == Some(resource),
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

struct Method {
    name: String,
    tokens: TokenStream,
    /// One of the standard methods (list, create, get, ...), which keep their names.
    standard: bool,
}

pub(crate) fn emit(
    reg: &mut Registry,
    plans: &[ResPlan<'_>],
    i: usize,
    payloads: &Payloads<'_>,
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
    let scope_idents: Vec<syn::Ident> = p.scope.iter().map(|s| ident(&snake_ok(s))).collect();
    let scope_len = p.scope.len();
    for (s, id) in p.scope.iter().zip(&scope_idents) {
        if matches!(bare(&id.to_string()), "client" | "_data") {
            return Err(GenerateError::new(format!(
                "resource \"{}\": the path parameter \"{s}\" collides with the manager's own field `{id}`",
                res.name
            )));
        }
    }
    let mut taken: BTreeSet<String> = ["new", "using", "client"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for id in &scope_idents {
        taken.insert(bare(&id.to_string()).to_string());
    }
    let mut plain_methods: Vec<TokenStream> = Vec::new(); // no trait bounds needed
    let mut methods: Vec<Method> = Vec::new(); // endpoint calls
    let mut path_fns: Vec<TokenStream> = Vec::new(); // private path helpers

    // children
    for (acc, ci) in &p.children {
        let c = &plans[*ci];
        let cm = format_ident!("{}Manager", c.ty);
        let acc_id = ident(acc);
        if !taken.insert(bare(acc).to_string()) {
            return Err(GenerateError::new(format!(
                "resource \"{}\": the child accessor `{acc}` (for \"{}\") collides with another method",
                res.name, c.res.name
            )));
        }
        let Some(d) = res.detail() else { continue };
        let ids = id_args(d, scope_len);
        let base = c.base.map(docs::endpoint).unwrap_or_default();
        let doc = docs::attrs(&format!(
            "The [`{}Manager`] of the {} below one of these (at {base}).",
            c.ty,
            docs::code(&c.res.name)
        ));
        let (gen_params, ret) = if c.generic() {
            (quote!(<U>), quote!(#cm<U>))
        } else {
            (quote!(), quote!(#cm))
        };
        plain_methods.push(quote! {
            #doc
            pub fn #acc_id #gen_params(&self, #(#ids: impl ::std::fmt::Display),*) -> #ret {
                #cm::new(&self.client, #(&self.#scope_idents,)* #(#ids),*)
            }
        });
    }

    // endpoint methods
    let get_call = |path: TokenStream| {
        quote! {
            self.client.request::<(), _>(crate::Method::GET, &#path, None).await
        }
    };
    for e in &res.endpoints {
        let ids = id_args(e, scope_len);
        if let Some(arg) = ids
            .iter()
            .map(|i| bare(&i.to_string()).to_string())
            .find(|i| matches!(i.as_str(), "body" | "query"))
        {
            return Err(GenerateError::new(format!(
                "resource \"{}\", endpoint \"{}\": a path parameter named \"{arg}\" collides with the method argument of that name",
                res.name, e.name
            )));
        }
        let path_fn_id = ident(&path_fn_name(e));
        let path = quote!(self.#path_fn_id(#(#ids),*));
        let methods_before = methods.len();
        let id_params = quote!(#(#ids: impl ::std::fmt::Display),*);
        let comma = if ids.is_empty() { quote!() } else { quote!(,) };
        for &m in &e.methods {
            let verb = format_ident!("{}", m.as_http());
            let where_ = format!("`{} {}`", m.as_http(), e.path.replace('`', "'"));
            let standard = match (e.name.as_str(), m) {
                ("list", HttpMethod::Get) => Some("list"),
                ("list", HttpMethod::Post) if payloads.create.is_some() => Some("create"),
                ("detail", HttpMethod::Get) => Some("get"),
                ("detail", HttpMethod::Put) if payloads.create.is_some() => Some("replace"),
                ("detail", HttpMethod::Post)
                    if payloads.create.is_some() && !e.allows(HttpMethod::Put) =>
                {
                    Some("replace")
                }
                ("detail", HttpMethod::Patch) if payloads.update.is_some() => Some("update"),
                ("detail", HttpMethod::Delete) => Some("delete"),
                _ => None,
            };
            match standard {
                Some("list") if e.is_paginated() => {
                    let doc = docs::attrs(&format!(
                        "Lists the {} objects ({where_}); a lazy, paged request: tune it, then `page`, `stream` or `collect` it.",
                        docs::code(&res.name)
                    ));
                    methods.push(Method {
                        name: "list".into(),
                        standard: true,
                        tokens: quote! {
                            #doc
                            pub fn list(&self, #id_params) -> crate::ListRequest<#model> {
                                crate::ListRequest::new(self.client.clone(), #path)
                            }
                        },
                    });
                }
                Some("list") => {
                    let doc = docs::attrs(&format!(
                        "Fetches the {} listing ({where_}), a plain JSON object.",
                        docs::code(&res.name)
                    ));
                    let call = get_call(path.clone());
                    methods.push(Method {
                        name: "list".into(),
                        standard: true,
                        tokens: quote! {
                            #doc
                            pub async fn list(&self, #id_params) -> crate::Result<::serde_json::Value> { #call }
                        },
                    });
                }
                Some("get") => {
                    let doc = docs::attrs(&format!("Fetches one [`{ty}`] ({where_})."));
                    let raw_doc = docs::attrs(&format!(
                        "Fetches one {} as raw JSON ({where_}).",
                        docs::code(&res.name)
                    ));
                    let call = get_call(path.clone());
                    let raw_call = get_call(path.clone());
                    methods.push(Method {
                        name: "get".into(),
                        standard: true,
                        tokens: quote! {
                            #doc
                            pub async fn get(&self, #id_params) -> crate::Result<#model> { #call }
                        },
                    });
                    methods.push(Method {
                        name: "get_raw".into(),
                        standard: true,
                        tokens: quote! {
                            #raw_doc
                            pub async fn get_raw(&self, #id_params) -> crate::Result<::serde_json::Value> { #raw_call }
                        },
                    });
                }
                Some("delete") => {
                    let doc = docs::attrs(&format!(
                        "Deletes one {} ({where_}).",
                        docs::code(&res.name)
                    ));
                    methods.push(Method {
                        name: "delete".into(),
                        standard: true,
                        tokens: quote! {
                            #doc
                            pub async fn delete(&self, #id_params) -> crate::Result<()> {
                                self.client.request::<(), _>(crate::Method::DELETE, &#path, None).await
                            }
                        },
                    });
                }
                Some(kind @ ("create" | "replace" | "update")) => {
                    let (body_ty, text) = match kind {
                        "create" => (payloads.create.clone(), "Creates"),
                        "replace" => (payloads.create.clone(), "Replaces (every writable field)"),
                        _ => (
                            payloads.update.as_ref().map(|u| u.0.clone()),
                            "Updates (only the fields set)",
                        ),
                    };
                    let Some(body_ty) = body_ty else { continue };
                    let body_id = format_ident!("{}", body_ty);
                    let body_ty = if generic {
                        quote!(#body_id<T>)
                    } else {
                        quote!(#body_id)
                    };
                    let files = payloads.files_of(&body_id.to_string());
                    let mut text = format!("{text} one [`{ty}`] ({where_}).");
                    if !files.is_empty() {
                        text.push_str(MULTIPART_DOC);
                    }
                    let doc = docs::attrs(&text);
                    let name = format_ident!("{}", kind);
                    let call = body_call(&verb, &path, files);
                    methods.push(Method {
                        name: kind.into(),
                        standard: true,
                        tokens: quote! {
                            #doc
                            pub async fn #name(&self, #id_params #comma body: &#body_ty) -> crate::Result<#model> {
                                #call
                            }
                        },
                    });
                }
                _ => {
                    // a custom endpoint, or a standard one with an unusual method
                    let base = bare(&snake_ok(&e.name)).to_string();
                    let mut name = if e.is_standard() || e.methods.len() > 1 {
                        format!("{base}_{}", m.as_str())
                    } else {
                        base
                    };
                    if TRAIT_METHODS.contains(&name.as_str()) {
                        name.push_str("_endpoint");
                    }
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
                    let request = payloads
                        .requests
                        .iter()
                        .find(|(en, _)| en == &e.name)
                        .map(|(_, r)| format_ident!("{}", r));
                    let request_files = request
                        .as_ref()
                        .map_or(&[][..], |r| payloads.files_of(&r.to_string()));
                    let desc = e
                        .description
                        .as_deref()
                        .map(docs::md)
                        .filter(|d| !d.is_empty());
                    let mut text =
                        format!("Calls the {} endpoint ({where_}).", docs::code(&e.name));
                    if let Some(d) = desc {
                        text.push_str(&format!("\n\n{d}"));
                    }
                    let paged = e.paginated == Some(true) && m == HttpMethod::Get;
                    let fn_name = ident(&name);
                    let tokens = if paged {
                        text.push_str("\n\nThe answer is paged: a lazy request.");
                        let doc = docs::attrs(&text);
                        let item = if e.returns.is_some() {
                            ret.clone()
                        } else {
                            quote!(::serde_json::Value)
                        };
                        quote! {
                            #doc
                            pub fn #fn_name(&self, #id_params) -> crate::ListRequest<#item> {
                                crate::ListRequest::new(self.client.clone(), #path)
                            }
                        }
                    } else if has_body(m) {
                        if let Some(req) = &request {
                            if !request_files.is_empty() {
                                text.push_str(MULTIPART_DOC);
                            }
                            let doc = docs::attrs(&text);
                            let call = body_call(&verb, &path, request_files);
                            quote! {
                                #doc
                                pub async fn #fn_name(&self, #id_params #comma body: &#req) -> crate::Result<#ret> {
                                    #call
                                }
                            }
                        } else if sends_no_body(e, &res.name) {
                            let doc = docs::attrs(&text);
                            quote! {
                                #doc
                                pub async fn #fn_name(&self, #id_params) -> crate::Result<#ret> {
                                    self.client.request::<(), _>(crate::Method::#verb, &#path, None).await
                                }
                            }
                        } else {
                            text.push_str("\n\n`body` is any serializable value (the schema does not describe it).");
                            let doc = docs::attrs(&text);
                            quote! {
                                #doc
                                pub async fn #fn_name<B: ::serde::Serialize + ?Sized>(&self, #id_params #comma body: &B) -> crate::Result<#ret> {
                                    self.client.request(crate::Method::#verb, &#path, Some(body)).await
                                }
                            }
                        }
                    } else if m == HttpMethod::Get {
                        text.push_str(
                            "\n\n`query` holds the query parameters, e.g. `&[(\"name\", \"value\")]`; `&[]` sends none.",
                        );
                        let doc = docs::attrs(&text);
                        quote! {
                            #doc
                            pub async fn #fn_name(&self, #id_params #comma query: &[(&str, &str)]) -> crate::Result<#ret> {
                                self.client.request_with_query::<(), _>(crate::Method::GET, &#path, query, None).await
                            }
                        }
                    } else {
                        let doc = docs::attrs(&text);
                        quote! {
                            #doc
                            pub async fn #fn_name(&self, #id_params) -> crate::Result<#ret> {
                                self.client.request::<(), _>(crate::Method::#verb, &#path, None).await
                            }
                        }
                    };
                    methods.push(Method {
                        name,
                        tokens,
                        standard: false,
                    });
                }
            }
        }
        if methods.len() > methods_before {
            let name = path_fn_name(e);
            if !taken.insert(name.clone()) {
                return Err(GenerateError::new(format!(
                    "resource \"{}\", endpoint \"{}\": the path helper `{name}` collides with another method",
                    res.name, e.name
                )));
            }
            path_fns.push(path_fn(e, scope_len));
        }
    }
    // standard names first, so a custom endpoint that collides gets `_endpoint`
    let mut final_methods = Vec::new();
    for m in methods.iter().filter(|m| m.standard) {
        if !taken.insert(m.name.clone()) {
            return Err(GenerateError::new(format!(
                "resource \"{}\": the method `{}` collides with a child accessor or path parameter",
                res.name, m.name
            )));
        }
        final_methods.push(m.tokens.clone());
    }
    for m in methods.iter().filter(|m| !m.standard) {
        let mut name = m.name.clone();
        let mut tokens = m.tokens.clone();
        if !taken.insert(name.clone()) {
            let old = ident(&name);
            name.push_str("_endpoint");
            if !taken.insert(name.clone()) {
                return Err(GenerateError::new(format!(
                    "resource \"{}\": the method `{}` is generated twice",
                    res.name, m.name
                )));
            }
            let new = ident(&name);
            tokens = rename_fn(tokens, &old, &new);
        }
        final_methods.push(tokens);
    }

    // the manager struct
    let scope_docs: Vec<TokenStream> = p
        .scope
        .iter()
        .map(|s| {
            docs::attrs(&format!(
                "The path parameter {} of this scope.",
                docs::code(s)
            ))
        })
        .collect();
    let example = example_doc(plans, i);
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
        .zip(&scope_idents)
        .map(|(s, id)| quote!(.field(#s, &self.#id)));
    let new_doc = docs::attrs(&format!(
        "A manager for the {} objects of the given scope, calling through `client`.",
        docs::code(&res.name)
    ));
    let getters = p
        .scope
        .iter()
        .zip(&scope_idents)
        .zip(&scope_docs)
        .map(|((_, id), d)| {
            quote! {
                #d
                pub fn #id(&self) -> &str { &self.#id }
            }
        });
    let bounds = if generic {
        quote!(<T: ::serde::Serialize + ::serde::de::DeserializeOwned>)
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
                        Self { client: self.client.clone(), #( #scope_idents: self.#scope_idents.clone(), )* #phantom_init }
                    }
                }
            },
        )
    } else {
        (quote!(#[derive(Clone)]), quote!())
    };
    // Without a type parameter the endpoint methods need no bounds: one impl block.
    let (inherent_methods, bounded_methods) = if generic {
        (Vec::new(), final_methods)
    } else {
        (final_methods, Vec::new())
    };
    reg.push(quote! {
        #doc
        #derive
        pub struct #mgr #struct_generics {
            client: crate::Client,
            #( #scope_idents: String, )*
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
            pub fn new(client: &crate::Client, #( #scope_idents: impl ::std::fmt::Display ),*) -> Self {
                Self { client: client.clone(), #( #scope_idents: #scope_idents.to_string(), )* #phantom_init }
            }
            /// The same manager, calling through another client (other credentials or settings).
            pub fn using(&self, client: &crate::Client) -> Self {
                let mut manager = self.clone();
                manager.client = client.clone();
                manager
            }
            /// The client this manager calls through.
            pub fn client(&self) -> &crate::Client { &self.client }
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

    // client accessor
    if p.is_root() && !p.accessor.is_empty() {
        let acc = ident(&p.accessor);
        let doc = docs::attrs(&format!(
            "The [`{mgr_name}`] of the {} objects.",
            docs::code(&res.name)
        ));
        let (g, r) = if generic {
            (quote!(<T>), quote!(#mgr<T>))
        } else {
            (quote!(), quote!(#mgr))
        };
        reg.push(quote! {
            impl crate::Client {
                #doc
                pub fn #acc #g(&self) -> #r { #mgr::new(self) }
            }
        });
    }

    model_conveniences(reg, plans, i, payloads);
    Ok(())
}

/// Renames the first `fn old` in a method's tokens.
fn rename_fn(tokens: TokenStream, old: &syn::Ident, new: &syn::Ident) -> TokenStream {
    match syn::parse2::<syn::ImplItemFn>(tokens.clone()) {
        Ok(mut f) if &f.sig.ident == old => {
            f.sig.ident = new.clone();
            quote!(#f)
        }
        _ => tokens,
    }
}

fn example_doc(plans: &[ResPlan<'_>], i: usize) -> String {
    let p = &plans[i];
    let chain = example_chain(plans, i);
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

/// `manager`, `reload`, `save`, `delete` and child accessors on a model with links.
fn model_conveniences(
    reg: &mut Registry,
    plans: &[ResPlan<'_>],
    i: usize,
    payloads: &Payloads<'_>,
) {
    let p = &plans[i];
    let res = p.res;
    let (Some(detail), true) = (res.detail(), p.links_field()) else {
        return;
    };
    let ty = format_ident!("{}", p.ty);
    let mgr = format_ident!("{}Manager", p.ty);
    let name = &res.name;
    let optional_links = res
        .field("links")
        .is_some_and(|f| !(f.primary_key || f.required));
    let link = if optional_links {
        quote! {
            self.links.as_ref().and_then(|links| links.get("self")).ok_or_else(|| crate::Error::missing_link(#name, "self"))
        }
    } else {
        quote! {
            self.links.get("self").ok_or_else(|| crate::Error::missing_link(#name, "self"))
        }
    };
    let n = detail.path_params.len();
    let n_lit = proc_macro2::Literal::usize_unsuffixed(n);
    let template = &detail.path;
    let generic = p.generic();
    let (impl_g, ty_g) = if generic {
        (quote!(<T>), quote!(<T>))
    } else {
        (quote!(), quote!())
    };
    let mut plain = Vec::new();
    if n > 0 {
        plain.push(quote! {
            /// The path parameters of this object, from its `self` link.
            fn self_params(&self) -> crate::Result<[String; #n_lit]> {
                const TEMPLATE: &str = #template;
                let link = self.self_link()?;
                crate::path::match_template(TEMPLATE, link)
                    .and_then(|params| <[String; #n_lit]>::try_from(params).ok())
                    .ok_or_else(|| crate::Error::link_mismatch(link, TEMPLATE))
            }
        });
    }
    let scope_len = p.scope.len();
    let bind = |used: usize| -> TokenStream {
        let pats = (0..n).map(|k| {
            if k < used {
                let id = format_ident!("p{}", k);
                quote!(#id)
            } else {
                quote!(_)
            }
        });
        quote!(let [#(#pats),*] = self.self_params()?;)
    };
    let args =
        |used: usize| -> Vec<syn::Ident> { (0..used).map(|k| format_ident!("p{}", k)).collect() };
    {
        let b = if n > 0 { bind(scope_len) } else { quote!() };
        let a = args(scope_len);
        let doc = docs::attrs(&format!(
            "The [`{mgr}`] of this object's scope (recovered from its `self` link)."
        ));
        plain.push(quote! {
            #doc
            pub fn manager(&self, client: &crate::Client) -> crate::Result<#mgr #ty_g> {
                #b
                Ok(#mgr::new(client, #(#a),*))
            }
        });
    }
    for (acc, ci) in &p.children {
        let c = &plans[*ci];
        let cm = format_ident!("{}Manager", c.ty);
        let acc_id = ident(acc);
        let b = if n > 0 { bind(n) } else { quote!() };
        let a = args(n);
        let (g, r) = if c.generic() {
            (quote!(<U>), quote!(#cm<U>))
        } else {
            (quote!(), quote!(#cm))
        };
        let doc = docs::attrs(&format!(
            "The [`{}Manager`] of the {} below this object (from its `self` link).",
            c.ty,
            docs::code(&c.res.name)
        ));
        plain.push(quote! {
            #doc
            pub fn #acc_id #g(&self, client: &crate::Client) -> crate::Result<#r> {
                #b
                Ok(#cm::new(client, #(#a),*))
            }
        });
    }
    let mut calls = Vec::new();
    if detail.allows(HttpMethod::Get) {
        let doc = docs::attrs(&format!(
            "Fetches this {} again (GET on its `self` link).",
            docs::code(name)
        ));
        calls.push(quote! {
            #doc
            pub async fn reload(&self, client: &crate::Client) -> crate::Result<Self> {
                let link = self.self_link()?;
                client.request::<(), Self>(crate::Method::GET, link, None).await
            }
        });
    }
    if detail.allows(HttpMethod::Delete) {
        let doc = docs::attrs(&format!(
            "Deletes this {} (DELETE on its `self` link).",
            docs::code(name)
        ));
        calls.push(quote! {
            #doc
            pub async fn delete(self, client: &crate::Client) -> crate::Result<()> {
                let link = self.self_link()?;
                client.request::<(), ()>(crate::Method::DELETE, link, None).await
            }
        });
    }
    if let Some((upd, members)) = &payloads.update {
        let upd_id = format_ident!("{}", upd);
        let inits = members.iter().map(|m| {
            let id = field_ident(m);
            // a model's file field says what the server holds; it is not sent back
            match res
                .field(&m.name)
                .filter(|f| !f.write_only && !matches!(f.ty, FieldType::File))
            {
                Some(f) => {
                    let copy = is_copy(f);
                    let value = if copy {
                        quote!(self.#id)
                    } else {
                        quote!(self.#id.clone())
                    };
                    if f.primary_key || f.required {
                        quote!(#id: Some(#value))
                    } else {
                        quote!(#id: #value)
                    }
                }
                None => quote!(#id: None),
            }
        });
        let data = if generic {
            quote!(data: self.data.clone(),)
        } else {
            quote!()
        };
        let doc = docs::attrs(&format!(
            "Saves this {}'s writable fields (PATCH on its `self` link) and returns the stored object.",
            docs::code(name)
        ));
        let body_ty = if generic {
            quote!(#upd_id<T>)
        } else {
            quote!(#upd_id)
        };
        calls.push(quote! {
            #doc
            pub async fn save(&self, client: &crate::Client) -> crate::Result<Self> {
                let link = self.self_link()?;
                let body: #body_ty = #upd_id { #(#inits,)* #data };
                client.request(crate::Method::PATCH, link, Some(&body)).await
            }
        });
    }
    if n > 0 || !calls.is_empty() {
        plain.insert(
            0,
            quote! {
                /// This object's `self` link.
                fn self_link(&self) -> crate::Result<&str> {
                    #link
                }
            },
        );
    }
    if !generic {
        // no bounds needed: one impl block
        plain.append(&mut calls);
    }
    reg.push(quote! {
        impl #impl_g #ty #ty_g {
            #(#plain)*
        }
    });
    if !calls.is_empty() {
        let bounds = if generic {
            quote!(<T: ::serde::Serialize + ::serde::de::DeserializeOwned + ::std::clone::Clone>)
        } else {
            quote!()
        };
        reg.push(quote! {
            impl #bounds #ty #ty_g {
                #(#calls)*
            }
        });
    }
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

/// Whether a field's Rust type is `Copy` (so it is copied, not cloned).
fn is_copy(f: &crate::schema::Field) -> bool {
    match &f.ty {
        FieldType::Integer
        | FieldType::Float
        | FieldType::Boolean
        | FieldType::Date
        | FieldType::Datetime => true,
        FieldType::Choice => {
            !f.choices.is_empty()
                && f.choices
                    .iter()
                    .all(|c| matches!(c.value, crate::schema::ChoiceValue::Int(_)))
        }
        _ => false,
    }
}
