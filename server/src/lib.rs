//! The `vitrine` server: command line, configuration, the axum router around the Leptos app,
//! the project-local PostgreSQL cluster, migrations, demo data, the job worker and operations
//! endpoints.
//!
//! The domain code lives in the `app` crate behind its `ssr` feature (see
//! `docs/architecture.md`); this crate wires it into a process, grouped by role:
//! [`http`] (what answers requests), [`jobs`] (the worker and its handlers), [`commands`]
//! (one-shot commands), [`datasets`] (public datasets read from local files), [`runtime`]
//! (configuration, database, state, serving). The measurement commands are their own binary, `vitrine-tools` (`server/tools`).

pub mod commands;
pub mod datasets;
pub mod http;
pub mod jobs;
pub mod runtime;
