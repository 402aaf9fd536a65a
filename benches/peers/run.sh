#!/usr/bin/env bash
# Side-by-side benchmark of globalpool against peer engines (see README.md here).
#
#   benches/peers/run.sh                    # full run: writes docs/peers.{md,svg,json} (about 5 min)
#   benches/peers/run.sh --quick            # smoke run, rough numbers
#   benches/peers/run.sh --cases 1x1280x7x7 --engines globalpool,onnxruntime
#
# Environment: PEERS_VENV (default benches/peers/.venv), PEERS_TARGET_DIR (cargo target dir for
# the cdylib, default target/peers), PEERS_OUT (default docs), PEERS_TORCH=0 (skip torch and its
# ~4 GB of CUDA wheels), PEERS_CRATE_DIR (the globalpool checkout to build, default this one;
# PEERS_CRATE_REV names its commit when it is not a git checkout, e.g. a `git archive`),
# PYTHON (the interpreter that makes the venv, default python3; 3.11).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${PEERS_VENV:-$here/.venv}
target=${PEERS_TARGET_DIR:-$root/target/peers}
out=${PEERS_OUT:-$root/docs}
crate=${PEERS_CRATE_DIR:-$root}

if [ ! -x "$venv/bin/python" ]; then
    "${PYTHON:-python3}" -m venv "$venv"
fi
pip=("$venv/bin/pip" install --disable-pip-version-check -q)
"${pip[@]}" -r "$here/requirements.txt"
if [ "${PEERS_TORCH:-1}" != 0 ]; then
    "${pip[@]}" -r "$here/requirements-torch.txt"
fi

(cd "$crate" && CARGO_TARGET_DIR="$target" cargo rustc --lib --profile capi --features capi --crate-type cdylib)
lib="$target/capi/libglobalpool.so"
[ -f "$lib" ] || { echo "run.sh: $lib was not built" >&2; exit 1; }

# Which globalpool was measured: PEERS_CRATE_REV, else the checkout's commit (+ "-dirty" when
# its sources differ from it; GIT_OPTIONAL_LOCKS=0: look without touching the index).
rev=${PEERS_CRATE_REV:-$(git -C "$crate" rev-parse --short HEAD 2>/dev/null || echo unknown)}
if [ -z "${PEERS_CRATE_REV:-}" ] && [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$crate" status --porcelain -- src kernels include build.rs Cargo.toml 2>/dev/null)" ]; then
    rev="$rev-dirty"
fi

cmd="benches/peers/run.sh${*:+ $*}"
exec "$venv/bin/python" "$here/peers.py" --lib "$lib" --out "$out" --command "$cmd" --crate-rev "$rev" "$@"
