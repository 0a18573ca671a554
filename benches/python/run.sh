#!/usr/bin/env bash
# Runs W1–W4 in flowgap (cargo bench --bench workloads), then in numpy/scipy and JAX/diffrax, and prints
# one table: median wall time per workload and implementation, and flowgap's speed-up over each.
# Needs benches/python/install.sh first. Not run by tests or CI. Usage: benches/python/run.sh [w1 w2 w3 w4]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="$here/.venv/bin/python"
out="${FLOWGAP_BENCH_OUT:-$root/target/workloads}"
mkdir -p "$out"
if [ $# -eq 0 ]; then set -- w1 w2 w3 w4; fi
workloads=("$@")
uptime | tee "$out/uptime.txt"
(cd "$root" && FLOWGAP_BENCH_DUMP="$out" cargo bench --bench workloads -- "${workloads[@]}") | tee "$out/flowgap.txt"
: >"$out/python.txt"
for w in "${workloads[@]}"; do
  (cd "$here" && FLOWGAP_JSON="$out/flowgap.json" "$py" "$w.py") | tee -a "$out/python.txt"
done
uptime | tee -a "$out/uptime.txt"
"$py" "$here/table.py" "$out/flowgap.json" "$out/python.txt"
