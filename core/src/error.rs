//! Typed errors for values that do not satisfy the model's preconditions.

use thiserror::Error;

/// An input value that the model cannot use, with what was wrong and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("invalid size `{value}`: {reason}")]
    Size { value: String, reason: String },
    #[error(
        "invalid concurrency `{value}`: {reason}; use a whole number from {min} to {max}",
        min = crate::concurrency::MIN_CONCURRENCY,
        max = crate::concurrency::MAX_CONCURRENCY
    )]
    Concurrency { value: String, reason: String },
    #[error("invalid CPU count `{value}`: use a whole number from 1 to {max}", max = crate::inputs::MAX_CPUS)]
    Cpus { value: String },
    #[error("invalid headroom `{value}`: use a whole percentage from 0 to {max}", max = crate::memory::MAX_HEADROOM_PERCENT)]
    Headroom { value: String },
    #[error(
        "invalid service name `{value}`: {reason}; a Postfix service name uses only letters, digits, `-`, `_` and `.`"
    )]
    ServiceName { value: String, reason: String },
    #[error("invalid operating system `{value}`: use one of debian, ubuntu, rhel, freebsd, openbsd")]
    Os { value: String },
}
