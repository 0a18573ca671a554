#!/usr/bin/env bash
# Creates benches/python/.venv with the packages the comparison scripts need (numpy, scipy, jax[cpu],
# diffrax, and threadpoolctl to report numpy's BLAS threads). Not run by tests or CI. Usage: benches/python/install.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet --upgrade pip
"$here/.venv/bin/pip" install --quiet numpy scipy "jax[cpu]" diffrax threadpoolctl
"$here/.venv/bin/python" -c 'import numpy, scipy, jax, diffrax; print("numpy", numpy.__version__, "scipy", scipy.__version__, "jax", jax.__version__, "diffrax", diffrax.__version__)'
