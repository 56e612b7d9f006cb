//! `vitrine bench …`: performance measurements that print tables (never timed tests).

pub mod embed;
pub mod search;
pub mod stats;
