//! Mutation test: every value of the small golden schema, replaced in turn by values of
//! other JSON types, must give a clean `Err` or valid code — never a panic, and never
//! generated code that does not parse.

use std::path::PathBuf;

use serde_json::{Value, json};

/// Every JSON pointer in `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

#[test]
fn mutated_documents_never_panic() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/small-schema.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    };
    let mut all = Vec::new();
    pointers(&doc, String::new(), &mut all);
    let replacements = [json!(null), json!(-7), json!("x y"), json!([]), json!({})];
    let (mut ok, mut err) = (0, 0);
    for p in &all {
        for r in &replacements {
            let mut d = doc.clone();
            if let Some(slot) = d.pointer_mut(p) {
                *slot = r.clone();
            }
            let mutated = d.to_string();
            match syncano_codegen::schema::parse(&mutated, "m.json") {
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.starts_with("m.json"),
                        "{p} = {r}: message without file: {msg}"
                    );
                    assert!(!msg.contains('\n'), "{p} = {r}: multi-line message: {msg}");
                    err += 1;
                }
                Ok(schema) => match syncano_codegen::generate(&schema, &syncano_codegen::RuntimeNames::none()) {
                    Ok(code) => {
                        if let Err(e) = syn::parse_file(&code) {
                            panic!("{p} = {r}: generated code does not parse: {e}");
                        }
                        ok += 1;
                    }
                    Err(e) => {
                        assert!(!e.to_string().contains("does not parse"), "{p} = {r}: {e}");
                        err += 1;
                    }
                },
            }
        }
    }
    // both outcomes occur: the mutations are not all rejected or all accepted
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}
