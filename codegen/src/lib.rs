//! placeholder

#[cfg(feature = "cli")]
pub mod cli;
pub mod diff;
#[cfg(feature = "cli")]
pub mod discover;
#[cfg(feature = "cli")]
pub mod fetch;
pub mod normalize;
