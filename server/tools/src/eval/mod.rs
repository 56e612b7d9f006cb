//! `vitrine eval …`: search-quality measurements that print tables.

pub mod parity;
pub mod recs;
pub mod rephotograph;
pub mod robustness;
pub mod text_search;
pub mod text_to_image;
pub mod visual;
