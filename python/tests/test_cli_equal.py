"""The Python package's results are the CLI's: the same arrays bit for bit as the trajectory CSVs (written
in shortest round-trip form, so exact), summary.json equal as a dict, and Report.save writing the same
files byte for byte (timing.json, the wall times, aside)."""

import csv
import json
import pathlib
import subprocess

import numpy as np
import pytest

import flowgap

# Fast named scenarios that between them cover: a completed run and its flow, a divergence, a data file
# read relative to the scenario, momentum, and seeded ensembles (SGD, SME).
SCENARIOS = [
    "rosenbrock_valley",
    "quadratic_above_threshold",
    "logistic_iris",
    "heavy_ball_quadratic",
    "sgd_vs_sme_noisy_quadratic",
]


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [r[i] for r in body] for i, name in enumerate(header)}


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory, flowgap_bin, scenarios_dir):
    out = {}
    root = tmp_path_factory.mktemp("cli")
    for name in SCENARIOS:
        dir = root / name
        subprocess.run(
            [str(flowgap_bin), "--scenarios", str(scenarios_dir), "run", name, "--out", str(dir), "--quiet"],
            check=True,
            capture_output=True,
        )
        out[name] = dir
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_trajectories_equal_the_cli_csv_bit_for_bit(name, cli_runs, scenarios_dir):
    report = flowgap.run(name, scenarios_dir=scenarios_dir)
    for id in report.methods:
        cols = read_csv(cli_runs[name] / "trajectories" / f"{id}.csv")
        tr = report.trajectory(id)
        assert np.array_equal(tr.step, np.array(cols["step"], dtype=np.int64))
        for ours, theirs in [(tr.t, "t"), (tr.loss, "loss"), (tr.grad_norm, "grad_norm")]:
            assert np.array_equal(ours, np.array(cols[theirs], dtype=float), equal_nan=True), (id, theirs)
        for j in range(tr.theta.shape[1]):
            assert np.array_equal(tr.theta[:, j], np.array(cols[f"theta_{j}"], dtype=float)), (id, j)


@pytest.mark.parametrize("name", SCENARIOS)
def test_summary_equals_summary_json(name, cli_runs, scenarios_dir):
    report = flowgap.run(name, scenarios_dir=scenarios_dir)
    saved = json.loads((cli_runs[name] / "summary.json").read_text())
    assert report.summary == saved


@pytest.mark.parametrize("name", ["rosenbrock_valley", "quadratic_above_threshold"])
def test_save_writes_the_cli_folder_byte_for_byte(name, cli_runs, scenarios_dir, tmp_path):
    report = flowgap.run(name, scenarios_dir=scenarios_dir)
    ours = tmp_path / "py"
    written = report.save(ours)
    theirs = cli_runs[name]

    def files(root):
        return sorted(p.relative_to(root) for p in pathlib.Path(root).rglob("*") if p.is_file())

    assert files(ours) == files(theirs)
    assert len(written) > 0
    for rel in files(ours):
        if rel.name in ("timing.json", ".flowgap-manifest.json"):
            continue
        assert (ours / rel).read_bytes() == (theirs / rel).read_bytes(), rel


def test_comparison_matches_the_summary(scenarios_dir):
    report = flowgap.run("rosenbrock_valley", scenarios_dir=scenarios_dir)
    c = report.comparison("gd", "flow")
    s = report.summary["comparisons"][0]
    assert c.max_distance == s["max_distance"]
    assert c.departure_time == s["departure_time"]
    # The distance is the Euclidean norm of the difference at paired times (t_k = k·η on both).
    gd, flow = report.trajectory("gd"), report.trajectory("flow")
    assert np.array_equal(gd.t, flow.t)
    d = np.linalg.norm(gd.theta - flow.theta, axis=1)
    assert np.allclose(c.distance, d, rtol=1e-15, atol=0)
    # A pair the scenario does not compare is computed on request.
    back = report.comparison("flow", "gd")
    assert back.max_distance == c.max_distance


def test_figure_writes_the_named_file(scenarios_dir, tmp_path):
    report = flowgap.run("rosenbrock_valley", scenarios_dir=scenarios_dir)
    png = report.figure("loss", tmp_path / "my_loss.png")
    assert pathlib.Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = report.figure("distance", tmp_path / "d.svg")
    assert pathlib.Path(svg).read_text().lstrip().startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.svg", "my_loss.png"]
    with pytest.raises(ValueError, match="unknown figure"):
        report.figure("nope", tmp_path / "x.png")
    with pytest.raises(ValueError, match=".png or .svg"):
        report.figure("loss", tmp_path / "x.jpg")
