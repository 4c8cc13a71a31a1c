//! The conveniences of a model with a `self` link: `manager`, `reload`, `save`,
//! `delete`, and an accessor per child resource, their names resolved against what the
//! runtime defines on the model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use super::namespace::Namespace;
use super::plan::ResPlan;
use super::resource::Payloads;
use super::structs::{Registry, field_ident, ident};
use crate::runtime_names::RuntimeNames;
use crate::schema::{FieldType, HttpMethod};

/// `manager`, `reload`, `save`, `delete` and child accessors on a model with links.
pub(crate) fn emit(
    reg: &mut Registry,
    plans: &[ResPlan<'_>],
    i: usize,
    payloads: &Payloads<'_>,
    runtime: &RuntimeNames,
) {
    let p = &plans[i];
    let res = p.res;
    let (Some(detail), true) = (res.detail(), p.links_field()) else {
        return;
    };
    let mut ns = Namespace::new(&p.ty, runtime);
    let manager_fn = ident(&ns.claim("manager", "_object"));
    let reload_fn = ident(&ns.claim("reload", "_object"));
    let delete_fn = ident(&ns.claim("delete", "_object"));
    let save_fn = ident(&ns.claim("save", "_object"));
    let children: Vec<String> = p
        .children
        .iter()
        .map(|(acc, _)| ns.claim(acc, "_manager"))
        .collect();
    let self_link = ident(&ns.claim("self_link", "_fn"));
    let self_params = ident(&ns.claim("self_params", "_fn"));
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
            fn #self_params(&self) -> crate::Result<[String; #n_lit]> {
                const TEMPLATE: &str = #template;
                let link = self.#self_link()?;
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
        quote!(let [#(#pats),*] = self.#self_params()?;)
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
            pub fn #manager_fn(&self, client: &crate::Client) -> crate::Result<#mgr #ty_g> {
                #b
                Ok(#mgr::new(client, #(#a),*))
            }
        });
    }
    for ((_, ci), acc) in p.children.iter().zip(&children) {
        let c = &plans[*ci];
        let cm = format_ident!("{}Manager", c.ty);
        let acc_id = ident(acc);
        let b = if n > 0 { bind(n) } else { quote!() };
        let a = args(n);
        let doc = docs::attrs(&format!(
            "The [`{}Manager`] of the {} below this object (from its `self` link).",
            c.ty,
            docs::code(&c.res.name)
        ));
        plain.push(quote! {
            #doc
            pub fn #acc_id(&self, client: &crate::Client) -> crate::Result<#cm> {
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
            pub async fn #reload_fn(&self, client: &crate::Client) -> crate::Result<Self> {
                let link = self.#self_link()?;
                client.get(link).await
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
            pub async fn #delete_fn(self, client: &crate::Client) -> crate::Result<()> {
                let link = self.#self_link()?;
                client.delete(link).await
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
            pub async fn #save_fn(&self, client: &crate::Client) -> crate::Result<Self> {
                let link = self.#self_link()?;
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
                fn #self_link(&self) -> crate::Result<&str> {
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
