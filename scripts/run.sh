#!/usr/bin/env bash
# Runs the shop: installs what is missing, builds the release site, prepares the database
# (the project-local PostgreSQL cluster unless DATABASE_URL is set), migrates, seeds the demo
# catalog and serves on http://127.0.0.1:3000 (VITRINE_ADDR to change).
# Idempotent: a second run skips every install and build step that is already done.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# dataset-fashion-mnist: what the text-to-image head learns clothes' names from, beside the
# catalog (the server trains its first version once the catalog is embedded).
ensure_toolchain dataset-fashion-mnist

step "Building the shop (release: server binary and WASM bundle)"
cargo leptos build --release

vitrine="${CARGO_TARGET_DIR}/release/vitrine"
ensure_model_weights "$vitrine"
ensure_text_model
if [ -z "${DATABASE_URL:-}" ]; then
  step "Starting the project-local PostgreSQL cluster (.vitrine/pg)"
  "$vitrine" db start
fi
step "Migrating and seeding the demo catalog"
"$vitrine" seed

export LEPTOS_SITE_ROOT="${CARGO_TARGET_DIR}/site"
export LEPTOS_ENV=PROD
step "Serving the shop on http://${VITRINE_ADDR:-127.0.0.1:3000} (Ctrl-C to stop; \`$vitrine db stop\` stops the database)"
exec "$vitrine" serve --no-migrate
