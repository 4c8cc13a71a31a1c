//! Models, create/update payloads, custom-endpoint request structs and nested
//! structs, plus the registry every generated type name goes through.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::types::{aux_name, is_secret, rust_type};
use super::{GenerateError, docs, enums, links};
use crate::names::{bare, snake_ok};
use crate::schema::{Field, FieldType};

/// Type names the generated code refers to unqualified (Rust's prelude items, derive
/// names, generic parameters): no generated type may take them. The runtime's own
/// crate-root names need no entry: generated items live in `syncano::generated`, refer
/// to the runtime by full paths, and a runtime name at the crate root only shadows the
/// generated item's re-export there.
const RESERVED: &[&str] = &[
    "String",
    "Option",
    "Some",
    "None",
    "Vec",
    "Box",
    "Ok",
    "Err",
    "Result",
    "Default",
    "Clone",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "From",
    "Into",
    "Self",
    "T",
    "U",
    "B",
    "D",
    "S",
];

/// Whether generated code may not define a type of this name.
pub(crate) fn is_reserved(name: &str) -> bool {
    RESERVED.contains(&name)
}

/// Every generated item, in emission order, with a check that no two generated
/// types share a name.
#[derive(Default)]
pub(crate) struct Registry {
    names: BTreeSet<String>,
    pub items: Vec<TokenStream>,
}

impl Registry {
    /// Claims a type name (for `what`, used in the error message).
    pub fn claim(&mut self, name: &str, what: &str) -> Result<(), GenerateError> {
        if RESERVED.contains(&name) {
            return Err(GenerateError::new(format!(
                "the generated type `{name}` ({what}) would clash with a name the generated code or the runtime uses; rename it"
            )));
        }
        if self.names.insert(name.to_string()) {
            Ok(())
        } else {
            Err(GenerateError::new(format!(
                "two generated types are named `{name}` (the second is {what}); rename a resource or field"
            )))
        }
    }
    pub fn push(&mut self, tokens: TokenStream) {
        self.items.push(tokens);
    }
}

/// One field of a generated struct.
pub(crate) struct Member<'a> {
    /// The field as the struct declares it (name, doc, flags).
    pub field: &'a Field,
    /// The field whose type is used (the resource's merged declaration).
    pub ty_field: &'a Field,
    /// The struct that owns the field's generated types.
    pub ty_owner: String,
    /// `Option<T>`, defaulting to `None` and skipped when `None`.
    pub optional: bool,
}

impl Member<'_> {
    /// Whether the field is a `file` (sent as a multipart file part, not as JSON).
    pub fn is_file(&self) -> bool {
        matches!(self.ty_field.ty, FieldType::File)
    }
}

/// The identifier of a field.
pub(crate) fn field_ident(f: &Field) -> syn::Ident {
    ident(&snake_ok(&f.name))
}

/// Parses an identifier (maybe raw) produced by [`crate::names`].
pub(crate) fn ident(text: &str) -> syn::Ident {
    match syn::parse_str::<syn::Ident>(text) {
        Ok(id) => id,
        Err(_) => format_ident!(
            "x_{}",
            bare(text).replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ),
    }
}

/// Options for [`emit_struct`].
pub(crate) struct StructSpec<'a> {
    pub name: &'a str,
    pub doc: String,
    pub members: Vec<Member<'a>>,
    /// Generic over the user-defined fields `T`, flattened as `data`.
    pub generic: bool,
    pub default: bool,
    /// A request body (create/update payload, custom request): `file` fields are
    /// [`crate::Upload`]-typed there, left out of the JSON, and the struct is not
    /// `Deserialize` when it has any.
    pub payload: bool,
}

