//! A sweep over initial points runs its GD methods through the lanes (`gd_record_lanes`); its rows must
//! be byte for byte the rows of each point run alone (`Plan::row`, which runs `flowgap::experiment::run`), with
//! diverging starts (non-finite, and over the bound at a recorded step), two GD methods, a continuous
//! model and a comparison, and whatever the thread count.

use flowgap::sweep::{run_sweep, Options, Plan, Shard, TABLE};
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
    let mut tables = Vec::new();
    for jobs in [1, 2] {
        let out = dir.path().join(format!("out{jobs}"));
        let options = Options {
            jobs,
            shard: Shard::WHOLE,
            progress: false,
        };
        let outcome = run_sweep(&plan, &out, options, &AtomicBool::new(false)).unwrap();
        assert_eq!(outcome.rows, 19 * 17);
        tables.push(std::fs::read_to_string(out.join(TABLE)).unwrap());
    }
    assert_eq!(tables[0], tables[1], "independent of --jobs");
    let header = tables[0].lines().next().unwrap();
    let status = header.split(',').position(|c| c == "gd.termination").unwrap();
    let mut diverged = 0;
    for (i, line) in tables[0].lines().skip(1).enumerate() {
        let alone = plan.row(i as u64).unwrap().join(",");
        assert_eq!(
            line, alone,
            "row {i}: the sweep's row against the point run alone"
        );
        diverged += usize::from(line.split(',').nth(status) == Some("diverged"));
    }
    assert!(
        diverged > 10 && diverged < 19 * 17 - 10,
        "{diverged} of the starts diverged: both kinds covered"
    );
}
