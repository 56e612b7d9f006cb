//! The one-shot commands of the `vitrine` binary: seeding the demo catalog, reindexing images,
//! preparing the image model, managing accounts, and backing up and restoring the shop.

pub mod backup;
pub mod model;
pub mod reindex;
pub mod seed;
