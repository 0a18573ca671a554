"""W2: teacher–student. 1000 samples × 20 inputs labelled by a 5-unit tanh teacher, a 20-50-1 tanh
student with biases (both layers trained), loss (1/2n)·Σ(f(x_i) − y_i)²: 2000 GD steps at η = 0.05
(recording every 10th), and gradient flow to t = 100 at rtol 1e-8, atol 1e-10 sampled every 0.5.

The data and the initial point are flowgap's (read from its dump), so final points can be compared.
numpy: hand-written backprop with matrix products (numpy's BLAS), GD as a Python loop, flow by
scipy.integrate.solve_ivp(RK45). JAX: jax.grad of the same loss, GD as a jit-compiled lax.scan, flow by
diffrax Dopri5 (PIDController, same rtol/atol, SaveAt at the same times), jit-compiled.
"""
import sys

import numpy as np
from scipy.integrate import solve_ivp

from common import REPS, flowgap, jax_x64, rel, result, timed

ETA, STEPS, EVERY, T_END = 0.05, 2000, 10, 100.0
RTOL, ATOL = 1e-8, 1e-10
P, H = 20, 50
TS = np.arange(STEPS // EVERY + 1) * (EVERY * ETA)
# numpy's W2 time varies by 1.5–2× from run to run on a VM (page faults on its large temporaries, see
# docs/performance.md): up to three timed runs, the median reported.
NUMPY_REPS = min(REPS, 3)


def split(theta):
    """flowgap's layout: W1 (50×20, row-major), b1 (50), W2 (1×50), b2 (1)."""
    w1 = theta[: H * P].reshape(H, P)
    b1 = theta[H * P: H * P + H]
    w2 = theta[H * P + H: H * P + 2 * H].reshape(1, H)
    b2 = theta[H * P + 2 * H:]
    return w1, b1, w2, b2


def main():
    ref = flowgap()["w2"]
    x = np.asarray(ref["x"]).reshape(-1, P)
    y = np.asarray(ref["y"]).reshape(-1, 1)
    n = x.shape[0]
    theta0 = np.asarray(ref["theta0"])
    which = sys.argv[1:] or ["numpy", "jax"]

    if "numpy" in which:
        def grad_np(theta):
            w1, b1, w2, b2 = split(theta)
            a = np.tanh(x @ w1.T + b1)
            r = (a @ w2.T + b2 - y) / n
            da = (r @ w2) * (1.0 - a * a)
            return np.concatenate([(da.T @ x).ravel(), da.sum(0), (r.T @ a).ravel(), r.sum(0)])

        def gd():
            th = theta0.copy()
            for _ in range(STEPS):
                th = th - ETA * grad_np(th)
            return th

        first, med, best, th = timed(gd, reps=NUMPY_REPS)
        result("W2 GD", "numpy", first, med, best, rel_err_final=rel(th, ref["gd_final"]))
        first, med, best, sol = timed(
            lambda: solve_ivp(lambda t, th: -grad_np(th), (0.0, T_END), theta0, method="RK45",
                              rtol=RTOL, atol=ATOL, t_eval=TS), reps=NUMPY_REPS)
        result("W2 flow dopri5", "scipy solve_ivp RK45", first, med, best, nfev=int(sol.nfev),
               rel_err_final=rel(sol.y[:, -1], ref["flow_dopri5_final"]))

        # What flowgap's flow returns: the states and, at each saved time, the loss and |∇L|.
        def loss_np(theta):
            w1, b1, w2, b2 = split(theta)
            r = np.tanh(x @ w1.T + b1) @ w2.T + b2 - y
            return 0.5 * float(np.mean(r * r))

        def flow_metrics():
            sol = solve_ivp(lambda t, th: -grad_np(th), (0.0, T_END), theta0, method="RK45",
                            rtol=RTOL, atol=ATOL, t_eval=TS)
            losses = [loss_np(th) for th in sol.y.T]
            norms = [np.linalg.norm(grad_np(th)) for th in sol.y.T]
            return sol, losses, norms

        first, med, best, (sol, _, _) = timed(flow_metrics, reps=NUMPY_REPS)
        result("W2 flow dopri5 + loss, |grad| at saved times", "scipy solve_ivp RK45", first, med, best,
               rel_err_final=rel(sol.y[:, -1], ref["flow_dopri5_final"]))

    if "jax" in which:
        jax = jax_x64()
        import jax.numpy as jnp
        import diffrax

        xj, yj = jnp.asarray(x), jnp.asarray(y)

        def loss(theta):
            w1, b1, w2, b2 = split(theta)
            r = jnp.tanh(xj @ w1.T + b1) @ w2.T + b2 - yj
            return 0.5 * jnp.mean(r * r)

        grad = jax.grad(loss)

        @jax.jit
        def gd(th0):
            def inner(th, _):
                return th - ETA * grad(th), None

            def outer(th, _):
                th, _ = jax.lax.scan(inner, th, None, length=EVERY)
                return th, th

            _, rec = jax.lax.scan(outer, th0, None, length=STEPS // EVERY)
            return rec

        t0 = jnp.asarray(theta0)
        first, med, best, rec = timed(lambda: gd(t0), block=lambda r: r.block_until_ready())
        result("W2 GD", "jax", first, med, best, rel_err_final=rel(np.asarray(rec[-1]), ref["gd_final"]))

        @jax.jit
        def flow(th0):
            sol = diffrax.diffeqsolve(
                diffrax.ODETerm(lambda t, th, args: -grad(th)), diffrax.Dopri5(), t0=0.0, t1=T_END,
                dt0=None, y0=th0, saveat=diffrax.SaveAt(ts=jnp.asarray(TS)),
                stepsize_controller=diffrax.PIDController(rtol=RTOL, atol=ATOL), max_steps=1_000_000)
            return sol.ys, sol.stats["num_steps"]

        first, med, best, (ys, nsteps) = timed(lambda: flow(t0), reps=3,
                                               block=lambda r: jax.block_until_ready(r))
        result("W2 flow dopri5", "jax diffrax Dopri5", first, med, best, steps=int(nsteps),
               rel_err_final=rel(np.asarray(ys[-1]), ref["flow_dopri5_final"]))

        # What flowgap's flow returns: the states and, at each saved time, the loss and |∇L| (vmapped).
        @jax.jit
        def flow_metrics(th0):
            ys, nsteps = flow(th0)
            losses, grads = jax.vmap(jax.value_and_grad(loss))(ys)
            return ys, losses, jnp.linalg.norm(grads, axis=1), nsteps

        first, med, best, (ys, _, _, nsteps) = timed(lambda: flow_metrics(t0), reps=3,
                                                     block=lambda r: jax.block_until_ready(r))
        result("W2 flow dopri5 + loss, |grad| at saved times", "jax diffrax Dopri5", first, med, best,
               steps=int(nsteps), rel_err_final=rel(np.asarray(ys[-1]), ref["flow_dopri5_final"]))


if __name__ == "__main__":
    main()