/// The member declarations of a struct.
fn member_tokens(m: &Member<'_>, payload: bool) -> TokenStream {
    let id = field_ident(m.field);
    let doc = docs::attrs(&docs::field(m.field));
    let wire = &m.field.name;
    if payload && m.is_file() {
        // sent as a file part of a multipart body, never as JSON
        let ty = if m.optional {
            quote!(Option<crate::Upload>)
        } else {
            quote!(crate::Upload)
        };
        return quote! {
            #doc
            #[serde(skip)]
            pub #id: #ty,
        };
    }
    let ty = rust_type(&m.ty_owner, m.ty_field);
    let mut serde_args = Vec::new();
    if bare(&id.to_string()) != wire.as_str() {
        serde_args.push(quote!(rename = #wire));
    }
    let ty = if m.optional {
        serde_args.push(quote!(default));
        serde_args.push(quote!(skip_serializing_if = "Option::is_none"));
        quote!(Option<#ty>)
    } else {
        ty
    };
    let serde_attr = if serde_args.is_empty() {
        quote!()
    } else {
        quote!(#[serde(#(#serde_args),*)])
    };
    quote! {
        #doc
        #serde_attr
        pub #id: #ty,
    }
}

/// A struct with serde derives; `Debug` redacts secret fields.
pub(crate) fn emit_struct(reg: &mut Registry, spec: StructSpec<'_>) -> Result<(), GenerateError> {
    let name = format_ident!("{}", spec.name);
    if spec.generic
        && spec
            .members
            .iter()
            .any(|m| bare(&field_ident(m.field).to_string()) == "data")
    {
        return Err(GenerateError::new(format!(
            "`{}`: a field named \"data\" collides with the user-defined fields of an extensible resource",
            spec.name
        )));
    }
    let doc = docs::attrs(&spec.doc);
    let members: Vec<TokenStream> = spec
        .members
        .iter()
        .map(|m| member_tokens(m, spec.payload))
        .collect();
    // a payload carrying file bytes is written, never read back from JSON
    let uploads = spec.payload && spec.members.iter().any(Member::is_file);
    let (generics, data) = if spec.generic {
        (
            quote!(<T = ::serde_json::Map<String, ::serde_json::Value>>),
            quote! {
                /// The user-defined fields (by default a JSON map; any serde type works).
                #[serde(flatten)]
                pub data: T,
            },
        )
    } else {
        (quote!(), quote!())
    };
    let secret = spec.members.iter().any(|m| is_secret(&m.field.name));
    let mut derives = vec![quote!(Clone), quote!(PartialEq)];
    if !secret {
        derives.insert(0, quote!(Debug));
    }
    if spec.default {
        derives.push(quote!(Default));
    }
    derives.push(quote!(::serde::Serialize));
    if !uploads {
        derives.push(quote!(::serde::Deserialize));
    }
    reg.push(quote! {
        #doc
        #[derive(#(#derives),*)]
        #[non_exhaustive]
        pub struct #name #generics {
            #(#members)*
            #data
        }
    });
    if secret {
        let label = spec.name;
        let calls = spec.members.iter().map(|m| {
            let id = field_ident(m.field);
            let wire = bare(&id.to_string()).to_string();
            if !is_secret(&m.field.name) {
                quote!(.field(#wire, &self.#id))
            } else if m.optional {
                quote!(.field(#wire, &self.#id.as_ref().map(|_| "<redacted>")))
            } else {
                quote!(.field(#wire, &"<redacted>"))
            }
        });
        let (impl_generics, ty_generics, data_call) = if spec.generic {
            (
                quote!(<T: ::std::fmt::Debug>),
                quote!(<T>),
                quote!(.field("data", &self.data)),
            )
        } else {
            (quote!(), quote!(), quote!())
        };
        reg.push(quote! {
            impl #impl_generics ::std::fmt::Debug for #name #ty_generics {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct(#label) #(#calls)* #data_call .finish()
                }
            }
        });
    }
    Ok(())
}

/// The generated types the fields of `owner` need (choice enums, links structs,
/// nested structs, recursively).
pub(crate) fn emit_aux(
    reg: &mut Registry,
    owner: &str,
    fields: &[Field],
) -> Result<(), GenerateError> {
    for f in fields {
        let Some(name) = aux_name(owner, f) else {
            continue;
        };
        let what = format!("the type of field \"{}\" of `{owner}`", f.name);
        reg.claim(&name, &what)?;
        let field_doc = format!("the field {} of [`{owner}`]", docs::code(&f.name));
        match &f.ty {
            FieldType::Choice => reg.push(enums::emit(&name, f, &field_doc)),
            FieldType::Links => reg.push(links::emit(&name, f, &format!("[`{owner}`]"))),
            FieldType::Object(subs) => {
                emit_aux(reg, &name, subs)?;
                let mut doc = match &f.label {
                    Some(l) if !docs::md(l).is_empty() => {
                        format!("{}: a nested object.", docs::md(l))
                    }
                    _ => format!("The nested object in {field_doc}."),
                };
                doc.push_str(&format!("\n\n{}", docs::constraints(f)));
                let members: Vec<Member<'_>> = subs
                    .iter()
                    .map(|s| Member {
                        field: s,
                        ty_field: s,
                        ty_owner: name.clone(),
                        optional: !(s.required || s.primary_key),
                    })
                    .collect();
                let build = builder(&name, &members, false);
                let all_optional = members.iter().all(|m| m.optional);
                emit_struct(
                    reg,
                    StructSpec {
                        name: &name,
                        doc,
                        members,
                        generic: false,
                        default: all_optional,
                        payload: false,
                    },
                )?;
                reg.push(build);
            }
            _ => {}
        }
    }
    Ok(())
}

/// The builder of a payload or nested struct: `new(required…)`, taking the required
/// fields in the order the schema lists them (then the user-defined `data` of an
/// extensible resource), and one chainable setter per optional field, named after the
/// field (`with_<field>` where that name is `new`).
pub(crate) fn builder(name: &str, members: &[Member<'_>], generic: bool) -> TokenStream {
    let ident = format_ident!("{}", name);
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for m in members {
        let id = field_ident(m.field);
        let ty = if m.is_file() {
            quote!(crate::Upload)
        } else {
            rust_type(&m.ty_owner, m.ty_field)
        };
        if m.optional {
            inits.push(quote!(#id: None));
            let setter = if bare(&id.to_string()) == "new" {
                format_ident!("with_new")
            } else {
                id.clone()
            };
            let doc = docs::attrs(&format!("Sets {}.", docs::code(&m.field.name)));
            setters.push(quote! {
                #doc
                pub fn #setter(mut self, value: impl Into<#ty>) -> Self {
                    self.#id = Some(value.into());
                    self
                }
            });
        } else {
            params.push(quote!(#id: impl Into<#ty>));
            inits.push(quote!(#id: #id.into()));
        }
    }
    let (impl_generics, ty_generics) = if generic {
        params.push(quote!(data: T));
        inits.push(quote!(data));
        (quote!(<T>), quote!(<T>))
    } else {
        (quote!(), quote!())
    };
    let names: Vec<String> = members
        .iter()
        .filter(|m| !m.optional)
        .map(|m| docs::code(&m.field.name))
        .collect();
    let doc = if names.is_empty() {
        "A value with every field unset: set fields with the setters.".to_string()
    } else {
        format!(
            "A value with the required fields {} set (in that order) and the others unset.",
            names.join(", ")
        )
    };
    let doc = docs::attrs(&doc);
    quote! {
        impl #impl_generics #ident #ty_generics {
            #doc
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits,)* }
            }
            #(#setters)*
        }
    }
}
