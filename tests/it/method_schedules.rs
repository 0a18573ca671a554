//! A method's own learning-rate schedule (`[[method]] schedule = { … }`, issue 21 part 1): one method
//! scheduled beside others on the run's constant η. Checked against exact answers: its steps are the
//! product Π_j (I − η_j A) θ₀ at the exactly summed times while the unscheduled GD stays on t = kη; a
//! gradient flow given the same schedule is expm(−A t_k) θ₀ at those times; the same schedule given to
//! one method or to the whole run changes no bit; comparisons pair only methods on one schedule; and
//! summary.json, the sharpness CSV's threshold and the refusals say which method runs on which axis.

use super::quadratic_closed_form::rel_err;
use flowgap::experiment::Experiment;
use flowgap::method::MethodKind;
use flowgap::objective::Quadratic;
use flowgap::schedule::{Schedule, StepSizes};
use flowgap::{Termination, TimeGrid, Trajectory};
use nalgebra::{DMatrix, DVector};
use std::path::Path;

const ETA: f64 = 0.1;
const STEPS: u64 = 60;

/// A diagonal quadratic with eigenvalues 4 and 1 (2/η = 20 is far above both), GD on the run's η, GD and
/// gradient flow on their own cosine schedule, and gradient flow on the run's axis.
fn scenario(extra: &str) -> String {
    format!(
        "name = \"own\"\ndescription = \"d\"\n\
         [objective]\nkind = \"quadratic\"\neigenvalues = [4.0, 1.0]\n\
         [init]\npoint = [1.0, -0.5]\n\
         [run]\nstep_size = {ETA}\nsteps = {STEPS}\nrecord_every = 3\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n\
         [[method]]\nid = \"gd_cos\"\nkind = \"gd\"\n\
         schedule = {{ kind = \"cosine\", warmup_steps = 6, final_fraction = 0.1 }}\n\
         [[method]]\nid = \"flow_cos\"\nkind = \"gradient_flow\"\nrtol = 1e-12\natol = 1e-14\n\
         schedule = {{ kind = \"cosine\", warmup_steps = 6, final_fraction = 0.1 }}\n\
         [[method]]\nid = \"flow\"\nkind = \"gradient_flow\"\nrtol = 1e-12\natol = 1e-14\n\
         {extra}\n[output]\nfigures = []\n"
    )
}

fn cosine() -> Schedule {
    Schedule::Cosine {
        warmup_steps: 6,
        final_fraction: 0.1,
    }
}

fn parse(text: &str) -> flowgap::Result<flowgap::scenario::Scenario> {
    flowgap::scenario::parse(text, Path::new("own.toml"))
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn assert_same(a: &Trajectory, b: &Trajectory, what: &str) {
    assert_eq!(bits(&a.times), bits(&b.times), "{what}: times");
    assert_eq!(bits(&a.states), bits(&b.states), "{what}: states");
    assert_eq!(bits(&a.losses), bits(&b.losses), "{what}: losses");
}

#[test]
fn a_scheduled_method_beside_unscheduled_ones_follows_its_own_steps() {
    let s = parse(&scenario("")).unwrap();
    let grid = TimeGrid::new(ETA, STEPS, 3)
        .with_schedule(StepSizes::new(ETA, STEPS, cosine()).unwrap())
        .unwrap();
    let r = s.experiment.run();
    let a = DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 1.0]));
    let theta0 = DVector::from_vec(vec![1.0, -0.5]);

    // The scheduled GD: Π_j (I − η_j A) θ₀ at t_k = Σ_{j<k} η_j.
    let gd_cos = &r.method("gd_cos").unwrap().trajectory;
    assert_eq!(gd_cos.termination, Termination::Completed);
    let mut expected = theta0.clone();
    for k in 0..=STEPS {
        if k % 3 == 0 {
            let i = (k / 3) as usize;
            assert_eq!(gd_cos.times[i].to_bits(), grid.time_of_step(k).to_bits());
            let err = rel_err(gd_cos.state(i), expected.as_slice());
            assert!(err < 1e-13, "step {k}: {err:e}");
        }
        if k < STEPS {
            expected = (DMatrix::identity(2, 2) - &a * grid.step_size_at(k)) * expected;
        }
    }
    // The schedule really is not constant: the cosine ends at a tenth of η.
    assert!((grid.step_size_at(STEPS - 1) - 0.1 * ETA).abs() < 1e-3 * ETA);
    assert!(*gd_cos.times.last().unwrap() < 0.75 * STEPS as f64 * ETA);

    // The unscheduled GD stays on t = kη with (1 − ηλ)^k.
    let gd = &r.method("gd").unwrap().trajectory;
    for (i, &k) in gd.steps.iter().enumerate() {
        assert_eq!(gd.times[i], k as f64 * ETA);
        let want = [
            (1.0 - 4.0 * ETA).powi(k as i32),
            -0.5 * (1.0 - ETA).powi(k as i32),
        ];
        assert!(rel_err(gd.state(i), &want) < 1e-13, "step {k}");
    }

    // Each flow is e^{−λt}θ₀ at its own method's times.
    for (id, partner) in [("flow_cos", gd_cos), ("flow", gd)] {
        let f = &r.method(id).unwrap().trajectory;
        assert_eq!(
            bits(&f.times),
            bits(&partner.times),
            "{id}: recorded where its partner is"
        );
        for i in 0..f.len() {
            let t = f.times[i];
            let want = [(-4.0 * t).exp(), -0.5 * (-t).exp()];
            let err = rel_err(f.state(i), &want);
            assert!(err < 1e-9, "{id} at t = {t}: {err:e}");
        }
    }
}

