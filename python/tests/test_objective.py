"""Objectives written in Python: a numpy quadratic against the built-in one, exceptions, shapes,
non-finite values, a missing hvp, a tanh network through GD, the flow and sharpness tracking, and JAX."""

import traceback

import numpy as np
import pytest

import flowgap

EIG = np.array([10.0, 3.0, 1.0])
# A rotated quadratic, so that every entry of A matters: A = Q diag(EIG) Qᵀ.
Q, _ = np.linalg.qr(np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0], [1.5, 0.2, -0.7]]))
A = Q @ np.diag(EIG) @ Q.T
A = 0.5 * (A + A.T)
THETA0 = [1.0, -0.5, 2.0]


def numpy_quadratic(**kw):
    return flowgap.Objective(
        3, loss=lambda th: 0.5 * th @ A @ th, grad=lambda th: A @ th, hvp=lambda th, v: A @ v, **kw
    )


def scenario(objective, methods, steps=200, eta=0.05, **extra):
    d = {
        "name": "py_quadratic",
        "objective": objective,
        "init": {"point": THETA0},
        "run": {"step_size": eta, "steps": steps},
        "method": methods,
        "output": {"figures": []},
    }
    d.update(extra)
    return d


METHODS = [
    {"id": "gd", "kind": "gd"},
    {"id": "flow", "kind": "gradient_flow", "solver": "dop853", "rtol": 1e-12, "atol": 1e-14},
    {"id": "hb", "kind": "heavy_ball", "beta": 0.5},
    {"id": "mod", "kind": "modified_flow", "order": 1, "rtol": 1e-12, "atol": 1e-14},
]


def test_numpy_quadratic_reproduces_the_builtin_quadratic():
    builtin = {"kind": "quadratic", "matrix": A.tolist()}
    ours = flowgap.run(scenario(numpy_quadratic(), METHODS, compare=[{"a": "gd", "b": "flow"}]))
    theirs = flowgap.run(scenario(builtin, METHODS, compare=[{"a": "gd", "b": "flow"}]))
    for id in ("gd", "flow", "hb", "mod"):
        a, b = ours.trajectory(id), theirs.trajectory(id)
        assert np.array_equal(a.t, b.t)
        scale = np.abs(b.theta).max()
        assert np.abs(a.theta - b.theta).max() <= 1e-12 * scale, id
        assert np.allclose(a.loss, b.loss, rtol=1e-12, atol=1e-300), id
    # And both are the closed forms: GD is (I − ηA)^k θ₀, the flow expm(−At)θ₀ (dop853 at rtol 1e-12).
    gd, flow = ours.trajectory("gd"), ours.trajectory("flow")
    M = np.eye(3) - 0.05 * A
    expect, x = [], np.array(THETA0)
    for _ in range(len(gd)):
        expect.append(x)
        x = M @ x
    assert np.allclose(gd.theta, np.array(expect), rtol=1e-12, atol=1e-14)
    exact = np.array([Q @ (np.exp(-EIG * t) * (Q.T @ THETA0)) for t in flow.t])
    assert np.abs(flow.theta - exact).max() < 1e-9
    assert ours.summary["scenario"]["objective"] == {"kind": "python", "dim": 3}


class Boom(Exception):
    pass


def test_an_exception_in_a_callable_ends_the_run_with_it():
    calls = {"n": 0}

    def grad(th):
        calls["n"] += 1
        if calls["n"] == 50:
            raise Boom("the user's own error")
        return A @ th

    obj = flowgap.Objective(3, loss=lambda th: 0.5 * th @ A @ th, grad=grad)
    with pytest.raises(Boom, match="the user's own error") as info:
        flowgap.run(scenario(obj, METHODS[:2]))
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert "grad" in frames  # the traceback reaches into the callable
    # The run stopped at the failure: no further calls after it.
    assert calls["n"] == 50
    # The objective is usable again afterwards.
    calls["n"] = 10**9
    report = flowgap.run(scenario(obj, METHODS[:1], steps=5))
    assert report.trajectory("gd").termination["status"] == "completed"


def test_an_exception_at_the_initial_point_is_raised_not_reported_as_a_scenario_error():
    def loss(th):
        raise KeyError("at θ₀")

    obj = flowgap.Objective(3, loss=loss, grad=lambda th: A @ th)
    with pytest.raises(KeyError):
        flowgap.run(scenario(obj, METHODS[:1]))


