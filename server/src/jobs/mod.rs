//! The background work: the worker that claims queued jobs and every job's handler, and the
//! outbox relay that publishes events and sends their emails.

pub mod align_images;
pub mod analytics_segments;
pub mod embed_image;
pub mod embed_text;
pub mod import_catalog;
pub mod notify;
pub mod progress;
pub mod recs_upkeep;
pub mod shop;
pub mod train_recs;
pub mod train_text_to_image;
pub mod worker;
