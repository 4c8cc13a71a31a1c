//! The method names of one generated `impl` target, resolved before anything is
//! rendered: what the runtime already defines on the type comes first, then the
//! generator's fixed methods, then the schema's names, each taking a suffix when its
//! name is already taken.

use std::collections::BTreeSet;

use super::GenerateError;
use crate::names::bare;
use crate::runtime_names::RuntimeNames;

/// The names taken on one type.
pub(crate) struct Namespace {
    /// The Rust type, for error messages.
    owner: String,
    taken: BTreeSet<String>,
}

impl Namespace {
    /// The names of `owner`, starting with the inherent methods the runtime gives it.
    pub fn new(owner: &str, runtime: &RuntimeNames) -> Self {
        Namespace {
            owner: owner.to_string(),
            taken: runtime.methods_of(owner).map(str::to_string).collect(),
        }
    }

    /// Takes a name the generated code needs exactly (`new`, `client` …).
    ///
    /// # Errors
    /// When the runtime already defines it on this type.
    pub fn reserve(&mut self, name: &str) -> Result<(), GenerateError> {
        if self.taken.insert(bare(name).to_string()) {
            Ok(())
        } else {
            Err(GenerateError::new(format!(
                "the runtime defines `{}::{name}`, which the generated code needs for itself",
                self.owner
            )))
        }
    }

    /// Takes `preferred` (an identifier, maybe raw) or, when taken, `preferred` +
    /// `suffix`, then with a number, and returns the identifier taken.
    pub fn claim(&mut self, preferred: &str, suffix: &str) -> String {
        if self.taken.insert(bare(preferred).to_string()) {
            return preferred.to_string();
        }
        let base = format!("{}{suffix}", bare(preferred));
        if self.taken.insert(base.clone()) {
            return base;
        }
        let mut n = 2;
        loop {
            let candidate = format!("{base}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_come_first_then_suffixes() {
        let mut runtime = RuntimeNames::none();
        runtime
            .add_source("impl Client { fn download(&self) {} }")
            .unwrap();
        let mut ns = Namespace::new("Client", &runtime);
        assert_eq!(ns.claim("download", "_manager"), "download_manager");
        assert_eq!(ns.claim("download", "_manager"), "download_manager2");
        assert_eq!(ns.claim("r#type", "_manager"), "r#type");
        assert_eq!(ns.claim("type", "_manager"), "type_manager");
        assert!(ns.reserve("download").is_err());
        assert!(ns.reserve("new").is_ok());
    }
}