def test_an_exception_in_hvp_during_diagnostics():
    def hvp(th, v):
        raise Boom("hvp failed")

    obj = flowgap.Objective(3, loss=lambda th: 0.5 * th @ A @ th, grad=lambda th: A @ th, hvp=hvp)
    with pytest.raises(Boom):
        flowgap.run(scenario(obj, METHODS[:1], diagnostics={"sharpness": {"every": 10}}))


@pytest.mark.parametrize(
    "grad, words",
    [
        (lambda th: np.zeros(4), "shape (3,); it returned shape (4,)"),
        (lambda th: np.zeros((3, 1)), "shape (3,); it returned shape (3, 1)"),
        (lambda th: "abc", "numpy cannot read"),
        (lambda th: np.array([1.0, np.nan, 0.0]), "returned NaN in entry 1"),
    ],
)
def test_wrong_shapes_and_nonfinite_values_are_clear_errors(grad, words):
    obj = flowgap.Objective(3, loss=lambda th: 0.0, grad=grad)
    with pytest.raises((flowgap.ObjectiveError, TypeError), match=words.replace("(", r"\(").replace(")", r"\)")):
        flowgap.run(scenario(obj, METHODS[:1]))


def test_lists_and_other_dtypes_are_read_through_numpy():
    obj = flowgap.Objective(3, loss=lambda th: float(0.5 * th @ A @ th), grad=lambda th: list(A @ th))
    ref = flowgap.run(scenario(numpy_quadratic(), METHODS[:1]))
    got = flowgap.run(scenario(obj, METHODS[:1]))
    assert np.array_equal(got.trajectory("gd").theta, ref.trajectory("gd").theta)


def test_nonfinite_diverge_records_a_divergence_like_a_builtin_objective():
    # η above 2/λ_max: GD grows until the loss overflows.
    obj = numpy_quadratic(nonfinite="diverge")
    report = flowgap.run(scenario(obj, METHODS[:1], steps=5000, eta=0.25))
    assert report.trajectory("gd").termination["status"] == "diverged"
    builtin = flowgap.run(scenario({"kind": "quadratic", "matrix": A.tolist()}, METHODS[:1], steps=5000, eta=0.25))
    assert report.trajectory("gd").termination == builtin.trajectory("gd").termination


def test_without_hvp_the_methods_that_need_it_refuse_clearly():
    obj = flowgap.Objective(3, loss=lambda th: 0.5 * th @ A @ th, grad=lambda th: A @ th)
    with pytest.raises(flowgap.ObjectiveError, match="has no hvp"):
        flowgap.run(scenario(obj, [METHODS[3]]))
    with pytest.raises(flowgap.ObjectiveError, match="has no hvp"):
        flowgap.run(scenario(obj, METHODS[:1], diagnostics={"sharpness": {"every": 10}}))
    # Methods that need only the gradient run.
    assert flowgap.run(scenario(obj, METHODS[:3])).methods == ["gd", "flow", "hb"]
    # Finite differences on request: sharpness of the quadratic is λ_max.
    fd = flowgap.Objective(3, loss=lambda th: 0.5 * th @ A @ th, grad=lambda th: A @ th, hvp="finite_differences")
    report = flowgap.run(scenario(fd, METHODS[:1], diagnostics={"sharpness": {"every": 10}}))
    sharp = report.summary["methods"][0]["diagnostics"]["sharpness"]
    assert abs(sharp["max_lambda_1"] - EIG[0]) < 1e-6 * EIG[0]


def test_bad_objective_arguments():
    with pytest.raises(TypeError, match="loss must be callable"):
        flowgap.Objective(2, loss=3, grad=lambda th: th)
    with pytest.raises(TypeError, match="hvp must be"):
        flowgap.Objective(2, loss=lambda th: 0.0, grad=lambda th: th, hvp="exact")
    with pytest.raises(ValueError, match="nonfinite"):
        flowgap.Objective(2, loss=lambda th: 0.0, grad=lambda th: th, nonfinite="ignore")


