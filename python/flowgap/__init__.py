"""flowgap from Python: run a training problem as discrete iterations and as continuous-time models on one
time axis, get the trajectories as numpy arrays, and save or draw them as the ``flowgap`` command does.

    >>> import flowgap
    >>> report = flowgap.run("rosenbrock_valley")
    >>> gd = report.trajectory("gd")
    >>> gd.t.shape, gd.theta.shape
    ((2001,), (2001, 2))

Everything numerical happens in the Rust library (the extension ``flowgap._flowgap``); this module only
shapes its answers into Python objects. The whole API: docs/python.md in the repository.
"""

import json
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from ._flowgap import (
    VERSION,
    FigureError,
    Objective,
    ObjectiveError,
    OutputError,
    ScenarioError,
    _Report,
    run_dict as _run_dict,
    run_file as _run_file,
    sweep_table as _sweep_table,
)

__version__ = VERSION
__all__ = [
    "run",
    "sweep",
    "Experiment",
    "Objective",
    "Report",
    "Trajectory",
    "Comparison",
    "SweepTable",
    "ScenarioError",
    "OutputError",
    "ObjectiveError",
    "FigureError",
]


def _pandas():
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas() needs pandas: pip install pandas") from e
    return pandas


class Trajectory:
    """One method's recorded path: ``t``, ``step``, ``loss``, ``grad_norm`` (length n) and ``theta`` (n, d),
    all numpy arrays; ``termination`` is a dict (``status``: completed, diverged, solver_failed, time_limit,
    with the step or time and the reason)."""

    __slots__ = ("id", "kind", "discrete", "t", "step", "loss", "grad_norm", "theta", "termination")

    def __init__(self, fields: Dict[str, Any]):
        self.id = fields["id"]
        self.kind = fields["kind"]
        self.discrete = fields["discrete"]
        self.t = fields["t"]
        self.step = fields["step"]
        self.loss = fields["loss"]
        self.grad_norm = fields["grad_norm"]
        self.theta = fields["theta"]
        self.termination = json.loads(fields["termination_json"])

    def __len__(self) -> int:
        return len(self.t)

    def to_pandas(self):
        """The trajectory as a DataFrame with the columns of its CSV file: step, t, loss, grad_norm,
        theta_0 … theta_{d-1}."""
        pd = _pandas()
        columns = {"step": self.step, "t": self.t, "loss": self.loss, "grad_norm": self.grad_norm}
        for j in range(self.theta.shape[1]):
            columns[f"theta_{j}"] = self.theta[:, j]
        return pd.DataFrame(columns)

    def __repr__(self) -> str:
        return (
            f"flowgap.Trajectory(id={self.id!r}, kind={self.kind!r}, points={len(self)}, "
            f"dim={self.theta.shape[1]}, termination={self.termination['status']!r})"
        )


