//! Every resource whose behaviour differs from the generic engine, by its schema
//! name. Each resource module declares its own [`Behaviour`]s; this is the one
//! place that collects them.
//!
//! | module | resources |
//! |---|---|
//! | `accounts` | `Account`, `AccountInvitation` |
//! | `instances` | `Instance` |
//! | `admins` | `Admin`, `Invitation` |
//! | `api_keys` | `ApiKey` |
//! | `classes` | `Class` |
//! | `objects` | `DataObject`, `DataEndpoint` |
//! | `users` | `User`, `CurrentUser`, `Group`, `GroupMembership`, `UserGroupMembership` |
//! | `channels` | `Channel`, `ChannelChange` |
//! | `scripts` | `Script`, `ScriptEndpoint`, `Runtime`, `Schedule`, `Template` |
//! | `hosting` | `Hosting`, `HostingFile` |
//! | `push` | `GcmConfig`, `ApnsConfig`, `GcmDevice`, `ApnsDevice`, `GcmMessage`, `ApnsMessage` |
//! | `backups` | `FullBackup`, `Restore` |
//! | `batch` | `Batch` |

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::behaviour::Behaviour;

/// Every behaviour the resource modules declare.
fn declared() -> Vec<Behaviour> {
    [
        crate::accounts::behaviours(),
        crate::instances::behaviours(),
        crate::admins::behaviours(),
        crate::api_keys::behaviours(),
        crate::classes::behaviours(),
        crate::objects::behaviours(),
        crate::users::behaviours(),
        crate::channels::behaviours(),
        crate::scripts::behaviours(),
        crate::hosting::behaviours(),
        crate::push::behaviours(),
        crate::backups::behaviours(),
        crate::batch::behaviours(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

static REGISTRY: LazyLock<HashMap<&'static str, Behaviour>> =
    LazyLock::new(|| declared().into_iter().map(|b| (b.resource, b)).collect());

/// The behaviour of the resource the schema names `resource`, if it has one.
pub fn behaviour(resource: &str) -> Option<&'static Behaviour> {
    REGISTRY.get(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> syncano_codegen::schema::Schema {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/syncano-v1.1.json");
        syncano_codegen::schema::parse(&std::fs::read_to_string(path).unwrap(), path).unwrap()
    }

    #[test]
    fn every_registered_resource_and_endpoint_is_in_the_schema() {
        let schema = schema();
        let mut modules = 0;
        for b in REGISTRY.values() {
            modules += 1;
            let r = schema
                .resources
                .iter()
                .find(|r| r.name == b.resource)
                .unwrap_or_else(|| panic!("{} is not a resource of the schema", b.resource));
            for (op, _) in &b.handlers {
                if let crate::behaviour::Op::Endpoint(name) = op {
                    assert!(
                        r.endpoints.iter().any(|e| e.name == *name),
                        "{} has no endpoint {name}",
                        b.resource
                    );
                }
            }
        }
        assert!(modules >= 20, "only {modules} behaviours registered");
    }

    #[test]
    fn two_modules_never_register_one_resource() {
        let names: Vec<&str> = declared().iter().map(|b| b.resource).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
