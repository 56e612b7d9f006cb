//! The one-shot commands of the `vitrine` binary: seeding the demo catalog, reindexing images,
//! preparing the image model and managing accounts.

pub mod model;
pub mod reindex;
pub mod seed;
