"""Time per gradient call: a 5-20-1 tanh network on 200 samples written in numpy and run by flowgap through
Python, against flowgap's built-in `mlp` of the same shape (141 parameters, the shape of the named scenario
mlp_teacher_student), and the bare cost of a call into Python (a callable returning a constant array).

Run from the repository root after installing the package: `python python/bench/overhead.py`.
"""

import sys
import time

import numpy as np

import flowgap

N, D_IN, HIDDEN = 200, 5, 20
DIM = HIDDEN * D_IN + 2 * HIDDEN + 1
STEPS = 4000


def tanh_net(x, y):
    n = len(y)

    def unpack(th):
        W1 = th[: HIDDEN * D_IN].reshape(HIDDEN, D_IN)
        b1 = th[HIDDEN * D_IN : HIDDEN * D_IN + HIDDEN]
        w2 = th[HIDDEN * D_IN + HIDDEN : HIDDEN * D_IN + 2 * HIDDEN]
        return W1, b1, w2, th[-1]

    def loss(th):
        W1, b1, w2, b2 = unpack(th)
        r = np.tanh(x @ W1.T + b1) @ w2 + b2 - y
        return 0.5 * np.mean(r * r)

    def grad(th):
        W1, b1, w2, b2 = unpack(th)
        h = np.tanh(x @ W1.T + b1)
        r = (h @ w2 + b2 - y) / n
        dz = np.outer(r, w2) * (1 - h * h)
        return np.concatenate([(dz.T @ x).ravel(), dz.sum(0), h.T @ r, [r.sum()]])

    return loss, grad


def gd_run(objective, theta0):
    return {
        "name": "overhead",
        "objective": objective,
        "init": {"point": list(theta0)} if not isinstance(theta0, dict) else theta0,
        "run": {"step_size": 0.05, "steps": STEPS, "record_every": STEPS},
        "method": [{"id": "gd", "kind": "gd"}],
        "output": {"figures": []},
    }


def per_grad(report):
    m = report.summary["methods"][0]
    return report.timing["methods"][0]["wall_seconds"] / m["grad_evals"]


def best_of(f, k=3):
    return min(f() for _ in range(k))


def main():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, D_IN))
    y = np.tanh(x @ rng.normal(size=D_IN))
    theta0 = rng.normal(size=DIM) / np.sqrt(D_IN)
    loss, grad = tanh_net(x, y)

    def bare_numpy():
        t = time.perf_counter()
        for _ in range(STEPS):
            grad(theta0)
        return (time.perf_counter() - t) / STEPS

    py_obj = flowgap.Objective(DIM, loss=loss, grad=grad)
    through_flowgap = best_of(lambda: per_grad(flowgap.run(gd_run(py_obj, theta0))))
    const = np.zeros(DIM)
    empty = flowgap.Objective(DIM, loss=lambda th: 0.0, grad=lambda th: const)
    crossing = best_of(lambda: per_grad(flowgap.run(gd_run(empty, theta0))))
    builtin = {
        "kind": "mlp",
        "widths": [D_IN, HIDDEN, 1],
        "activation": "tanh",
        "loss": "mse",
        "bias": True,
        "data": {"source": "teacher_student", "samples": N, "inputs": D_IN, "hidden": 5, "seed": 7},
    }
    builtin_per = best_of(lambda: per_grad(flowgap.run(gd_run(builtin, {"seed": 1, "scale": 1.0}))))
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {STEPS} GD steps, d = {DIM}, n = {N}")
    print(f"numpy gradient alone (no flowgap):       {bare_numpy() * 1e6:8.1f} µs per call")
    print(f"numpy net through flowgap (Python):      {through_flowgap * 1e6:8.1f} µs per gradient step")
    print(f"constant callable through flowgap:       {crossing * 1e6:8.1f} µs per gradient step")
    print(f"built-in mlp (Rust):                     {builtin_per * 1e6:8.1f} µs per gradient step")


if __name__ == "__main__":
    main()
