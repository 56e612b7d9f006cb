#!/usr/bin/env bash
# Creates the Python venv that scripts/bench/onnx_embed.py runs in (for `vitrine-tools bench embed`):
# ${VITRINE_VENV:-.vitrine/venv}, relative to the repository root, with exactly the packages of
# scripts/bench/requirements.txt. Idempotent: a stamp in the venv holds the sha256 of the
# requirements it was built from; when it matches, nothing is done. When the requirements change
# the venv is rebuilt from scratch, so no package from an older set lingers.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${VITRINE_VENV:-.vitrine/venv}"
REQUIREMENTS="scripts/bench/requirements.txt"
STAMP="${VENV}/.requirements.sha256"
wanted="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && "${VENV}/bin/python" -c '' 2>/dev/null; then
  echo "python venv up to date: ${VENV}" >&2
  exit 0
fi

if ! command -v python3 >/dev/null; then
  echo "error: python3 not found; install Python 3 (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi

# Removes a venv left by an earlier run (outdated or half made). The pyvenv.cfg check keeps a
# mistyped VITRINE_VENV from deleting a directory that is not a venv.
remove_old_venv() {
  if [ -f "${VENV}/pyvenv.cfg" ]; then
    rm -rf "$VENV"
  elif [ -e "$VENV" ]; then
    echo "error: ${VENV} exists but is not a Python venv; remove it or set VITRINE_VENV" >&2
    exit 1
  fi
}

remove_old_venv
mkdir -p "$(dirname "$VENV")"
echo "creating python venv: ${VENV}" >&2
if ! python3 -m venv "$VENV"; then
  # Debian ships venv's pip bootstrap (ensurepip) in a separate package.
  remove_old_venv
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's python3-venv" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    python3 -m venv "$VENV"
  else
    echo "error: 'python3 -m venv' failed; on Debian install python3-venv as root" \
      "(apt-get install python3-venv) and run this script again" >&2
    exit 1
  fi
fi

echo "installing ${REQUIREMENTS}" >&2
# Every package is pinned in the file, what they pull in too; nothing else is resolved.
"${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
echo "$wanted" >"$STAMP"
echo "python venv ready: ${VENV}" >&2