class Comparison(dict):
    """Two methods paired by time: a dict with summary.json's comparison fields (max_distance,
    departure_time, …) and the arrays ``t``, ``distance`` and ``loss_gap``, also readable as attributes."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def to_pandas(self):
        """The paired points as a DataFrame: t, distance, loss_gap."""
        pd = _pandas()
        return pd.DataFrame({"t": self["t"], "distance": self["distance"], "loss_gap": self["loss_gap"]})


class Report:
    """A finished run. ``summary`` is summary.json as a dict; ``trajectory(id)``, ``comparison(a, b)`` give
    arrays; ``save(dir)`` writes the CLI's output folder; ``figure(kind, path)`` draws one figure."""

    def __init__(self, inner: _Report):
        self._inner = inner
        self._summary = None

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self._inner.name

    @property
    def methods(self) -> List[str]:
        """The method ids, in order."""
        return self._inner.methods

    def trajectory(self, id: str) -> Trajectory:
        """The recorded path of method ``id``."""
        return Trajectory(self._inner.trajectory(id))

    def comparison(self, a: str, b: str, tolerance: Optional[float] = None) -> Comparison:
        """Methods ``a`` and ``b`` paired by time: the scenario's comparison of that pair, or computed now
        (departure tolerance ``tolerance``, default 1e-3)."""
        return Comparison(self._inner.comparison(a, b, tolerance))

    @property
    def summary(self) -> Dict[str, Any]:
        """summary.json as a dict (equal to ``json.load`` of the file ``save`` writes)."""
        if self._summary is None:
            self._summary = json.loads(self._inner.summary_json())
        return self._summary

    @property
    def timing(self) -> Dict[str, Any]:
        """timing.json as a dict: each method's wall time in seconds."""
        return json.loads(self._inner.timing_json())

    def save(self, dir: Union[str, os.PathLike], force: bool = False) -> List[str]:
        """Writes the run's output folder (summary.json, timing.json, trajectories/, figures/, scenario.toml)
        as ``flowgap run --out dir`` does, under the same folder rules; returns the files written."""
        return [os.fspath(p) for p in self._inner.save(os.fspath(dir), force)]

    def figure(self, kind: str, path: Union[str, os.PathLike]) -> str:
        """Draws the figure ``kind`` (loss, distance, phase_portrait, …) into ``path`` (.png or .svg)."""
        return os.fspath(self._inner.figure(kind, os.fspath(path)))

    def to_pandas(self):
        """Every method's trajectory in one long DataFrame with a ``method`` column."""
        pd = _pandas()
        frames = []
        for id in self.methods:
            frame = self.trajectory(id).to_pandas()
            frame.insert(0, "method", id)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def __repr__(self) -> str:
        return f"flowgap.Report(name={self.name!r}, methods={self.methods!r})"


def _scenario_dict(d: Dict[str, Any]):
    """Splits a Python objective out of a scenario dict: (the dict for the loader, the objective)."""
    objective = d.get("objective")
    if isinstance(objective, Objective):
        d = dict(d)
        d["objective"] = {"kind": "python"}
        return d, objective
    return d, None


def run(
    scenario: Union[str, os.PathLike, Dict[str, Any], "Experiment"],
    *,
    scenarios_dir: Union[str, os.PathLike, None] = None,
    max_time: Optional[float] = None,
) -> Report:
    """Runs a scenario and returns its :class:`Report`.

    ``scenario`` is a named scenario (``"rosenbrock_valley"``), a path to a TOML file, a dict with a
    scenario file's keys (its ``"objective"`` may be a :class:`flowgap.Objective`), or an
    :class:`Experiment`. A bad scenario raises :class:`ScenarioError` (``.key``, ``.line``, ``.column``,
    ``.file``) with the CLI's message. ``max_time`` bounds each method's wall time in seconds (then
    ``time_limit``, as ``flowgap run --max-time``). Named scenarios are looked up in ``scenarios_dir``,
    else ``./scenarios``, else the repository the package was built from.
    """
    if isinstance(scenario, Experiment):
        scenario = scenario.to_dict()
    if isinstance(scenario, dict):
        d, objective = _scenario_dict(scenario)
        return Report(_run_dict(d, objective, max_time))
    if isinstance(scenario, (str, os.PathLike)):
        dir = None if scenarios_dir is None else os.fspath(scenarios_dir)
        return Report(_run_file(os.fspath(scenario), dir, max_time))
    raise TypeError(
        f"flowgap.run takes a scenario name, a path, a dict or a flowgap.Experiment; got {type(scenario).__name__}"
    )


class SweepTable(dict):
    """sweep.csv as a dict of columns: numbers as float64 arrays, text (terminations) as lists of str;
    ``files`` lists what was written when the sweep was given an ``out`` folder."""

    files: List[str] = []

    def to_pandas(self):
        """The table as a DataFrame, columns in sweep.csv's order."""
        return _pandas().DataFrame(dict(self))


