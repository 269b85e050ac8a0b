//! End-to-end tests: the `keyguide` binary run on sites in temporary folders.

mod build;
mod composition;
mod config;
mod content;
mod coverage;
mod evidence;
mod faults;
mod hostile;
mod init;
mod key_material;
mod lint;
mod manifest;
mod output;
mod path_safety;
mod rules;
mod secrets;
mod serve;
mod serve_hostile;
mod stored;
mod support;
mod themes;
mod trust_center;
mod versions;
