//! Subcommands of the binary other than `server`, for operators and scripts.

pub mod keys;
