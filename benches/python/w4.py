"""W4: the trainability map of scenarios/trainability_boundary.toml (Sohl-Dickstein 2024), 128×128 cells.

Each cell trains an 8-16-1 tanh network without biases, mean-field parameterization
(f(x) = (1/16) W2 tanh(W1 x / √8)), on flowgap's 16 teacher–student samples from flowgap's θ₀ (both read
from FLOWGAP_JSON), loss ½·mean (f − y)², for 500 full-batch GD steps with one rate per layer: W1 steps
with η1, W2 with η2 (run.step_size = 1, so the scales are the rates), η1 × η2 the sweep's log grid.
Labels follow flowgap's rule (src/discrete/drive.rs, record_every = 1): a run diverged when at some step
k = 0, …, 500 θ_k or ∇L(θ_k) is non-finite, or |L(θ_k)| exceeds the bound max(1, |L(θ₀)|)·1e10 (a NaN
loss counts); else it converged. Unlike flowgap, which stops a diverged run, these keep computing
(a vectorised program runs every cell for all 500 steps).

numpy: vectorised over all cells (the hidden layer of all cells as one matrix product per step, a Python
loop over the 500 steps). JAX (float64): one cell is a `lax.scan` over the 500 steps (value_and_grad of the
loss); cells are vmapped in chunks of CHUNK = 1024 run by `lax.map`, on one host device (jit) and split
over JAX_DEVICES host devices (`jax.pmap` of the same program; XLA_FLAGS
--xla_force_host_platform_device_count is set by common.jax_x64). Labels are compared with flowgap's cell by
cell: the count of disagreeing cells, and how many of them lie on the boundary of flowgap's map (a cell
with a neighbour, of the 8 around it, that flowgap labels the other way).
"""
import os
import sys

import numpy as np

from common import JAX_DEVICES, flowgap, jax_x64, rel, result, timed

CHUNK = 1024


def setup():
    ref = flowgap()["w4"]
    x = np.asarray(ref["x"]).reshape(16, 8)
    y = np.asarray(ref["y"])
    theta0 = np.asarray(ref["theta0"])
    eta1, eta2 = np.asarray(ref["eta1"]), np.asarray(ref["eta2"])
    e1, e2 = np.meshgrid(eta1, eta2, indexing="ij")  # cell i*n2 + j: (eta1[i], eta2[j]), flowgap's order
    labels = np.asarray(ref["labels"], dtype=np.uint8).reshape(len(eta1), len(eta2))
    return ref, x, y, theta0, e1.reshape(-1), e2.reshape(-1), labels


def loss_np(w1, w2, x, y):
    """½·mean (f − y)² at one θ, f = (1/16) W2 tanh(W1 x/√8)."""
    f = np.tanh(x @ w1.T / np.sqrt(8.0)) @ w2 / 16.0
    return 0.5 * np.mean((f - y) ** 2)


def compare(ours, ref_labels):
    """(disagreeing cells, of them on flowgap's boundary: a Moore neighbour flowgap labels otherwise)."""
    ours = np.asarray(ours).reshape(ref_labels.shape).astype(np.uint8)
    diff = ours != ref_labels
    n1, n2 = ref_labels.shape
    pad = np.pad(ref_labels.astype(np.int16), 1, constant_values=-1)
    other = np.zeros_like(diff)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di == 0 and dj == 0:
                continue
            nb = pad[1 + di:1 + di + n1, 1 + dj:1 + dj + n2]
            other |= (nb >= 0) & (nb != ref_labels)
    return int(diff.sum()), int((diff & other).sum()), int(ours.sum())


