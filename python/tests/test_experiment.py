"""flowgap.Experiment built in code and flowgap.sweep: the same runs as the scenario files and the CLI."""

import csv
import subprocess

import numpy as np
import pytest

import flowgap


def test_an_experiment_equals_its_scenario_file(scenarios_dir):
    # scenarios/quadratic_below_threshold.toml, written in code.
    exp = flowgap.Experiment(
        {"kind": "quadratic", "eigenvalues": [100.0, 1.0]},
        init=[1.0, 1.0],
        step_size=0.0196,
        steps=500,
        methods=["gd", {"id": "flow", "kind": "gradient_flow", "solver": "dop853", "rtol": 1e-10, "atol": 1e-12}],
        compare=[("gd", "flow", 1e-2)],
        name="quadratic_below_threshold",
    )
    ours = exp.run()
    theirs = flowgap.run("quadratic_below_threshold", scenarios_dir=scenarios_dir)
    for id in ("gd", "flow"):
        assert np.array_equal(ours.trajectory(id).theta, theirs.trajectory(id).theta)
        assert np.array_equal(ours.trajectory(id).loss, theirs.trajectory(id).loss)
    assert ours.comparison("gd", "flow") .max_distance == theirs.comparison("gd", "flow").max_distance
    assert flowgap.run(exp.to_dict()).trajectory("gd").theta.tolist() == ours.trajectory("gd").theta.tolist()


def test_an_experiment_with_a_python_objective_and_bad_values():
    A = np.diag([4.0, 1.0])
    obj = flowgap.Objective(2, loss=lambda th: 0.5 * th @ A @ th, grad=lambda th: A @ th, hvp=lambda th, v: A @ v)
    exp = flowgap.Experiment(obj, init=[1.0, 1.0], step_size=0.1, steps=50, methods=["gd", "gradient_flow"],
                             compare=[("gd", "gradient_flow")])
    report = exp.run()
    gd = report.trajectory("gd")
    # GD on a diagonal quadratic: θ_k = (1 − ηλ)^k θ₀ per coordinate.
    k = gd.step.astype(float)
    assert np.allclose(gd.theta, np.stack([0.6**k, 0.9**k], axis=1), rtol=1e-13, atol=0)
    with pytest.raises(flowgap.ScenarioError) as info:
        flowgap.Experiment(obj, init=[1.0, 1.0], step_size=0.1, steps=0, methods=["gd"]).run()
    assert info.value.key == "run.steps"
    with pytest.raises(flowgap.ScenarioError) as info:
        flowgap.Experiment(obj, init=[1.0, 1.0], step_size=0.1, steps=5, methods=[{"id": "gd", "kind": "gd", "bta": 1}]).run()
    assert "bta" in str(info.value)


def test_sweep_equals_the_cli_table_whatever_the_jobs(flowgap_bin, scenarios_dir, tmp_path):
    grid = ["run.step_size=0.001:0.004:4"]
    one = flowgap.sweep("rosenbrock_valley", grid, jobs=1, scenarios_dir=scenarios_dir)
    two = flowgap.sweep("rosenbrock_valley", {"run.step_size": "0.001:0.004:4"}, jobs=2, scenarios_dir=scenarios_dir)
    assert list(one) == list(two)
    for k in one:
        if isinstance(one[k], np.ndarray):
            assert np.array_equal(one[k], two[k], equal_nan=True), k
        else:
            assert one[k] == two[k], k
    out = tmp_path / "cli"
    subprocess.run(
        [str(flowgap_bin), "--scenarios", str(scenarios_dir), "sweep", "rosenbrock_valley", "--grid", grid[0],
         "--out", str(out), "--quiet"],
        check=True,
        capture_output=True,
    )
    with open(out / "sweep.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert list(one) == rows[0]
    for i, name in enumerate(rows[0]):
        col = [r[i] for r in rows[1:]]
        if isinstance(one[name], np.ndarray):
            assert np.array_equal(one[name], np.array([float(c) if c else np.nan for c in col]), equal_nan=True), name
        else:
            assert one[name] == col, name
    np.testing.assert_allclose(one["run.step_size"], [0.001, 0.002, 0.003, 0.004])
    # With an out folder the CLI's files stay.
    kept = flowgap.sweep("rosenbrock_valley", grid, out=tmp_path / "py", scenarios_dir=scenarios_dir)
    assert (tmp_path / "py" / "sweep.csv").read_bytes() == (out / "sweep.csv").read_bytes()
    assert any(f.endswith("sweep.csv") for f in kept.files)


def test_to_pandas(scenarios_dir):
    pd = pytest.importorskip("pandas")
    report = flowgap.run("rosenbrock_valley", scenarios_dir=scenarios_dir)
    frame = report.trajectory("gd").to_pandas()
    assert list(frame.columns) == ["step", "t", "loss", "grad_norm", "theta_0", "theta_1"]
    both = report.to_pandas()
    assert set(both["method"]) == {"gd", "flow"}
    assert isinstance(flowgap.sweep("rosenbrock_valley", ["run.step_size=0.001:0.002:2"], scenarios_dir=scenarios_dir).to_pandas(), pd.DataFrame)
