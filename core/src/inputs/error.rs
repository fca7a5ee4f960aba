//! Typed errors for values that do not satisfy the model's preconditions.
//!
//! This module imports nothing of the crate: each variant carries the bounds its message names.

use thiserror::Error;

/// An input value that the model cannot use, with what was wrong and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("invalid size `{value}`: {reason}")]
    Size { value: String, reason: String },
    #[error("invalid concurrency `{value}`: {reason}; use a whole number from {min} to {max}")]
    Concurrency { value: String, reason: String, min: u32, max: u32 },
    #[error("invalid CPU count `{value}`: use a whole number from 1 to {max}")]
    Cpus { value: String, max: u32 },
    #[error("invalid headroom `{value}`: use a whole percentage from 0 to {max}")]
    Headroom { value: String, max: u8 },
    #[error(
        "invalid service name `{value}`: {reason}; a Postfix service name uses only letters, digits, `-`, `_` and `.`"
    )]
    ServiceName { value: String, reason: String },
    #[error("unknown preset `{value}`: use one of {names}")]
    Preset { value: String, names: String },
    #[error(
        "invalid operating system `{value}`: use one of debian, ubuntu, rhel, freebsd, openbsd, opensuse, gentoo, alpine"
    )]
    Os { value: String },
    #[error(
        "invalid release version `{value}`: write it as os-release's VERSION_ID does, digits and dots (12, 22.04, 9), or the table's word for it (tumbleweed, openrc, systemd)"
    )]
    OsVersion { value: String },
    #[error("invalid release `{value}`: use FAMILY or FAMILY:VERSION, e.g. debian:12 (listed: {known})")]
    OsRelease { value: String, known: String },
}
