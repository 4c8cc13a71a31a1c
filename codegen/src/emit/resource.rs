//! Per resource: the model, its payloads, custom-endpoint request structs and the
//! types their fields need.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::plan::ResPlan;
use super::structs::{
    Member, Registry, StructSpec, builder, emit_aux, emit_struct, field_ident,
};
use super::{GenerateError, docs};
use crate::names::camel_part;
use crate::schema::{Endpoint, Field, HttpMethod};

/// What the manager emitter needs to know about the payload types.
pub(crate) struct Payloads<'a> {
    pub create: Option<String>,
    pub update: Option<(String, Vec<&'a Field>)>,
    /// (endpoint name, request struct name)
    pub requests: Vec<(String, String)>,
    /// (payload or request struct name, its `file` members): the methods taking these
    /// structs send `multipart/form-data` instead of JSON.
    pub files: Vec<(String, Vec<FilePart>)>,
}

/// A `file` member of a payload: its wire name, its Rust identifier and whether it is
/// an `Option`.
pub(crate) type FilePart = (String, syn::Ident, bool);

impl Payloads<'_> {
    /// The `file` members of the payload struct `name` (empty: it is sent as JSON).
    pub fn files_of(&self, name: &str) -> &[FilePart] {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, f)| f.as_slice())
    }
}

