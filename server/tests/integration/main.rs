//! Integration tests against a real PostgreSQL with pgvector: each test gets a fresh database
//! (see `helpers`), and HTTP tests talk to a real server on a random port.
//! One binary, so the crate and its dependencies link once.

mod access;
mod admin_lists;
mod admin_models;
mod analytics;
mod auth;
mod backup;
mod browser_defences;
mod catalog;
mod catalog_editing;
mod catalog_import;
mod commerce;
mod degradation;
mod embedding;
mod events;
mod faults;
mod health;
mod helpers;
mod job_admin;
mod jobs;
mod local_pg;
mod metrics;
mod migrations;
mod notifications;
mod pages;
mod prepared;
mod privacy;
mod product_images;
mod query_counts;
mod rate_limits;
mod recommendations;
mod refusals;
mod reindex;
mod replicas;
mod revocation;
mod search;
mod simulate;
mod smtp_sink;
mod text_model;
mod text_search;
mod text_to_image;
mod vision;
