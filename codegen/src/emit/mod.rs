//! Code emission: schema model → Rust source (quote → `syn::File` → prettyplease).

pub mod names;
