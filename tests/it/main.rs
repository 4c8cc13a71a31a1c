//! The root crate's integration tests, as one binary (one link of syncano, the emulator,
//! wiremock and tokio instead of one per file). A module per thing under test; the
//! SDK runs against a wiremock server (`mock`), the embedded emulator (`support`) or a
//! recording transport (`syncano::test_util`).

mod mock;
mod support;

mod api_errors;
mod auth;
mod batch;
mod clashing_names;
mod crud;
mod data_endpoint;
mod errors;
mod faults;
mod hand_written_models;
mod jobs;
mod logging;
mod multipart;
mod object_files;
mod paging;
mod paging_filters;
mod requests;
mod retries;
mod retry;
mod schema_workflow;
mod scope;
mod seed_parity;
mod session;
mod uploads;
