//! Public datasets read from local files (installed by the setup from Debian's packages): what
//! the heads train on beside the catalog, and what the evaluations measure on.

pub mod fashion_mnist;
