//! `vitrine bench …`: performance measurements that print tables (never timed tests).

pub mod embed;
pub mod preprocess;
pub mod search;
pub mod shop;
pub mod stats;
