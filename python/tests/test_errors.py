"""Bad scenarios raise flowgap.ScenarioError with the key and, for files, the line: the CLI's messages."""

import subprocess

import pytest

import flowgap


def base():
    return {
        "name": "dict_case",
        "objective": {"kind": "quadratic", "eigenvalues": [4.0, 1.0]},
        "init": {"point": [1.0, 1.0]},
        "run": {"step_size": 0.1, "steps": 10},
        "method": [{"id": "gd", "kind": "gd"}],
    }


@pytest.mark.parametrize(
    "change, key, words",
    [
        (lambda d: d["run"].update(step_size=-1.0), "run.step_size", "> 0"),
        (lambda d: d["run"].update(stepz=3), "run", "stepz"),
        (lambda d: d["method"].append({"id": "gd", "kind": "gradient_flow"}), "method[1].id", "gd"),
        (lambda d: d["objective"].update(kind="nope"), "objective.kind", "unknown objective"),
        (lambda d: d["init"].update(point=[1.0, 2.0, 3.0]), "init.point", "3"),
        (lambda d: d.update(compare=[{"a": "gd", "b": "ghost"}]), "compare[0].b", "ghost"),
    ],
)
def test_bad_dicts_carry_the_key(change, key, words):
    d = base()
    change(d)
    with pytest.raises(flowgap.ScenarioError) as info:
        flowgap.run(d)
    e = info.value
    assert e.key is not None and e.key.startswith(key.split("[")[0]), (e.key, str(e))
    assert words in str(e)
    assert str(e).startswith("<dict>: ")
    assert e.line is None  # a dict has no lines
    assert isinstance(e, ValueError)


def test_values_a_scenario_cannot_hold_are_refused_with_their_key():
    d = base()
    d["run"]["step_size"] = object()
    with pytest.raises(flowgap.ScenarioError) as info:
        flowgap.run(d)
    assert info.value.key == "run.step_size"


def test_bad_file_has_the_cli_message_and_line(tmp_path, flowgap_bin):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\n[objective]\nkind = "quadratic"\neigenvalues = [1.0]\n[init]\npoint = [1.0]\n'
        "[run]\nstep_size = 0.1\nsteps = 0\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n"
    )
    with pytest.raises(flowgap.ScenarioError) as info:
        flowgap.run(path)
    e = info.value
    assert (e.key, e.line) == ("run.steps", 9)
    assert e.file.endswith("bad.toml")
    cli = subprocess.run([str(flowgap_bin), "run", str(path), "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert cli.returncode == 2
    assert cli.stderr.strip() == f"error: {e}"


def test_unknown_name():
    with pytest.raises(flowgap.ScenarioError, match="no scenario named `no_such_thing`"):
        flowgap.run("no_such_thing")


def test_save_refuses_an_occupied_folder(tmp_path, scenarios_dir):
    (tmp_path / "mine.txt").write_text("not flowgap's")
    report = flowgap.run("quadratic_below_threshold", scenarios_dir=scenarios_dir)
    with pytest.raises(flowgap.OutputError):
        report.save(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "not flowgap's"