#[test]
fn one_methods_schedule_is_the_runs_schedule_bit_for_bit() {
    // The same cosine given to one method, or to the whole run.
    let own = parse(&scenario("")).unwrap().experiment.run();
    let run_wide = parse(&format!(
        "name = \"run\"\ndescription = \"d\"\n\
         [objective]\nkind = \"quadratic\"\neigenvalues = [4.0, 1.0]\n\
         [init]\npoint = [1.0, -0.5]\n\
         [run]\nstep_size = {ETA}\nsteps = {STEPS}\nrecord_every = 3\n\
         schedule = {{ kind = \"cosine\", warmup_steps = 6, final_fraction = 0.1 }}\n\
         [[method]]\nid = \"gd_cos\"\nkind = \"gd\"\n\
         [[method]]\nid = \"flow_cos\"\nkind = \"gradient_flow\"\nrtol = 1e-12\natol = 1e-14\n\
         [output]\nfigures = []\n"
    ))
    .unwrap()
    .experiment
    .run();
    for id in ["gd_cos", "flow_cos"] {
        assert_same(
            &own.method(id).unwrap().trajectory,
            &run_wide.method(id).unwrap().trajectory,
            id,
        );
    }
    // And the builder's method_with_schedule is the file's.
    let built = Experiment::builder(Quadratic::new(
        DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 1.0])),
        vec![0.0, 0.0],
    ))
    .init(vec![1.0, -0.5])
    .step_size(ETA)
    .steps(STEPS)
    .record_every(3)
    .method("gd", MethodKind::Gd)
    .method_with_schedule("gd_cos", MethodKind::Gd, cosine())
    .build()
    .unwrap()
    .run();
    for id in ["gd", "gd_cos"] {
        assert_same(
            &own.method(id).unwrap().trajectory,
            &built.method(id).unwrap().trajectory,
            id,
        );
    }
}

#[test]
fn comparisons_pair_methods_on_one_schedule_only() {
    let ok = parse(&scenario(
        "[[compare]]\na = \"gd_cos\"\nb = \"flow_cos\"\n[[compare]]\na = \"gd\"\nb = \"flow\"\n",
    ))
    .unwrap();
    let r = ok.experiment.run();
    // Every recorded point pairs up: 21 of each.
    for c in &r.comparisons {
        assert_eq!(c.paired_points, 21, "{} vs {}", c.a, c.b);
    }
    let err = parse(&scenario("[[compare]]\na = \"gd_cos\"\nb = \"flow\"\n"))
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("different learning-rate schedules"), "{err}");
    assert!(err.contains("compare[0]"), "{err}");
    let built = Experiment::builder(Quadratic::new(
        DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 1.0])),
        vec![0.0, 0.0],
    ))
    .init(vec![1.0, -0.5])
    .method("gd", MethodKind::Gd)
    .method_with_schedule("gd_cos", MethodKind::Gd, cosine())
    .compare("gd", "gd_cos", 1e-3)
    .build();
    let err = built.err().expect("refused").to_string();
    assert!(err.contains("different learning-rate schedules"), "{err}");
}

