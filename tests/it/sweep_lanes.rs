//! A sweep over initial points runs its GD methods through the lanes (`gd_record_lanes`); its rows must
//! be byte for byte the rows of each point run alone (`Plan::row`, which runs `flowgap::experiment::run`), with
//! diverging starts (non-finite, and over the bound at a recorded step), two GD methods, a continuous
//! model and a comparison, and whatever the thread count.

use flowgap::sweep::{run_sweep, Options, Plan, Shard, TABLE};
use std::path::Path;
use std::sync::atomic::AtomicBool;

/// Himmelblau with a step large enough for the box's outer starts to diverge: GD's stability limit
/// 2/η = 80 is below the sharpness ≈ 12x² there (56 of the 323 starts diverge). 294 steps
/// recorded every 7th, so divergence falls both on and between recorded steps.
const SCENARIO: &str = r#"
name = "sweep_lanes"
description = "Himmelblau basins with diverging starts"

[objective]
kind = "himmelblau"

[init]
point = [1.0, 1.0]

[run]
step_size = 0.025
steps = 294
record_every = 7
divergence_bound = 1e5

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "flow"
kind = "gradient_flow"
solver = "rk4"
dt = 0.01

[[method]]
id = "gd2"
kind = "gd"

[[compare]]
a = "gd"
b = "flow"
tolerance = 1e-2

[sweep]
init_grid = { x = "-5.5:5.5:19", y = "-5.5:5.5:17" }
tail = 4
"#;

#[test]
fn an_init_grid_sweep_gives_the_rows_of_single_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweep_lanes.toml");
    std::fs::write(&path, SCENARIO).unwrap();
    let plan = Plan::new(&path, &[]).unwrap();
    assert!(
        plan.uses_lanes(),
        "an init_grid sweep of Himmelblau takes the lanes"
    );
    let other = Plan::new(&path, &["run.step_size=0.01,0.02".to_string()]).unwrap();
    assert!(
        !other.uses_lanes(),
        "an axis other than the initial point: one row at a time"
    );
    let diverged = rows_of_single_runs(&plan, dir.path(), 19 * 17, "gd.termination");
    assert!(
        diverged > 10 && diverged < 19 * 17 - 10,
        "{diverged} of the starts diverged: both kinds covered"
    );
}

/// The same box with the flow on dopri5, which the sweep runs through the flow lanes
/// (`gradient_flow_lanes`), with a step budget too small for some starts (a named solver failure, lanes
/// refilled mid-batch) and GD diverging at others; each row must equal the point run alone through
/// `solve`. (A flow's loss only decreases, and the loader refuses a bound below L(θ₀), so no flow
/// diverges here; tests/it/flow_lanes.rs covers that ending.)
const FLOW_SCENARIO: &str = r#"
name = "sweep_flow_lanes"
description = "Himmelblau basins, GD and a dopri5 flow"

[objective]
kind = "himmelblau"

[init]
point = [1.0, 1.0]

[run]
step_size = 0.025
steps = 294
record_every = 7
divergence_bound = 1e5

[[method]]
id = "gd"
kind = "gd"

[[method]]
id = "flow"
kind = "gradient_flow"
solver = "dopri5"
rtol = 1e-8
atol = 1e-10
max_steps = 300

[[compare]]
a = "gd"
b = "flow"
tolerance = 1e-2

[sweep]
init_grid = { x = "-5.5:5.5:19", y = "-5.5:5.5:17" }
"#;

#[test]
fn an_init_grid_sweep_with_a_dopri5_flow_gives_the_rows_of_single_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sweep_flow_lanes.toml");
    std::fs::write(&path, FLOW_SCENARIO).unwrap();
    let plan = Plan::new(&path, &[]).unwrap();
    assert!(plan.uses_lanes());
    let out = dir.path().join("out");
    let options = Options {
        jobs: 2,
        shard: Shard::WHOLE,
        progress: false,
    };
    run_sweep(&plan, &out, options, &AtomicBool::new(false)).unwrap();
    let table = std::fs::read_to_string(out.join(TABLE)).unwrap();
    let header = table.lines().next().unwrap();
    let status = header.split(',').position(|c| c == "flow.termination").unwrap();
    let mut endings = std::collections::BTreeMap::<String, usize>::new();
    for (i, line) in table.lines().skip(1).enumerate() {
        let alone = plan.row(i as u64).unwrap().join(",");
        assert_eq!(
            line, alone,
            "row {i}: the sweep's row against the point run alone"
        );
        *endings
            .entry(line.split(',').nth(status).unwrap().to_string())
            .or_default() += 1;
    }
    // Both ways a flow lane ends here, each at more than a few starts.
    for name in ["completed", "solver_failed"] {
        assert!(
            endings.get(name).copied().unwrap_or(0) > 5,
            "flow endings {endings:?}"
        );
    }
}

/// Runs `plan`'s sweep on 1 and 2 jobs into `dir` and checks that it gives `rows` rows, the same table on
/// both, and that each row is byte for byte the row of its point run alone (`Plan::row`); returns how many
/// rows have `diverged` in the column `status`.
pub(super) fn rows_of_single_runs(plan: &Plan, dir: &Path, rows: u64, status: &str) -> usize {
    let mut tables = Vec::new();
    for jobs in [1, 2] {
        let out = dir.join(format!("out{jobs}"));
        let options = Options {
            jobs,
            shard: Shard::WHOLE,
            progress: false,
        };
        let outcome = run_sweep(plan, &out, options, &AtomicBool::new(false)).unwrap();
        assert_eq!(outcome.rows, rows);
        tables.push(std::fs::read_to_string(out.join(TABLE)).unwrap());
    }
    assert_eq!(tables[0], tables[1], "independent of --jobs");
    let header = tables[0].lines().next().unwrap();
    let column = header.split(',').position(|c| c == status).unwrap();
    let mut diverged = 0;
    for (i, line) in tables[0].lines().skip(1).enumerate() {
        let alone = plan.row(i as u64).unwrap().join(",");
        assert_eq!(
            line, alone,
            "row {i}: the sweep's row against the point run alone"
        );
        diverged += usize::from(line.split(',').nth(column) == Some("diverged"));
    }
    diverged
}
