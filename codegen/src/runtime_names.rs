//! The method names the hand-written runtime already defines, read from its source.
//!
//! Generated code adds inherent methods to runtime types (`Client` gets one accessor per
//! root resource, `InstanceScope` one per instance-scoped resource) and the runtime adds
//! methods to generated types (`DataObjectManager::create_with_files` …). Two inherent
//! methods of one name on one type do not compile, so the generator must know the
//! runtime's names. Rather than a list kept by hand beside the runtime (which drifts),
//! they are read from the runtime's own source files: the `syncano` build passes its
//! `src/` directory, and every inherent `impl` block found there counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The inherent method names of each type the runtime implements, by the type's last
/// path segment (`impl crate::DataObjectManager<T>` counts as `DataObjectManager`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeNames {
    methods: BTreeMap<String, BTreeSet<String>>,
}

impl RuntimeNames {
    /// No runtime names (code generated for review, or for a runtime without methods).
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads every `.rs` file below `dir` (recursively). A missing directory gives
    /// no names.
    ///
    /// # Errors
    /// A message naming the file that cannot be read or parsed.
    pub fn from_dir(dir: &Path) -> Result<Self, String> {
        let mut names = Self::default();
        if !dir.is_dir() {
            return Ok(names);
        }
        let mut stack = vec![dir.to_path_buf()];
        while let Some(current) = stack.pop() {
            let entries =
                std::fs::read_dir(&current).map_err(|e| format!("{}: {e}", current.display()))?;
            let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths {
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    names
                        .add_source(&text)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
            }
        }
        Ok(names)
    }

    /// Adds the inherent methods defined in one Rust source file.
    ///
    /// # Errors
    /// The parser's message when `source` is not valid Rust.
    pub fn add_source(&mut self, source: &str) -> Result<(), String> {
        let file = syn::parse_file(source).map_err(|e| e.to_string())?;
        self.add_items(&file.items);
        Ok(())
    }

    fn add_items(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Impl(block) if block.trait_.is_none() => {
                    let syn::Type::Path(path) = &*block.self_ty else {
                        continue;
                    };
                    let Some(last) = path.path.segments.last() else {
                        continue;
                    };
                    let set = self.methods.entry(last.ident.to_string()).or_default();
                    for member in &block.items {
                        match member {
                            syn::ImplItem::Fn(f) => {
                                set.insert(f.sig.ident.to_string());
                            }
                            syn::ImplItem::Const(c) => {
                                set.insert(c.ident.to_string());
                            }
                            _ => {}
                        }
                    }
                }
                syn::Item::Mod(module) => {
                    if let Some((_, inner)) = &module.content {
                        self.add_items(inner);
                    }
                }
                _ => {}
            }
        }
    }

    /// The inherent methods the runtime gives the type `ty` (empty when none).
    pub fn methods_of(&self, ty: &str) -> impl Iterator<Item = &str> {
        self.methods
            .get(ty)
            .into_iter()
            .flat_map(|set| set.iter().map(String::as_str))
    }

    /// Whether the runtime gives `ty` an inherent method `name`.
    pub fn has_method(&self, ty: &str, name: &str) -> bool {
        self.methods.get(ty).is_some_and(|set| set.contains(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inherent_methods_of_each_type() {
        let mut names = RuntimeNames::none();
        names
            .add_source(
                "impl Client { pub fn download(&self) {} fn private(&self) {} const X: u8 = 1; }
                 impl<T> crate::DataObjectManager<T> { pub async fn create_with_files(&self) {} }
                 impl std::fmt::Debug for Client { fn fmt(&self) {} }
                 mod inner { impl super::Client { pub fn login(&self) {} } }",
            )
            .unwrap();
        assert!(names.has_method("Client", "download"));
        assert!(names.has_method("Client", "private"));
        assert!(names.has_method("Client", "X"));
        assert!(names.has_method("Client", "login"));
        assert!(!names.has_method("Client", "fmt"), "trait methods do not clash");
        assert!(names.has_method("DataObjectManager", "create_with_files"));
        assert_eq!(names.methods_of("Nothing").count(), 0);
    }

    #[test]
    fn bad_source_is_an_error() {
        assert!(RuntimeNames::none().add_source("impl {").is_err());
    }

    #[test]
    fn the_runtime_of_this_workspace_is_readable() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
        let names = RuntimeNames::from_dir(&dir).unwrap();
        assert!(names.has_method("Client", "download"));
        assert!(names.has_method("Client", "request_multipart"));
    }
}
