//! The `syncano-schema` binary: exit codes and outputs of check, diff, generate
//! and fetch.
