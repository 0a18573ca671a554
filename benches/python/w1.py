"""W1: Rosenbrock (a = 1, b = 100) from (−1.5, 2): 200,000 GD steps at η = 1e-4 (recording every 100th
iterate), and gradient flow to t = 20 at rtol 1e-10, atol 1e-12 sampled at t = 0, 0.01, …, 20.

numpy: GD as a plain Python loop over steps on a 2-vector (how one writes it; there is nothing to
vectorise over), flow by scipy.integrate.solve_ivp (DOP853 and RK45) with t_eval.
JAX: GD jit-compiled as lax.scan (outer scan over records, inner over 100 steps), flow by diffrax
(Dopri8 and Dopri5, PIDController with the same rtol/atol, SaveAt(ts=…)) jit-compiled.
"""
import sys

import numpy as np
from scipy.integrate import solve_ivp

from common import flowgap, jax_x64, rel, result, timed

ETA, STEPS, EVERY, T_END = 1e-4, 200_000, 100, 20.0
RTOL, ATOL = 1e-10, 1e-12
THETA0 = np.array([-1.5, 2.0])
TS = np.arange(STEPS // EVERY + 1) * (EVERY * ETA)


def grad_np(t):
    x, y = t
    v = y - x * x
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * v, 200.0 * v])


def gd_numpy():
    theta = THETA0.copy()
    rec = [theta.copy()]
    for k in range(1, STEPS + 1):
        theta = theta - ETA * grad_np(theta)
        if k % EVERY == 0:
            rec.append(theta.copy())
    return np.array(rec)


def flow_scipy(method):
    sol = solve_ivp(lambda t, y: -grad_np(y), (0.0, T_END), THETA0, method=method, rtol=RTOL,
                    atol=ATOL, t_eval=TS)
    return sol


def main():
    ref = flowgap()["w1"]
    which = sys.argv[1:] or ["numpy", "jax"]
    if "numpy" in which:
        first, med, best, rec = timed(gd_numpy, reps=3)
        result("W1 GD", "numpy", first, med, best, rel_err_final=rel(rec[-1], ref["gd_final"]))
        for key, method in [("dop853", "DOP853"), ("dopri5", "RK45")]:
            first, med, best, sol = timed(lambda: flow_scipy(method), reps=3)
            result(f"W1 flow {key}", f"scipy solve_ivp {method}", first, med, best, nfev=int(sol.nfev),
                   rel_err_final=rel(sol.y[:, -1], ref[f"flow_{key}_final"]))
    if "jax" in which:
        jax = jax_x64()
        import jax.numpy as jnp
        import diffrax

        def grad(t):
            x, y = t[0], t[1]
            v = y - x * x
            return jnp.stack([-2.0 * (1.0 - x) - 400.0 * x * v, 200.0 * v])

        @jax.jit
        def gd(theta0):
            def inner(th, _):
                return th - ETA * grad(th), None

            def outer(th, _):
                th, _ = jax.lax.scan(inner, th, None, length=EVERY)
                return th, th

            _, rec = jax.lax.scan(outer, theta0, None, length=STEPS // EVERY)
            return jnp.concatenate([theta0[None], rec])

        x0 = jnp.asarray(THETA0)
        first, med, best, rec = timed(lambda: gd(x0), block=lambda r: r.block_until_ready())
        result("W1 GD", "jax", first, med, best, rel_err_final=rel(np.asarray(rec[-1]), ref["gd_final"]))
        for key, solver in [("dop853", diffrax.Dopri8()), ("dopri5", diffrax.Dopri5())]:
            @jax.jit
            def flow(y0, solver=solver):
                sol = diffrax.diffeqsolve(
                    diffrax.ODETerm(lambda t, y, args: -grad(y)), solver, t0=0.0, t1=T_END, dt0=None,
                    y0=y0, saveat=diffrax.SaveAt(ts=jnp.asarray(TS)),
                    stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL),
                    max_steps=1_000_000)
                return sol.ys, sol.stats["num_steps"]

            first, med, best, (ys, nsteps) = timed(lambda: flow(x0),
                                                   block=lambda r: jax.block_until_ready(r))
            result(f"W1 flow {key}", f"jax diffrax {type(solver).__name__}", first, med, best,
                   steps=int(nsteps), rel_err_final=rel(np.asarray(ys[-1]), ref[f"flow_{key}_final"]))


if __name__ == "__main__":
    main()
