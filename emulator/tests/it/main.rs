//! Integration tests: a real emulator on a loopback port, driven with reqwest.

mod cast;
mod common;

mod api;
mod faults;
mod fidelity;
mod hardening;
mod in_process;
mod object_files;
mod objects;
mod paging;
mod permission_fuzz;
mod permissions;
mod persistence;
mod push;
mod record_rules;
mod robustness;
mod schema_driven;
mod uploads;
