//! The `vitrine` server: command line, configuration, the axum router around the Leptos app,
//! the project-local PostgreSQL cluster, migrations, demo data and operations endpoints.
//!
//! The domain code lives in the `app` crate behind its `ssr` feature (see
//! `docs/architecture.md`); this crate wires it into a process.

pub mod api;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod database;
pub mod embedding;
pub mod eval;
pub mod local_pg;
pub mod model;
pub mod notify;
pub mod ops;
pub mod reindex;
pub mod router;
pub mod seed;
pub mod serve;
pub mod server_fn_status;
pub mod shop;
pub mod telemetry;
pub mod worker;