def tanh_net(x, y, hidden):
    """L(θ) = (1/2n)Σ(f(x_i) − y_i)² for f(x) = w₂ᵀ tanh(W₁x + b₁) + b₂, with its gradient and an exact
    Hessian-vector product (forward-over-reverse by hand)."""
    n, d_in = x.shape
    sizes = [(hidden, d_in), (hidden,), (hidden,), ()]
    dim = hidden * d_in + 2 * hidden + 1

    def unpack(th):
        W1 = th[: hidden * d_in].reshape(hidden, d_in)
        b1 = th[hidden * d_in : hidden * d_in + hidden]
        w2 = th[hidden * d_in + hidden : hidden * d_in + 2 * hidden]
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

    return dim, loss, grad


def test_a_tanh_network_runs_gd_the_flow_and_sharpness_tracking(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1]
    dim, loss, grad = tanh_net(x, y, 8)
    theta0 = rng.normal(size=dim) / np.sqrt(3)
    # The gradient is right (central differences).
    e = np.zeros(dim)
    fd = []
    for i in range(dim):
        e[:] = 0
        e[i] = 1e-6
        fd.append((loss(theta0 + e) - loss(theta0 - e)) / 2e-6)
    assert np.allclose(grad(theta0), fd, rtol=1e-5, atol=1e-8)
    obj = flowgap.Objective(dim, loss=loss, grad=grad, hvp="finite_differences")
    report = flowgap.run(
        {
            "name": "py_tanh_net",
            "objective": obj,
            "init": {"point": theta0.tolist()},
            "run": {"step_size": 0.05, "steps": 400, "record_every": 4},
            "method": [
                {"id": "gd", "kind": "gd"},
                {"id": "flow", "kind": "gradient_flow", "rtol": 1e-8, "atol": 1e-10},
            ],
            "compare": [{"a": "gd", "b": "flow"}],
            "diagnostics": {"sharpness": {"every": 20}},
            "output": {"figures": ["loss", "distance", "sharpness"]},
        }
    )
    gd, flow = report.trajectory("gd"), report.trajectory("flow")
    assert gd.loss[-1] < 0.5 * gd.loss[0] and flow.loss[-1] < 0.5 * flow.loss[0]
    # At η·λ₁ well below 2, GD tracks the flow to O(η).
    assert report.comparison("gd", "flow").max_distance < 0.05
    sharp = report.summary["methods"][0]["diagnostics"]["sharpness"]
    assert 0 < sharp["max_lambda_1"] < 2 / 0.05
    assert obj.calls["grad"] > 400
    for kind in ("loss", "distance", "sharpness"):
        png = tmp_path / f"{kind}.png"
        report.figure(kind, png)
        assert png.read_bytes()[:4] == b"\x89PNG"


def test_figures_of_a_python_objective_and_an_exception_while_drawing(tmp_path):
    A2 = np.diag([4.0, 1.0])
    state = {"fail": False}

    def loss(th):
        if state["fail"]:
            raise Boom("loss failed while drawing")
        return 0.5 * th @ A2 @ th

    obj = flowgap.Objective(2, loss=loss, grad=lambda th: A2 @ th)
    d = scenario(obj, METHODS[:2], steps=50)
    d["init"] = {"point": [1.0, 1.0]}
    report = flowgap.run(d)
    # The phase portrait samples the loss on a lattice: through the Python callable.
    before = obj.calls["loss"]
    report.figure("phase_portrait", tmp_path / "portrait.png")
    assert obj.calls["loss"] > before
    assert (tmp_path / "portrait.png").read_bytes()[:4] == b"\x89PNG"
    state["fail"] = True
    with pytest.raises(Boom):
        report.figure("phase_portrait", tmp_path / "again.png")
    assert not (tmp_path / "again.png").exists()


def test_jax_objective():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = pytest.importorskip("jax.numpy")
    A_j = jnp.asarray(A)
    f = jax.jit(lambda th: 0.5 * th @ A_j @ th)
    g = jax.jit(jax.grad(f))
    h = jax.jit(lambda th, v: jax.jvp(g, (th,), (v,))[1])
    obj = flowgap.Objective(3, loss=f, grad=g, hvp=h)
    ours = flowgap.run(scenario(obj, METHODS))
    ref = flowgap.run(scenario(numpy_quadratic(), METHODS))
    for id in ("gd", "flow", "mod"):
        assert np.abs(ours.trajectory(id).theta - ref.trajectory(id).theta).max() < 1e-12
