"""Prints the comparison table from flowgap's dump and the Python scripts' RESULT lines."""
import json
import sys

fg = json.load(open(sys.argv[1]))
rows = [json.loads(l[7:]) for l in open(sys.argv[2]) if l.startswith("RESULT ")]
FLOWGAP = {
    "W1 GD": ("w1", "gd"), "W1 flow dop853": ("w1", "flow_dop853"), "W1 flow dopri5": ("w1", "flow_dopri5"),
    "W2 GD": ("w2", "gd"), "W2 flow dopri5": ("w2", "flow_dopri5"),
    "W3 GD": ("w3", "gd"), "W3 flow dopri5": ("w3", "flow_dopri5"),
}
print(f"| workload | flowgap | JAX (+compile) | ratio | numpy/scipy | ratio | agreement |")
print("|---|---|---|---|---|---|---|")
for name, (w, key) in FLOWGAP.items():
    if w not in fg:
        continue
    ours = fg[w][key]["median_s"]
    cells = {}
    for r in rows:
        if r["workload"] != name:
            continue
        kind = "jax" if r["impl"].startswith("jax") else "np"
        agree = {k: v for k, v in r.items() if k.startswith(("rel_err", "label_mismatch", "disagreement"))}
        cells[kind] = (r["median_s"], r["compile_s"], agree)
    jax = cells.get("jax")
    npy = cells.get("np")
    jcell = f"{jax[0]*1e3:.1f} ms (+{jax[1]:.1f} s)" if jax else "—"
    ncell = f"{npy[0]*1e3:.0f} ms" if npy else "—"
    jr = f"{jax[0]/ours:.1f}×" if jax else "—"
    nr = f"{npy[0]/ours:.0f}×" if npy else "—"
    agree = "; ".join(f"{k}={v:.1e}" for c in (jax, npy) if c for k, v in c[2].items())
    print(f"| {name} | {ours*1e3:.1f} ms | {jcell} | {jr} | {ncell} | {nr} | {agree} |")
