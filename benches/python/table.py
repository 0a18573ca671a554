"""Prints the comparison table from flowgap's dump and the Python scripts' RESULT lines.

Each cell is the median of the timed runs, or their minimum with FLOWGAP_TABLE_STAT=min (for a machine
shared with other work, where the minimum is the steadier figure). Where a peer reports several variants
(JAX on one device and split over two), the row sets flowgap beside the fastest and names it."""
import json
import os
import sys

STAT = "min_s" if os.environ.get("FLOWGAP_TABLE_STAT") == "min" else "median_s"

fg = json.load(open(sys.argv[1]))
rows = [json.loads(l[7:]) for l in open(sys.argv[2]) if l.startswith("RESULT ")]
# Table row → (flowgap's workload, its key in the dump, the Python scripts' workload name).
ROWS = {
    "W1 GD": ("w1", "gd", "W1 GD"),
    "W1 flow dop853": ("w1", "flow_dop853", "W1 flow dop853"),
    "W1 flow dopri5": ("w1", "flow_dopri5", "W1 flow dopri5"),
    "W2 GD": ("w2", "gd", "W2 GD"),
    "W2 flow dopri5 (peers: states only)": ("w2", "flow_dopri5", "W2 flow dopri5"),
    # flowgap's flow always records the loss and |∇L| at its samples: the same run, set beside peers
    # that compute them too.
    "W2 flow dopri5 (peers: + loss, |grad| at saved times)":
        ("w2", "flow_dopri5", "W2 flow dopri5 + loss, |grad| at saved times"),
    # Basin maps run through the lane loop (`flowgap sweep` over initial points takes it).
    "W3 GD (lanes)": ("w3", "gd_final_lanes", "W3 GD"),
    "W3 GD (one start at a time)": ("w3", "gd", "W3 GD"),
    "W3 flow dopri5 (lanes)": ("w3", "flow_dopri5_lanes", "W3 flow dopri5"),
    "W3 flow dopri5 (one start at a time, solve)": ("w3", "flow_dopri5", "W3 flow dopri5"),
    # The trainability map as `flowgap sweep trainability_boundary` runs it (rows, table, figure), and
    # the same runs without the sweep's per-row machinery.
    "W4 trainability 128×128 (flowgap sweep)": ("w4", "sweep", "W4 trainability 128x128"),
    "W4 trainability 128×128 (GD per cell, no sweep rows)": ("w4", "direct_gd", "W4 trainability 128x128"),
    "W4 trainability 128×128 (network lanes, no sweep rows)": ("w4", "net_lanes", "W4 trainability 128x128"),
}
print(f"cells: {STAT} per implementation; JAX: its fastest variant")
print(f"| workload | flowgap | JAX (+compile) | ratio | numpy/scipy | ratio | agreement |")
print("|---|---|---|---|---|---|---|")
for name, (w, key, peer) in ROWS.items():
    if w not in fg or fg[w].get(key) is None:
        continue
    ours = fg[w][key][STAT]
    cells = {}
    for r in rows:
        if r["workload"] != peer:
            continue
        kind = "jax" if r["impl"].startswith("jax") else "np"
        agree = {k: v for k, v in r.items()
                 if k.startswith(("rel_err", "label_mismatch", "disagreement", "disagreeing"))}
        if kind not in cells or r[STAT] < cells[kind][0]:
            cells[kind] = (r[STAT], r["compile_s"], agree, r["impl"])
    jax = cells.get("jax")
    npy = cells.get("np")
    jcell = f"{jax[0]*1e3:.1f} ms (+{jax[1]:.1f} s; {jax[3]})" if jax else "—"
    ncell = f"{npy[0]*1e3:.0f} ms" if npy else "—"
    jr = f"{jax[0]/ours:.1f}×" if jax else "—"
    nr = f"{npy[0]/ours:.0f}×" if npy else "—"
    agree = "; ".join(f"{k}={v}" if isinstance(v, int) else f"{k}={v:.1e}"
                      for c in (jax, npy) if c for k, v in c[2].items())
    print(f"| {name} | {ours*1e3:.1f} ms | {jcell} | {jr} | {ncell} | {nr} | {agree} |")
blas = sorted({r["blas"] for r in rows if "blas" in r})
if blas:
    print("numpy's BLAS: " + "; ".join(blas))
