//! placeholder

pub mod dataobjects;
