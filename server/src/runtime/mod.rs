//! What makes a process: the command line and configuration, the database (and the
//! project-local cluster), logging, the loaded models, the shop's wiring, the application state
//! built once, and serving.

pub mod auth;
pub mod cli;
pub mod database;
pub mod local_pg;
pub mod model;
pub mod serve;
pub mod shop;
pub mod state;
pub mod telemetry;
