//! Loading a safetensors file written with PyTorch's names and layouts into a burn module: the
//! one way both models load their weights.

use std::path::Path;

use burn::module::Module;
use burn::store::{KeyRemapper, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};

/// Loads `path` into `model` after renaming keys with `remapper`. burn-store's PyTorch adapter
/// transposes Linear weights to burn's `[in, out]` and renames normalisation parameters
/// (weight/bias → gamma/beta). Every parameter of the module must be present; tensors of the
/// file the module has no place for are ignored. The error is a description for the caller's
/// own error type.
pub fn load<M: Module>(model: &mut M, path: &Path, remapper: KeyRemapper) -> Result<(), String> {
    let mut store = SafetensorsStore::from_file(path)
        .with_from_adapter(PyTorchToBurnAdapter)
        .remap(remapper)
        .allow_partial(false);
    let result = model.load_from(&mut store).map_err(|e| e.to_string())?;
    if !result.missing.is_empty() {
        return Err(format!("missing {:?}", result.missing));
    }
    Ok(())
}
