#!/usr/bin/env bash
# Creates python-worker/.venv with the pinned requirements (runtime + dev).
#
# Idempotent: .venv/.requirements.sha256 holds the hash of the requirement files and the
# interpreter version; when they match, the script returns at once.
#
# Environment:
#   PYTHON            interpreter to build the venv from (default: python3); must be >= 3.11
#   QUANTBOT_VENV     venv folder (default: <this folder>/.venv)
#   PIP_EXTRA_ARGS    extra arguments for pip install (e.g. --no-index --find-links DIR)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${QUANTBOT_VENV:-$here/.venv}"
python="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup-venv: '$python' not found; install Python 3.11 or newer (or set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup-venv: $("$python" -c 'import sys; print(sys.executable, sys.version.split()[0])') is too old;" \
       "the worker needs Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

py_version="$("$python" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
want="$(cat "$here/requirements.txt" "$here/requirements-dev.txt" | sha256sum | cut -d' ' -f1) python-$py_version"

if [[ -f "$stamp" && -x "$venv/bin/python" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

echo "setup-venv: creating $venv with Python $py_version" >&2
rm -rf "$venv"
"$python" -m venv "$venv"
# --retries/--timeout keep a machine without the public index from waiting long before it
# falls back to the configured local mirrors; on a normal machine they change nothing.
"$venv/bin/python" -m pip install --disable-pip-version-check --retries 1 --timeout 15 \
  ${PIP_EXTRA_ARGS:-} -r "$here/requirements.txt" -r "$here/requirements-dev.txt" >&2
"$venv/bin/python" - <<'EOF'
import duckdb, pyarrow, google.protobuf, numpy, plotly, jinja2, pytest  # noqa: F401
EOF
echo "$want" > "$stamp"
echo "setup-venv: ready ($venv)" >&2
