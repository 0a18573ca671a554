//! Held-out evaluation (issue 21, part 4): accuracy against hand-computed cases; a test set equal to the
//! training set gives the training loss bit for bit; the recorded training loss is the objective's own
//! loss without weight decay; a seeded split has the documented sizes and is repeated by its seed; the
//! named scenario `held_out_two_moons` shows what its description says; and `flowgap plot` redraws the
//! `held_out` figure byte for byte from the saved CSV.

use flowgap::data::{Dataset, Task};
use flowgap::experiment::Report;
use flowgap::objective::activation::Activation;
use flowgap::objective::{Evaluate, LogisticRegression, Mlp, MlpConfig, MlpLoss, Parameterization};
use flowgap::scenario;
use nalgebra::DMatrix;
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs scenario text as if it were the file `scenarios/<name>.toml` (so `data/iris.csv` resolves).
fn run_in_scenarios(name: &str, text: &str) -> Report {
    let path = repo().join("scenarios").join(format!("{name}.toml"));
    scenario::parse(text, &path).unwrap().experiment.run()
}

/// Four one-feature samples with binary labels [1, 0, 0, 1].
fn four() -> Dataset {
    Dataset {
        x: DMatrix::from_row_slice(4, 1, &[1.0, -2.0, 3.0, 0.5]),
        y: DMatrix::from_row_slice(4, 1, &[1.0, 0.0, 0.0, 1.0]),
        task: Task::Binary,
    }
}

#[test]
fn accuracy_of_hand_worked_classifiers() {
    // Logistic regression, θ = (w, b) = (1, −1): z = x − 1 = 0, −3, 2, −0.5 → predicted 0, 0, 1, 0
    // (z = 0 is class 0) against 1, 0, 0, 1: only sample 2 is right → 1/4.
    let f = LogisticRegression::new(&four(), 0.0, true).unwrap();
    assert_eq!(f.accuracy(&[1.0, -1.0]), Some(0.25));
    // θ = (−1, 0.25): z = −0.75, 2.25, −2.75, −0.25 → 0, 1, 0, 0: sample 2 right → 1/4; θ = (0, 1): z = 1
    // everywhere → class 1 → samples 0 and 3 right → 1/2.
    assert_eq!(f.accuracy(&[-1.0, 0.25]), Some(0.25));
    assert_eq!(f.accuracy(&[0.0, 1.0]), Some(0.5));

    // A 1-1-1 identity network, θ = [w1, b1, w2, b2] = [2, 0, 1, −1]: z = 2x − 1 = 1, −5, 5, 0 →
    // 1, 0, 1, 0 against 1, 0, 0, 1 → 2/4.
    let config = |loss| MlpConfig {
        widths: vec![1, 1, 1],
        activation: Activation::Identity,
        loss,
        bias: true,
        parameterization: Parameterization::Standard,
    };
    let net = Mlp::new(config(MlpLoss::CrossEntropy), &four()).unwrap();
    assert_eq!(net.accuracy(&[2.0, 0.0, 1.0, -1.0]), Some(0.5));
    // Mean squared error is a regression loss: no accuracy.
    let net = Mlp::new(config(MlpLoss::Mse), &four()).unwrap();
    assert_eq!(net.accuracy(&[2.0, 0.0, 1.0, -1.0]), None);

    // Softmax over 3 classes, no bias, W = I (3 × 3): the predicted class is the largest feature.
    // Rows (3, 1, 0) → 0 (true 0, right); (0, 2, 2) → 1 (first of the tie; true 2, wrong); (1, 0, 4) → 2
    // (true 2, right) → 2/3.
    let three = Dataset {
        x: DMatrix::from_row_slice(3, 3, &[3.0, 1.0, 0.0, 0.0, 2.0, 2.0, 1.0, 0.0, 4.0]),
        y: DMatrix::from_row_slice(3, 3, &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]),
        task: Task::Multiclass { classes: 3 },
    };
    let f = LogisticRegression::new(&three, 0.0, false).unwrap();
    let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    assert_eq!(f.accuracy(&identity), Some(2.0 / 3.0));
}

