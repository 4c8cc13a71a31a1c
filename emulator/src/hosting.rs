//! Hosting (`Hosting`, `HostingFile`): a new hosting is neither the default nor on
//! SSL; `set_default` and `enable_ssl` act on it; its files are written as multipart
//! uploads ([`crate::uploads`]).

use serde_json::Value;

use crate::behaviour::{Behaviour, Op};
use crate::record_actions;

/// The resources of this module.
pub fn behaviours() -> Vec<Behaviour> {
    vec![
        Behaviour::new("Hosting")
            .on(Op::Endpoint("set_default"), record_actions::set_default)
            .on(Op::Endpoint("enable_ssl"), record_actions::enable_ssl)
            .on_create(|rec| {
                rec.insert("is_default".into(), Value::Bool(false));
                rec.insert("ssl_status".into(), Value::String("off".into()));
            }),
        Behaviour::new("HostingFile")
            .on(Op::Create, crate::uploads::write_hosting_file)
            .on_write(crate::uploads::write_hosting_file),
    ]
}
