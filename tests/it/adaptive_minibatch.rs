//! Adaptive methods on minibatches (`kind = "sgd"` with `optimizer`), through SGD's ensemble machinery:
//! - with the whole set as every batch (B = n, without replacement) one path is the full-batch method,
//!   bit for bit (Adam and RMSProp with momentum);
//! - Adam's first bias-corrected step is m̂₁/(√v̂₁ + ε) = g/(|g| + ε) per coordinate whatever the batch, so
//!   |θ₁ − θ₀| = η·|g_B|/(|g_B| + ε) ≈ η in every coordinate, worked here from the formula;
//! - the same seed gives the same bits, another seed another path; summary.json names the optimizer.

use flowgap::experiment::Report;
use flowgap::scenario::parse;
use std::path::Path;

fn run_toml(src: &str) -> Report {
    parse(src, Path::new("test.toml"))
        .expect("valid scenario")
        .experiment
        .run()
}

/// A 3-4-1 tanh mlp on 20 teacher-student samples, 40 steps of η = 0.01, every step recorded.
const NET: &str = "name = \"mb\"\n[objective]\nkind = \"mlp\"\nwidths = [3, 4, 1]\nactivation = \"tanh\"\n\
    [objective.data]\nsource = \"teacher_student\"\nsamples = 20\ninputs = 3\nhidden = 2\nseed = 3\n\
    [init]\nseed = 1\n[run]\nstep_size = 0.01\nsteps = 40\n";

#[test]
fn the_whole_set_as_every_batch_is_the_full_batch_method_bit_for_bit() {
    for (full, keys) in [
        (
            "kind = \"adam\"\nbeta2 = 0.99",
            "optimizer = \"adam\"\nbeta2 = 0.99",
        ),
        (
            "kind = \"rmsprop\"\nmomentum = 0.5\nnu_start = \"gradient_squared\"",
            "optimizer = \"rmsprop\"\nmomentum = 0.5\nnu_start = \"gradient_squared\"",
        ),
    ] {
        let r = run_toml(&format!(
            "{NET}[[method]]\nid = \"full\"\n{full}\n\
             [[method]]\nid = \"batch\"\nkind = \"sgd\"\nbatch_size = 20\nsampling = \"without_replacement\"\n\
             paths = 1\nseed = 9\n{keys}\n"
        ));
        let a = &r.method("full").unwrap().trajectory;
        let b = &r.method("batch").unwrap().trajectory;
        assert_eq!(a.steps, b.steps);
        assert!(a.states == b.states, "{full}: the paths differ");
        assert!(a.losses == b.losses, "{full}: the losses differ");
        assert!(r.method("batch").unwrap().ensemble.is_some());
    }
}

#[test]
fn adams_first_minibatch_step_moves_every_coordinate_by_eta_g_over_abs_g_plus_eps() {
    // m̂₁ = g_B and v̂₁ = g_B² after bias correction, so θ₁ − θ₀ = −η·g_B/(|g_B| + ε) per coordinate: with
    // ε = 1e-12 every coordinate moves by η (to 1e-6: |g_B| ≫ 1e-6 here), with ε = 1e-3 by less than η and
    // visibly so in some coordinate. Plain SGD's first step η·g_B has no such bound.
    let eta = 0.01;
    for (eps, all_eta) in [(1e-12, true), (1e-3, false)] {
        let r = run_toml(&format!(
            "{NET}[[method]]\nid = \"adam\"\nkind = \"sgd\"\noptimizer = \"adam\"\neps = {eps}\n\
             batch_size = 4\npaths = 1\nseed = 5\n"
        ));
        let t = &r.method("adam").unwrap().trajectory;
        let (theta0, theta1) = (t.state(0), t.state(1));
        let mut short = 0;
        for (a, b) in theta0.iter().zip(theta1) {
            let u = (b - a).abs() / eta;
            assert!(u < 1.0 + 1e-12, "a first Adam step of {u}·η");
            if all_eta {
                assert!((u - 1.0).abs() <= 1e-6, "ε = {eps}: a first step of {u}·η");
            }
            short += usize::from(u < 0.999);
        }
        assert_eq!(short > 0, !all_eta, "ε = {eps}");
    }
}

#[test]
fn the_same_seed_gives_the_same_bits_and_another_seed_another_path() {
    let run = |seed: u64| {
        run_toml(&format!(
            "{NET}[[method]]\nid = \"adam\"\nkind = \"sgd\"\noptimizer = \"adam\"\nbatch_size = 4\n\
             paths = 3\nseed = {seed}\n"
        ))
    };
    let (a, b, c) = (run(1), run(1), run(2));
    let states = |r: &Report| r.method("adam").unwrap().trajectory.states.clone();
    assert!(states(&a) == states(&b));
    assert!(states(&a) != states(&c));
    let e = a.method("adam").unwrap().ensemble.as_ref().unwrap();
    assert_eq!(e.paths, 3);
    let kind = serde_json::to_value(&a.experiment.methods[0].kind).unwrap();
    assert_eq!(kind["kind"], "sgd");
    assert_eq!(kind["optimizer"], "adam");
    assert_eq!(kind["beta1"], 0.9);
    // No threshold on λ_max(H) for it; Adam's on the preconditioned sharpness.
    let m = &a.experiment.methods[0].kind;
    assert_eq!(m.stability_threshold(0.01), None);
    assert!((m.preconditioned_threshold(0.01).unwrap() - 3800.0).abs() < 1e-9);
}
