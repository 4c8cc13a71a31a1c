//! `links` fields → typed link structs.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::names::{bare, snake_ok};
use crate::schema::Field;

/// The links struct for the `links` field `f`, named `name`.
pub fn emit(name: &str, f: &Field, owner_doc: &str) -> TokenStream {
    let ident = format_ident!("{}", name);
    let doc = docs::attrs(&format!(
        "The links of {owner_doc}: paths (relative to the API root) of related resources.\n\n{}",
        docs::constraints(f)
    ));
    let mut seen = BTreeSet::new();
    let mut fields = Vec::new();
    let mut arms = Vec::new();
    for l in &f.links {
        let rust = snake_ok(&l.name);
        if bare(&rust) == "other" || !seen.insert(rust.clone()) {
            continue;
        }
        let id: syn::Ident = match syn::parse_str(&rust) {
            Ok(id) => id,
            Err(_) => continue,
        };
        let wire = &l.name;
        let rename = if bare(&rust) != wire {
            quote!(rename = #wire,)
        } else {
            quote!()
        };
        let text = if l.kind.is_empty() {
            format!("The {} link.", docs::code(wire))
        } else {
            format!("The {} link ({}).", docs::code(wire), docs::md(&l.kind))
        };
        let d = docs::attrs(&text);
        fields.push(quote! {
            #d
            #[serde(#rename default, skip_serializing_if = "Option::is_none")]
            pub #id: Option<String>,
        });
        arms.push(quote!(#wire => self.#id.as_deref(),));
    }
    let body = if arms.is_empty() {
        quote!(self.other.get(name).and_then(|value| value.as_str()))
    } else {
        quote! {
            match name {
                #( #arms )*
                _ => self.other.get(name).and_then(|value| value.as_str()),
            }
        }
    };
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Default, ::serde::Serialize, ::serde::Deserialize)]
        pub struct #ident {
            #( #fields )*
            /// Links this schema does not declare.
            #[serde(flatten)]
            pub other: ::std::collections::BTreeMap<String, ::serde_json::Value>,
        }
        impl #ident {
            /// The path of the link `name`, declared or not.
            pub fn get(&self, name: &str) -> Option<&str> {
                #body
            }
        }
    }
}