/// logistic_iris with its `l2` replaced and a held-out part added to `[objective.data]`.
fn iris(l2: f64, held_out: &str) -> String {
    let text = std::fs::read_to_string(repo().join("scenarios/logistic_iris.toml")).unwrap();
    text.replacen("l2 = 0.01", &format!("l2 = {l2}"), 1)
        .replacen(
            "scale = \"standardize\"",
            &format!("scale = \"standardize\"\n{held_out}"),
            1,
        )
        .replacen("steps = 400", "steps = 40", 1)
}

#[test]
fn a_test_set_equal_to_the_training_set_gives_the_training_loss_bit_for_bit() {
    let report = run_in_scenarios("iris_same", &iris(0.0, "test_data = \"data/iris.csv\""));
    assert_eq!(report.held_out.len(), report.methods.len());
    for (m, h) in report.methods.iter().zip(&report.held_out) {
        assert_eq!(h.steps, m.trajectory.steps);
        assert_eq!(h.times, m.trajectory.times);
        for i in 0..h.len() {
            // Without weight decay the objective's loss is the data loss, and the test file is the
            // training file: three computations of one number, equal to the last bit.
            assert_eq!(
                h.test_loss[i].to_bits(),
                h.train_loss[i].to_bits(),
                "{} point {i}",
                m.id
            );
            assert_eq!(
                h.train_loss[i].to_bits(),
                m.trajectory.losses[i].to_bits(),
                "{} point {i}",
                m.id
            );
            assert_eq!(h.test_accuracy[i], h.train_accuracy[i]);
            // 150 flowers: the accuracy is a whole count over 150.
            let count = h.test_accuracy[i] * 150.0;
            assert!((count - count.round()).abs() < 1e-9, "{count}");
        }
    }
}

#[test]
fn the_held_out_losses_leave_the_weight_decay_out() {
    let lambda = 0.05;
    let report = run_in_scenarios("iris_decay", &iris(lambda, "test_data = \"data/iris.csv\""));
    let h = &report.held_out[0];
    let t = &report.methods[0].trajectory;
    for i in 0..h.len() {
        // logistic regression's own l2 is (λ/2)‖W‖², the 12 weights before the 3 biases.
        let w = &t.state(i)[..12];
        let penalty = 0.5 * lambda * w.iter().map(|x| x * x).sum::<f64>();
        let expect = t.losses[i] - penalty;
        assert!(
            (h.train_loss[i] - expect).abs() <= 1e-13 * t.losses[i],
            "point {i}"
        );
    }
}

#[test]
fn a_seeded_split_has_the_round_rule_sizes_and_repeats_by_seed() {
    let text = iris(0.0, "test_fraction = 0.3\nsplit_seed = 4");
    let a = run_in_scenarios("iris_split", &text);
    let record = &a.experiment.objective_settings["data"]["held_out"];
    // round(0.3 · 150) = 45 held out, 105 left to train on.
    assert_eq!(
        (record["train_samples"].as_u64(), record["test_samples"].as_u64()),
        (Some(105), Some(45))
    );
    let h = &a.held_out[0];
    let t = &a.methods[0].trajectory;
    // The objective trains on the 105 samples the training evaluator holds: the same loss bit for bit.
    for i in 0..h.len() {
        assert_eq!(h.train_loss[i].to_bits(), t.losses[i].to_bits());
        for (acc, n) in [(h.train_accuracy[i], 105.0), (h.test_accuracy[i], 45.0)] {
            assert!((acc * n - (acc * n).round()).abs() < 1e-9, "{acc} of {n}");
        }
    }
    let b = run_in_scenarios("iris_split", &text);
    assert_eq!(b.held_out, a.held_out, "the same seed gives the same split");
    let c = run_in_scenarios(
        "iris_split",
        &text.replacen("split_seed = 4", "split_seed = 5", 1),
    );
    assert_ne!(
        c.held_out[0].test_loss, a.held_out[0].test_loss,
        "another seed, another split"
    );
}

