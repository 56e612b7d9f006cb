//! The one-shot commands of the `vitrine` binary: seeding the demo catalog, reindexing images,
//! preparing the image model, managing accounts, backing up and restoring the shop, importing
//! and exporting the catalog, and simulating shoppers on a running shop for demo data.

pub mod backup;
pub mod catalog_file;
pub mod model;
pub mod reindex;
pub mod seed;
pub mod simulate;
