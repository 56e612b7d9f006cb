//! `vitrine eval visual` (being written).

use crate::cli::EvalVisualArgs;

pub fn run(_args: &EvalVisualArgs) -> anyhow::Result<()> {
    anyhow::bail!("vitrine eval visual is not written yet")
}
