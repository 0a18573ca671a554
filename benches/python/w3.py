"""W3: Himmelblau basin map, 256×256 starts on [−6, 6]² (ends included, x varying fastest): GD 2000 steps
at η = 0.01 and gradient flow to t = 20 at rtol 1e-8, atol 1e-10; each final point is labelled by the
minimum it lies within 0.1 of (4: none, 5: diverged), and the fraction of starts whose labels differ.

numpy: GD vectorised over all starts (array arithmetic, one Python loop over the 2000 steps); the flow
as a user writes it with scipy, a loop of solve_ivp(RK45) over starts — too slow for all 65,536, so a
strided subset of about FLOWGAP_W3_SUBSET starts (default 256) is timed and the time scaled to the full grid
(reported as such), and its labels are compared with flowgap's on that subset.
JAX: GD and diffrax Dopri5 vmapped over all starts and jit-compiled (one XLA device), and the same
split over JAX_DEVICES host devices (default 2, the cores flowgap uses): `jax.pmap` over devices of a
`lax.map` over chunks of CHUNK starts, each chunk vmapped. Chunks also bound the vmapped flow's waste
(every start in a vmapped batch takes as many steps as the batch's slowest one). Both variants are
reported; the table sets flowgap beside the faster.
"""
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp

from common import JAX_DEVICES, flowgap, jax_x64, result, timed

SIDE, ETA, STEPS, T_END = 256, 0.01, 2000, 20.0
RTOL, ATOL = 1e-8, 1e-10
CHUNK = 1024
AXIS = -6.0 + 12.0 * np.arange(SIDE) / (SIDE - 1)
STARTS = np.stack(np.meshgrid(AXIS, AXIS), -1).reshape(-1, 2)  # row r, column c: (AXIS[c], AXIS[r])


def labels(p, minima):
    """Basin label per final point: index of the minimum within 0.1, 4 none, 5 non-finite."""
    d = np.linalg.norm(p[:, None, :] - minima[None, :, :], axis=-1)
    lab = np.where(d.min(1) < 0.1, d.argmin(1), 4)
    return np.where(np.isfinite(p).all(1), lab, 5)


def grad_np(x, y):
    a = x * x + y - 11.0
    b = x + y * y - 7.0
    return 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b


def main():
    ref = flowgap()["w3"]
    minima = np.asarray(ref["minima"])
    gd_ref, flow_ref = np.asarray(ref["gd_basins"]), np.asarray(ref["flow_basins"])
    which = sys.argv[1:] or ["numpy", "jax"]

    if "numpy" in which:
        def gd():
            x, y = STARTS[:, 0].copy(), STARTS[:, 1].copy()
            with np.errstate(all="ignore"):
                for _ in range(STEPS):
                    gx, gy = grad_np(x, y)
                    x, y = x - ETA * gx, y - ETA * gy
            return np.stack([x, y], 1)

        first, med, best, p = timed(gd, reps=3)
        lab_gd = labels(p, minima)
        result("W3 GD", "numpy (vectorised)", first, med, best,
               label_mismatch_vs_flowgap=float(np.mean(lab_gd != gd_ref)))
        subset = int(os.environ.get("FLOWGAP_W3_SUBSET", "256"))
        # Stride one more than N/subset, so the subset walks across columns as well as rows.
        idx = np.arange(0, len(STARTS), len(STARTS) // subset + 1)

        def flow_loop():
            out = np.empty((len(idx), 2))
            for i, s in enumerate(idx):
                sol = solve_ivp(lambda t, p: [-g for g in grad_np(p[0], p[1])], (0.0, T_END),
                                STARTS[s], method="RK45", rtol=RTOL, atol=ATOL)
                out[i] = sol.y[:, -1]
            return out

        first, med, best, p = timed(flow_loop, reps=1)
        scale = len(STARTS) / len(idx)
        lab_flow = labels(p, minima)
        result("W3 flow dopri5", f"scipy solve_ivp RK45 loop ({len(idx)} starts, scaled)", first * scale,
               med * scale, best * scale, label_mismatch_vs_flowgap=float(np.mean(lab_flow != flow_ref[idx])),
               disagreement_on_subset=float(np.mean(lab_flow != lab_gd[idx])))

    if "jax" in which:
        jax = jax_x64()
        import jax.numpy as jnp
        import diffrax

        def grad(p):
            x, y = p[0], p[1]
            gx, gy = grad_np(x, y)
            return jnp.stack([gx, gy])

        def gd_one(p):
            def step(p, _):
                return p - ETA * grad(p), None

            return jax.lax.scan(step, p, None, length=STEPS)[0]

        def flow_one(p):
            sol = diffrax.diffeqsolve(
                diffrax.ODETerm(lambda t, y, args: -grad(y)), diffrax.Dopri5(), t0=0.0, t1=T_END,
                dt0=None, y0=p, saveat=diffrax.SaveAt(t1=True),
                stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL), max_steps=100_000)
            return sol.ys[-1]

        def split(one, devices):
            """`one` over all starts: pmap over `devices` host devices of a lax.map over chunks of CHUNK
            starts, each chunk vmapped."""
            per = len(STARTS) // (devices * CHUNK)
            mapped = jax.pmap(lambda p: jax.lax.map(jax.vmap(one), p), devices=jax.devices()[:devices])
            return lambda p0: mapped(p0.reshape(devices, per, CHUNK, 2))

        p0 = jnp.asarray(STARTS)
        n_dev = min(JAX_DEVICES, len(jax.devices()))
        variants = [("jax (vmap, 1 device)", lambda one: jax.jit(jax.vmap(one)))]
        variants += [(f"jax (pmap {d} device{'s' if d > 1 else ''} x lax.map chunks {CHUNK})",
                      lambda one, d=d: split(one, d)) for d in sorted({1, n_dev})]
        for name, make in variants:
            gd = make(gd_one)
            first, med, best, p = timed(lambda: gd(p0), reps=3, block=lambda r: r.block_until_ready())
            lab_gd = labels(np.asarray(p).reshape(-1, 2), minima)
            result("W3 GD", name, first, med, best, devices=len(jax.devices()),
                   label_mismatch_vs_flowgap=float(np.mean(lab_gd != gd_ref)))
            flow = make(flow_one)
            first, med, best, p = timed(lambda: flow(p0), reps=3, block=lambda r: r.block_until_ready())
            lab_flow = labels(np.asarray(p).reshape(-1, 2), minima)
            result("W3 flow dopri5", f"{name} diffrax Dopri5", first, med, best,
                   label_mismatch_vs_flowgap=float(np.mean(lab_flow != flow_ref)),
                   disagreement=float(np.mean(lab_flow != lab_gd)), flowgap_disagreement=ref["disagreement"])


if __name__ == "__main__":
    main()