#[test]
fn summary_and_sharpness_name_each_methods_axis() {
    let s = parse(&scenario("[diagnostics.sharpness]\nevery = 1\n")).unwrap();
    let output = s.output.clone();
    let r = s.experiment.run();
    let summary = serde_json::to_value(flowgap::output::summary(&r, &output)).unwrap();
    let method = |id: &str| {
        summary["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(method("gd")["time_map"], "k*eta");
    assert!(method("gd").get("schedule").is_none());
    let own = method("gd_cos");
    assert_eq!(own["time_map"], "sum_{j<k} eta_j");
    assert_eq!(own["schedule"]["kind"], "cosine");
    assert_eq!(own["schedule"]["warmup_steps"], 6);
    assert!((own["schedule"]["max_step_size"].as_f64().unwrap() - ETA).abs() < 1e-15);
    assert!(summary["scenario"]["run"].get("schedule").is_none());

    // The written threshold column is 2/η_k of the method's own schedule.
    let dir = tempfile::tempdir().unwrap();
    flowgap::output::write_report(&r, &output, dir.path(), false).unwrap();
    let sizes = StepSizes::new(ETA, STEPS, cosine()).unwrap();
    let csv = std::fs::read_to_string(dir.path().join("trajectories/gd_cos_sharpness.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (step, threshold) = (col("step"), col("threshold"));
    let mut rows = 0;
    for line in lines {
        let v: Vec<&str> = line.split(',').collect();
        let k: u64 = v[step].parse().unwrap();
        let th: f64 = v[threshold].parse().unwrap();
        assert_eq!(th, 2.0 / sizes.at(k), "step {k}");
        rows += 1;
    }
    assert_eq!(rows, 21);
}

#[test]
fn refusals_name_the_key_and_what_to_write() {
    let cases = [
        // A string is nesterov's momentum schedule.
        (
            "[[method]]\nid = \"x\"\nkind = \"gd\"\nschedule = \"cosine\"\n",
            "a learning-rate schedule is a table",
        ),
        // The schedule's own keys are checked as [run] schedule's are.
        (
            "[[method]]\nid = \"x\"\nkind = \"heavy_ball\"\nbeta = 0.5\nschedule = { kind = \"warmup\" }\n",
            "needs `warmup_steps`",
        ),
        (
            "[[method]]\nid = \"x\"\nkind = \"gd\"\nschedule = { kind = \"cosine\", warmup = 3 }\n",
            "warmup",
        ),
        (
            "[[method]]\nid = \"x\"\nkind = \"nesterov\"\nschedule = \"su_boyd_candes\"\n\
             [[method]]\nid = \"y\"\nkind = \"nesterov_ode\"\nschedule = { kind = \"warmup\", warmup_steps = 3 }\n",
            "cannot run with a learning-rate schedule",
        ),
    ];
    for (extra, expect) in cases {
        let err = parse(&scenario(extra)).err().expect(extra).to_string();
        assert!(err.contains(expect), "{extra}: {err}");
        assert!(err.contains("schedule"), "{extra}: {err}");
    }
    // nesterov keeps its momentum schedule names, and takes a table as its learning-rate schedule.
    let s = parse(&scenario(
        "[[method]]\nid = \"n\"\nkind = \"nesterov\"\nbeta = 0.5\n\
         schedule = { kind = \"cosine\", warmup_steps = 6, final_fraction = 0.1 }\n",
    ))
    .unwrap();
    let r = s.experiment.run();
    let n = &r.method("n").unwrap().trajectory;
    let gd_cos = &r.method("gd_cos").unwrap().trajectory;
    assert_eq!(bits(&n.times), bits(&gd_cos.times));
}
