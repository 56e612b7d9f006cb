//! CPU kernels of our own, for the shapes where burn's general ones leave most of the machine
//! idle (docs/benchmarks.md has the measurements that justify each). Each takes plain slices,
//! so the models call them on a tensor's values and wrap the result back into a tensor, and
//! each has a test against the plain arithmetic it replaces.

pub mod gelu;
pub mod packed_dense;

pub use gelu::gelu_in_place;
pub use packed_dense::PackedDense;
