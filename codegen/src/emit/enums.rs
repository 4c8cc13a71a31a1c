//! Choice fields → enums that keep unknown values.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use crate::names::{bare, camel};
use crate::schema::{Choice, ChoiceValue, Field};

/// The Rust variant names of a choice list (deduplicated by value, in order).
pub fn variants(choices: &[Choice]) -> Vec<(String, &Choice)> {
    let mut seen_values = BTreeSet::new();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    for (i, c) in choices.iter().enumerate() {
        if !seen_values.insert(&c.value) {
            continue;
        }
        let from_text = |t: &str| -> Option<String> {
            let cleaned: String = t
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '_' {
                        ch
                    } else {
                        ' '
                    }
                })
                .collect();
            camel(&cleaned)
                .ok()
                .map(|s| bare(&s).trim_end_matches('_').to_string())
                .filter(|s| s.starts_with(|ch: char| ch.is_ascii_uppercase()))
        };
        let base = match &c.value {
            ChoiceValue::Str(s) if s.is_empty() => "Empty".to_string(),
            ChoiceValue::Str(s) => from_text(s).unwrap_or_else(|| format!("V{i}")),
            ChoiceValue::Int(n) => from_text(&c.display_name)
                .filter(|_| {
                    c.display_name
                        .starts_with(|ch: char| ch.is_ascii_alphabetic())
                })
                .unwrap_or_else(|| {
                    if *n < 0 {
                        format!("VMinus{}", n.unsigned_abs())
                    } else {
                        format!("V{n}")
                    }
                }),
        };
        let base = match base.as_str() {
            "Unknown" | "Self" => format!("{base}Value"),
            _ => base,
        };
        let mut name = base.clone();
        let mut k = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}{k}");
            k += 1;
        }
        out.push((name, c));
    }
    out
}

/// An integer literal without suffix (negative ones as `-n`).
fn int_lit(n: i64) -> TokenStream {
    let lit = proc_macro2::Literal::u64_unsuffixed(n.unsigned_abs());
    if n < 0 { quote!(-#lit) } else { quote!(#lit) }
}

/// The enum for the choice field `f`, named `name`.
pub fn emit(name: &str, f: &Field, owner_doc: &str) -> TokenStream {
    let ident = format_ident!("{}", name);
    let vars = variants(&f.choices);
    let all_int = vars
        .iter()
        .all(|(_, c)| matches!(c.value, ChoiceValue::Int(_)));
    let all_str = vars
        .iter()
        .all(|(_, c)| matches!(c.value, ChoiceValue::Str(_)));
    let doc = docs::attrs(&format!(
        "The values of {owner_doc}.\n\n{}\n\nValues this schema does not list are kept in `Unknown`.",
        docs::constraints(f)
    ));
    let var_idents: Vec<_> = vars.iter().map(|(v, _)| format_ident!("{}", v)).collect();
    let var_docs: Vec<TokenStream> = vars
        .iter()
        .map(|(_, c)| {
            let value = docs::code(&c.value.to_string());
            let text = if c.display_name == c.value.to_string() {
                value
            } else {
                format!("{value} ({})", docs::md(&c.display_name))
            };
            docs::attrs(&text)
        })
        .collect();
    if all_int {
        let values: Vec<TokenStream> = vars
            .iter()
            .map(|(_, c)| match c.value {
                ChoiceValue::Int(n) => int_lit(n),
                ChoiceValue::Str(_) => int_lit(0),
            })
            .collect();
        quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #ident {
                #( #var_docs #var_idents, )*
                /// A value this schema does not list.
                Unknown(i64),
            }
            impl #ident {
                /// The value sent over the wire.
                pub fn value(&self) -> i64 {
                    match self {
                        #( Self::#var_idents => #values, )*
                        Self::Unknown(value) => *value,
                    }
                }
            }
            impl ::std::convert::From<i64> for #ident {
                fn from(value: i64) -> Self {
                    match value {
                        #( #values => Self::#var_idents, )*
                        other => Self::Unknown(other),
                    }
                }
            }
            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    ::std::fmt::Display::fmt(&self.value(), f)
                }
            }
            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_i64(self.value())
                }
            }
            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    <i64 as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
                }
            }
        }
    } else if all_str {
        let values: Vec<String> = vars.iter().map(|(_, c)| c.value.to_string()).collect();
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #ident {
                #( #var_docs #var_idents, )*
                /// A value this schema does not list.
                Unknown(String),
            }
            impl #ident {
                /// The value sent over the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #( Self::#var_idents => #values, )*
                        Self::Unknown(value) => value.as_str(),
                    }
                }
            }
            impl ::std::convert::From<&str> for #ident {
                fn from(value: &str) -> Self {
                    match value {
                        #( #values => Self::#var_idents, )*
                        other => Self::Unknown(other.to_string()),
                    }
                }
            }
            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }
            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self::from(value.as_str()))
                }
            }
        }
    } else {
        // Mixed integer and string values (as in the 2015 documents).
        let texts: Vec<String> = vars.iter().map(|(_, c)| c.value.to_string()).collect();
        let (mut int_vals, mut int_vars, mut str_vals, mut str_vars) =
            (vec![], vec![], vec![], vec![]);
        let mut ser_arms = Vec::new();
        for ((_, c), id) in vars.iter().zip(&var_idents) {
            match &c.value {
                ChoiceValue::Int(n) => {
                    let n = int_lit(*n);
                    int_vals.push(n.clone());
                    int_vars.push(id.clone());
                    ser_arms.push(quote!(Self::#id => serializer.serialize_i64(#n)));
                }
                ChoiceValue::Str(s) => {
                    str_vals.push(s.clone());
                    str_vars.push(id.clone());
                    ser_arms.push(quote!(Self::#id => serializer.serialize_str(#s)));
                }
            }
        }
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #ident {
                #( #var_docs #var_idents, )*
                /// A value this schema does not list (as text).
                Unknown(String),
            }
            impl #ident {
                /// The value sent over the wire, as text.
                pub fn as_str(&self) -> &str {
                    match self {
                        #( Self::#var_idents => #texts, )*
                        Self::Unknown(value) => value.as_str(),
                    }
                }
            }
            impl ::std::fmt::Display for #ident {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            impl ::serde::Serialize for #ident {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    match self {
                        #( #ser_arms, )*
                        Self::Unknown(value) => serializer.serialize_str(value),
                    }
                }
            }
            impl<'de> ::serde::Deserialize<'de> for #ident {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <::serde_json::Value as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(match value {
                        ::serde_json::Value::String(text) => match text.as_str() {
                            #( #str_vals => Self::#str_vars, )*
                            _ => Self::Unknown(text),
                        },
                        ::serde_json::Value::Number(number) => match number.as_i64() {
                            #( Some(#int_vals) => Self::#int_vars, )*
                            _ => Self::Unknown(number.to_string()),
                        },
                        other => Self::Unknown(other.to_string()),
                    })
                }
            }
        }
    }
}
