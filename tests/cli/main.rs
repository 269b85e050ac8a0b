//! End-to-end tests: the `keyguide` binary run on sites in temporary folders.

mod build;
mod composition;
mod config;
mod content;
mod init;
mod output;
mod support;
