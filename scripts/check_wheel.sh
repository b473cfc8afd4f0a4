#!/usr/bin/env bash
# Build the wheel, install it alone into a fresh virtual environment, and run flake8 on a buggy
# example: the release works with flake8 and nothing else from this checkout.
# usage: bash scripts/check_wheel.sh   (needs the `build` package: pip install build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# From the temporary folder: a ``build/`` folder in the checkout would shadow the build package.
(cd "$work" && python -m build --wheel --outdir "$work/dist" "$root") >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }
python -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work"/dist/*.whl
mkdir "$work/example"
cat >"$work/example/model.py" <<'PY'
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mask = torch.tril(torch.ones(dim, dim))
PY
cd "$work/example"
set +e
out=$("$work/venv/bin/flake8" --select=TPC model.py)
status=$?
set -e
echo "$out"
case "$out" in
  *"model.py:8:9: TPC001 tensor 'self.mask' is not registered"*) ;;
  *) echo "check_wheel: the installed wheel did not report the example's TPC001" >&2; exit 1 ;;
esac
[ "$status" -eq 1 ] || { echo "check_wheel: flake8 exited $status, expected 1" >&2; exit 1; }
echo "check_wheel: $(ls "$work"/dist) installs and reports through flake8"