#[test]
fn held_out_two_moons_shows_what_its_description_says() {
    let report = scenario::load(&repo().join("scenarios/held_out_two_moons.toml"))
        .unwrap()
        .experiment
        .run();
    let record = &report.experiment.objective_settings["data"]["held_out"];
    assert_eq!(
        (record["train_samples"].as_u64(), record["test_samples"].as_u64()),
        (Some(150), Some(50))
    );
    let (gd, flow) = (&report.held_out[0], &report.held_out[1]);
    for (h, m) in [(gd, &report.methods[0]), (flow, &report.methods[1])] {
        let s = h.summary();
        let best = s.best_test_loss.unwrap();
        let i = h
            .steps
            .iter()
            .position(|&k| Some(k) == s.best_test_loss_step)
            .unwrap();
        // Overfitting: after the lowest test loss the training loss keeps falling (by half) while the test
        // loss rises (by more than half again) and the test accuracy drops.
        assert!(s.best_test_loss_t.unwrap() <= 20.0, "{s:?}");
        assert!(s.final_train_loss.unwrap() < 0.5 * h.train_loss[i], "{s:?}");
        assert!(s.final_test_loss.unwrap() > 1.5 * best, "{s:?}");
        assert!(s.final_test_accuracy.unwrap() < h.test_accuracy[i], "{s:?}");
        assert!(s.final_train_accuracy.unwrap() > s.final_test_accuracy.unwrap());
        // No weight decay: the training column is the run's own loss.
        assert_eq!(h.train_loss, m.trajectory.losses);
    }
    // GD at η = 0.5 overfits as its flow does: the test losses agree to 1% at every recorded point.
    for (a, b) in gd.test_loss.iter().zip(&flow.test_loss) {
        assert!((a - b).abs() <= 0.01 * b, "{a} vs {b}");
    }
}

#[test]
fn plot_redraws_the_held_out_figure_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo().join("scenarios").join("held_out_replot.toml");
    let text = iris(0.01, "test_fraction = 0.2\nsplit_seed = 1").replacen(
        "name = \"logistic_iris\"",
        "name = \"held_out_replot\"",
        1,
    );
    let text = match text.find("[output]") {
        Some(i) => format!(
            "{}[output]\nfigures = [\"held_out\", \"loss\"]\nformats = [\"png\", \"svg\"]\n",
            &text[..i]
        ),
        None => panic!("logistic_iris has an [output] table"),
    };
    // Parsed as if it sat beside the shipped scenarios, so that its relative data path resolves; the run
    // records that folder, where `flowgap plot` finds the data again.
    let parsed = scenario::parse(&text, &scenario).unwrap();
    let out = dir.path().join("out");
    let report = parsed.experiment.run();
    flowgap::output::write_report(&report, &parsed.output, &out, false).unwrap();
    let figures = out.join("figures");
    let read = |name: &str| std::fs::read(figures.join(name)).unwrap();
    let before = [read("held_out.png"), read("held_out.svg")];
    std::fs::remove_dir_all(&figures).unwrap();
    flowgap::replot::replot(&out, None, None).unwrap();
    assert!(
        read("held_out.png") == before[0],
        "held_out.png differs after replot"
    );
    assert!(
        read("held_out.svg") == before[1],
        "held_out.svg differs after replot"
    );
    // The saved CSV comes back as the run's records, bit for bit.
    for (m, h) in report.methods.iter().zip(&report.held_out) {
        let back = flowgap::formats::run_csv::read_held_out(&out.join("trajectories"), &m.id).unwrap();
        assert_eq!(&back, h);
    }
}