def sweep(
    scenario: Union[str, os.PathLike],
    grid: Union[str, Sequence[str], Dict[str, str]],
    *,
    out: Union[str, os.PathLike, None] = None,
    jobs: Optional[int] = None,
    force: bool = False,
    scenarios_dir: Union[str, os.PathLike, None] = None,
) -> SweepTable:
    """Runs ``flowgap sweep`` over ``grid`` and returns its table, the same row for row whatever ``jobs``.

    ``grid`` holds the CLI's ``--grid`` strings (``"run.step_size=1e-4:3e-3:40:log"``), one per axis, or a
    dict ``{"run.step_size": "1e-4:3e-3:40:log"}``. Without ``out`` the sweep runs in a scratch folder that
    is removed; with it, that folder gets sweep.csv, summary.json and the sweep's figures, as the CLI writes.
    """
    if isinstance(grid, str):
        axes = [grid]
    elif isinstance(grid, dict):
        axes = [f"{k}={v}" for k, v in grid.items()]
    else:
        axes = list(grid)
    columns, files = _sweep_table(
        os.fspath(scenario),
        axes,
        None if out is None else os.fspath(out),
        jobs,
        force,
        None if scenarios_dir is None else os.fspath(scenarios_dir),
    )
    table = SweepTable(columns)
    table.files = [os.fspath(f) for f in files]
    return table


def _method_table(m: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
    if isinstance(m, str):
        return {"id": m, "kind": m}
    m = dict(m)
    m.setdefault("id", m.get("kind"))
    return m


def _compare_table(c: Union[Sequence[Any], Dict[str, Any]]) -> Dict[str, Any]:
    if isinstance(c, dict):
        return dict(c)
    c = list(c)
    if len(c) not in (2, 3):
        raise ValueError(f"a comparison is (a, b) or (a, b, tolerance); got {c!r}")
    table = {"a": c[0], "b": c[1]}
    if len(c) == 3:
        table["tolerance"] = c[2]
    return table


class Experiment:
    """An experiment built in code, as ``Experiment::builder`` in Rust: an objective (a
    :class:`flowgap.Objective` or a built-in kind's dict, e.g. ``{"kind": "rosenbrock"}``), θ₀, the time grid
    and the methods, comparisons and diagnostics.

    ``methods`` are kinds (``"gd"``, with the kind as id) or dicts with a ``[[method]]`` table's keys
    (``{"id": "flow", "kind": "gradient_flow", "rtol": 1e-10}``); ``compare`` holds ``(a, b)`` or
    ``(a, b, tolerance)`` pairs; ``diagnostics`` and ``output`` are the ``[diagnostics]`` and ``[output]``
    tables. Every value gets the checks a scenario file gets, and the same messages (with the key).
    """

    def __init__(
        self,
        objective: Union[Objective, Dict[str, Any]],
        init: Union[Sequence[float], Dict[str, Any]],
        step_size: float,
        steps: int,
        methods: Iterable[Union[str, Dict[str, Any]]],
        compare: Iterable[Union[Sequence[Any], Dict[str, Any]]] = (),
        diagnostics: Optional[Dict[str, Any]] = None,
        record_every: int = 1,
        divergence_bound: Optional[float] = None,
        name: str = "experiment",
        description: str = "",
        output: Optional[Dict[str, Any]] = None,
    ):
        self.objective = objective
        self.init = init
        self.step_size = step_size
        self.steps = steps
        self.methods = [_method_table(m) for m in methods]
        self.compare = [_compare_table(c) for c in compare]
        self.diagnostics = diagnostics
        self.record_every = record_every
        self.divergence_bound = divergence_bound
        self.name = name
        self.description = description
        self.output = output

    def to_dict(self) -> Dict[str, Any]:
        """The scenario dict this experiment stands for (a TOML file's keys)."""
        init = self.init if isinstance(self.init, dict) else {"point": list(self.init)}
        d: Dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "objective": self.objective,
            "init": init,
            "run": {
                "step_size": self.step_size,
                "steps": self.steps,
                "record_every": self.record_every,
                "divergence_bound": self.divergence_bound,
            },
            "method": self.methods,
            "compare": self.compare,
        }
        if self.diagnostics is not None:
            d["diagnostics"] = self.diagnostics
        # Without [output], figures are drawn only when asked for (Report.figure).
        d["output"] = self.output if self.output is not None else {"figures": []}
        return d

    def run(self, max_time: Optional[float] = None) -> Report:
        """Runs the experiment (see :func:`run`)."""
        return run(self, max_time=max_time)