def main():
    ref, x, y, theta0, e1, e2, ref_labels = setup()
    steps, bound = int(ref["steps"]), float(ref["divergence_bound"])
    w1_0, w2_0 = theta0[:128].reshape(16, 8), theta0[128:]
    l0 = loss_np(w1_0, w2_0, x, y)
    model_check = rel([l0], [ref["initial_loss"]])
    assert model_check < 1e-12, f"the model differs from flowgap's: L(θ₀) {l0} vs {ref['initial_loss']}"
    cells = len(e1)
    n_div = int(ref_labels.sum())
    print(f"w4: {cells} cells, flowgap: {n_div} diverged; L(θ₀) = {l0:.15e} (rel. to flowgap {model_check:.1e})")
    which = sys.argv[1:] or ["numpy", "jax"]

    if "numpy" in which:
        xt = x.T / np.sqrt(8.0)  # (8, n): the 1/√8 multiplier folded into the data once

        def run_np():
            w1 = np.broadcast_to(w1_0, (cells, 16, 8)).copy()
            w2 = np.broadcast_to(w2_0, (cells, 16)).copy()
            div = np.zeros(cells, bool)
            with np.errstate(all="ignore"):
                for k in range(steps + 1):
                    h = np.tanh((w1.reshape(-1, 8) @ xt).reshape(cells, 16, 16))  # (cell, hidden, sample)
                    f = np.einsum("chn,ch->cn", h, w2) / 16.0
                    r = f - y
                    loss = 0.5 * np.mean(r * r, axis=1)
                    d = r / 16.0  # ∂L/∂f, 16 samples
                    g2 = np.einsum("cn,chn->ch", d, h) / 16.0
                    dz = (d[:, None, :] * w2[:, :, None] / 16.0) * (1.0 - h * h)
                    g1 = (dz.reshape(-1, 16) @ xt.T).reshape(cells, 16, 8)
                    bad = ~(np.abs(loss) <= bound)
                    bad |= ~np.isfinite(w1).all((1, 2)) | ~np.isfinite(w2).all(1)
                    bad |= ~np.isfinite(g1).all((1, 2)) | ~np.isfinite(g2).all(1)
                    div |= bad
                    if k == steps:
                        break
                    w1 -= e1[:, None, None] * g1
                    w2 -= e2[:, None] * g2
            return div

        reps = int(os.environ.get("FLOWGAP_W4_NUMPY_REPS", "1"))
        first, med, best, div = timed(run_np, reps=reps)
        dis, on_boundary, n = compare(div, ref_labels)
        result("W4 trainability 128x128", "numpy (vectorised over cells)", first, med, best,
               disagreeing_cells=dis, disagreeing_on_boundary=on_boundary, diverged=n)

    if "jax" in which:
        jax = jax_x64()
        import jax.numpy as jnp

        xj, yj = jnp.asarray(x), jnp.asarray(y)

        def loss_j(w1, w2):
            f = jnp.tanh(xj @ w1.T / jnp.sqrt(8.0)) @ w2 / 16.0
            return 0.5 * jnp.mean((f - yj) ** 2)

        vg = jax.value_and_grad(loss_j, argnums=(0, 1))

        def check(w1, w2):
            loss, (g1, g2) = vg(w1, w2)
            ok = (jnp.abs(loss) <= bound) & jnp.isfinite(w1).all() & jnp.isfinite(w2).all()
            return ~(ok & jnp.isfinite(g1).all() & jnp.isfinite(g2).all()), g1, g2

        def cell(rates):
            a, b = rates[0], rates[1]

            def step(carry, _):
                w1, w2, div = carry
                bad, g1, g2 = check(w1, w2)
                return (w1 - a * g1, w2 - b * g2, div | bad), None

            (w1, w2, div), _ = jax.lax.scan(step, (jnp.asarray(w1_0), jnp.asarray(w2_0), False), None,
                                            length=steps)
            return div | check(w1, w2)[0]

        def chunks(r):
            """`cell` over (chunks, CHUNK, 2) rates: lax.map over chunks, each chunk vmapped."""
            return jax.lax.map(jax.vmap(cell), r)

        rates = np.stack([e1, e2], 1)
        n_dev = min(JAX_DEVICES, len(jax.devices()))
        variants = [(f"jax (lax.map chunks {CHUNK} x vmap, jit, 1 device)", 1,
                     lambda: jax.jit(chunks))]
        if n_dev > 1:
            variants.append((f"jax (pmap {n_dev} devices x lax.map chunks {CHUNK} x vmap)", n_dev,
                             lambda: jax.pmap(chunks, devices=jax.devices()[:n_dev])))
        for name, d, make in variants:
            fn = make()
            r = jnp.asarray(rates.reshape(d, cells // (d * CHUNK), CHUNK, 2) if d > 1
                            else rates.reshape(cells // CHUNK, CHUNK, 2))
            reps = int(os.environ.get("FLOWGAP_W4_JAX_REPS", "3"))
            first, med, best, div = timed(lambda: fn(r), reps=reps, block=lambda o: o.block_until_ready())
            dis, on_boundary, n = compare(np.asarray(div).reshape(-1), ref_labels)
            result("W4 trainability 128x128", name, first, med, best, devices=d,
                   disagreeing_cells=dis, disagreeing_on_boundary=on_boundary, diverged=n)


if __name__ == "__main__":
    main()