/// The `file` members of a payload, in declaration order.
fn file_parts(members: &[Member<'_>]) -> Vec<FilePart> {
    members
        .iter()
        .filter(|m| m.is_file())
        .map(|m| (m.field.name.clone(), field_ident(m.field), m.optional))
        .collect()
}

/// Whether a method sends a body.
pub(crate) fn has_body(m: HttpMethod) -> bool {
    matches!(m, HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch)
}

/// The endpoint list for docs.
pub(crate) fn endpoints_doc(p: &ResPlan<'_>) -> String {
    let mut s = String::from("Endpoints:\n");
    for e in &p.res.endpoints {
        s.push_str(&format!(
            "\n- {}: {}",
            docs::code(&e.name),
            docs::endpoint(e)
        ));
    }
    s
}

pub(crate) fn emit<'a>(reg: &mut Registry, p: &ResPlan<'a>) -> Result<Payloads<'a>, GenerateError> {
    let res = p.res;
    let ty = &p.ty;
    reg.claim(ty, &format!("the model of resource \"{}\"", res.name))?;
    emit_aux(reg, ty, &res.fields)?;

    // the model
    let mut doc = match &res.description {
        Some(d) if !docs::md(d).is_empty() => docs::md(d),
        _ => format!("A {} resource.", docs::code(&res.name)),
    };
    doc.push_str(&format!("\n\n{}", endpoints_doc(p)));
    doc.push_str(&format!("\n\nManaged through [`{ty}Manager`]."));
    if p.generic() {
        doc.push_str(
            "\n\nObjects also carry user-defined fields: `T` (by default a JSON map) holds them, flattened.",
        );
    }
    let members = res
        .fields
        .iter()
        .filter(|f| !f.write_only)
        .map(|f| Member {
            field: f,
            ty_field: f,
            ty_owner: ty.clone(),
            optional: !(f.primary_key || f.required),
        })
        .collect();
    emit_struct(
        reg,
        StructSpec {
            name: ty,
            doc,
            members,
            generic: p.generic(),
            default: false,
            payload: false,
        },
    )?;

    let list = res.list();
    let detail = res.detail();
    let merged = |f: &'a Field| -> &'a Field { res.field(&f.name).unwrap_or(f) };
    let source = |e: Option<&'a Endpoint>| -> Vec<&'a Field> {
        match e.and_then(|e| e.fields.as_ref()) {
            Some(fields) if !fields.is_empty() => fields.iter().collect(),
            _ => res.fields.iter().collect(),
        }
    };

    let mut files = Vec::new();

    // create payload
    let needs_create = list.is_some_and(|l| l.allows(HttpMethod::Post))
        || detail.is_some_and(|d| d.allows(HttpMethod::Put) || d.allows(HttpMethod::Post));
    let create = if needs_create {
        let name = format!("{ty}Create");
        reg.claim(
            &name,
            &format!("the create payload of resource \"{}\"", res.name),
        )?;
        let src = source(list.or(detail));
        let members: Vec<Member<'_>> = src
            .into_iter()
            .filter(|f| !f.read_only)
            .map(|f| Member {
                field: f,
                ty_field: merged(f),
                ty_owner: ty.clone(),
                optional: !f.required,
            })
            .collect();
        let all_optional = members.iter().all(|m| m.optional);
        let ctor = builder(&name, &members, p.generic());
        files.push((name.clone(), file_parts(&members)));
        let doc = format!(
            "The body that creates (or fully replaces) a [`{ty}`]: its writable fields, the required ones not optional."
        );
        emit_struct(
            reg,
            StructSpec {
                name: &name,
                doc,
                members,
                generic: p.generic(),
                default: all_optional,
                payload: true,
            },
        )?;
        reg.push(ctor);
        Some(name)
    } else {
        None
    };

    // update payload
    let update = if detail.is_some_and(|d| d.allows(HttpMethod::Patch)) {
        let name = format!("{ty}Update");
        reg.claim(
            &name,
            &format!("the update payload of resource \"{}\"", res.name),
        )?;
        let src: Vec<&Field> = source(detail)
            .into_iter()
            .filter(|f| !f.read_only)
            .collect();
        let members: Vec<Member<'_>> = src
            .iter()
            .map(|f| Member {
                field: f,
                ty_field: merged(f),
                ty_owner: ty.clone(),
                optional: true,
            })
            .collect();
        files.push((name.clone(), file_parts(&members)));
        let ctor = builder(&name, &members, p.generic());
        let doc = format!(
            "A partial update of a [`{ty}`] (PATCH): only the fields that are `Some` are sent."
        );
        emit_struct(
            reg,
            StructSpec {
                name: &name,
                doc,
                members,
                generic: p.generic(),
                default: true,
                payload: true,
            },
        )?;
        reg.push(ctor);
        Some((name, src))
    } else {
        None
    };

    // request structs of custom endpoints
    let mut requests = Vec::new();
    for e in res.custom_endpoints() {
        let Some(fields) = &e.fields else { continue };
        let writable: Vec<Field> = fields.iter().filter(|f| !f.read_only).cloned().collect();
        if writable.is_empty() || !e.methods.iter().any(|m| has_body(*m)) {
            continue;
        }
        let name = format!("{ty}{}Request", camel_part(&e.name));
        reg.claim(
            &name,
            &format!(
                "the request of endpoint \"{}\" of resource \"{}\"",
                e.name, res.name
            ),
        )?;
        emit_aux(reg, &name, &writable)?;
        let members: Vec<Member<'_>> = writable
            .iter()
            .map(|f| Member {
                field: f,
                ty_field: f,
                ty_owner: name.clone(),
                optional: !f.required,
            })
            .collect();
        let all_optional = members.iter().all(|m| m.optional);
        let ctor = builder(&name, &members, false);
        files.push((name.clone(), file_parts(&members)));
        let doc = format!(
            "The body of the {} endpoint of [`{ty}`]: {}.",
            docs::code(&e.name),
            docs::endpoint(e)
        );
        emit_struct(
            reg,
            StructSpec {
                name: &name,
                doc,
                members,
                generic: false,
                default: all_optional,
                payload: true,
            },
        )?;
        reg.push(ctor);
        requests.push((e.name.clone(), name));
    }
    files.retain(|(_, f)| !f.is_empty());
    Ok(Payloads {
        create,
        update,
        requests,
        files,
    })
}

/// `Ty` or `Ty<T>`.
pub(crate) fn model_type(p: &ResPlan<'_>, generic_param: Option<&TokenStream>) -> TokenStream {
    let id = format_ident!("{}", p.ty);
    match (p.generic(), generic_param) {
        (true, Some(t)) => quote!(#id<#t>),
        _ => quote!(#id),
    }
}
