//! `vitrine eval robustness` (being written).

use crate::cli::EvalRobustnessArgs;

pub async fn run(
    _pool: &sqlx::PgPool,
    _media: &app::backend::media::MediaStore,
    _args: &EvalRobustnessArgs,
) -> anyhow::Result<()> {
    anyhow::bail!("vitrine eval robustness is not written yet")
}
