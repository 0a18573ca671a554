//! The preconditioned sharpness λ₁(P_i⁻¹H(θ_i)) of minibatch adaptive ensembles (`sgd` with an
//! `optimizer`), path by path, with its mean and spread over the paths:
//! - with the whole set as every batch (B = n, without replacement) every path is the full-batch method
//!   bit for bit, so each path's value, and hence the mean, equals the full-batch method's λ₁(P⁻¹H) bit for
//!   bit, with zero spread (same θ_k, same P_k, the same eigensolver calls in the same order; exact and
//!   Lanczos);
//! - on a diagonal quadratic H = diag(h), P⁻¹H is diagonal, so λ₁ = max_i h_i/p_i from each path's P
//!   (to 1e-12); the replayed paths average to the run's recorded ensemble mean, and the replayed P obeys
//!   RMSProp's recursion (√ν_k)² = β₂(√ν_{k−1})² + (1 − β₂)g_k² with g_k read back from the step.

use flowgap::experiment::Report;
use flowgap::method::MethodKind;
use flowgap::scenario::parse;
use flowgap::stochastic::replay_adaptive_paths;
use std::path::Path;

fn run_toml(src: &str) -> Report {
    parse(src, Path::new("test.toml"))
        .expect("valid scenario")
        .experiment
        .run()
}

/// A 3-4-1 tanh mlp on 20 teacher-student samples (d = 21), 40 steps of η = 0.01, every step recorded.
const NET: &str = "name = \"mb\"\n[objective]\nkind = \"mlp\"\nwidths = [3, 4, 1]\nactivation = \"tanh\"\n\
    [objective.data]\nsource = \"teacher_student\"\nsamples = 20\ninputs = 3\nhidden = 2\nseed = 3\n\
    [init]\nseed = 1\n[run]\nstep_size = 0.01\nsteps = 40\n";

#[test]
fn the_whole_set_as_every_batch_gives_the_full_batch_preconditioned_sharpness_bit_for_bit() {
    // d = 21: exact below exact_max_dim = 64, Lanczos (warm-started per path) with exact_max_dim = 8.
    for (eigen, method, keys) in [
        (
            "",
            "kind = \"adam\"\nbeta2 = 0.99",
            "optimizer = \"adam\"\nbeta2 = 0.99",
        ),
        (
            "exact_max_dim = 8\nlanczos_iterations = 21\n",
            "kind = \"adam\"\nbeta2 = 0.99",
            "optimizer = \"adam\"\nbeta2 = 0.99",
        ),
        (
            "",
            "kind = \"rmsprop\"\nmomentum = 0.5",
            "optimizer = \"rmsprop\"\nmomentum = 0.5",
        ),
    ] {
        let r = run_toml(&format!(
            "{NET}[[method]]\nid = \"full\"\n{method}\n\
             [[method]]\nid = \"batch\"\nkind = \"sgd\"\nbatch_size = 20\nsampling = \"without_replacement\"\n\
             paths = 3\nseed = 9\n{keys}\n\
             [diagnostics.sharpness]\nevery = 7\n{eigen}"
        ));
        let d = r.diagnostics.as_ref().unwrap();
        let s = |id: &str| d.method(id).unwrap().sharpness.as_ref().unwrap();
        let full = s("full").preconditioned.as_ref().expect("full-batch λ₁(P⁻¹H)");
        let batch = s("batch").preconditioned.as_ref().expect("ensemble λ₁(P⁻¹H)");
        assert_eq!(s("full").indices, s("batch").indices);
        assert_eq!(full.lambda_1.len(), 7, "samples at 0, 7, …, 35 and the last, 40");
        assert!(full.lambda_1.iter().all(|x| x.is_finite() && *x > 0.0));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&full.lambda_1), bits(&batch.lambda_1), "{method} {eigen}");
        assert_eq!(full.threshold, batch.threshold);
        let e = batch.ensemble.as_ref().expect("the spread over the paths");
        assert_eq!(e.paths, 3);
        assert!(e.alive.iter().all(|&n| n == 3));
        for (j, row) in e.per_path.chunks(3).enumerate() {
            assert_eq!(bits(row), vec![full.lambda_1[j].to_bits(); 3]);
        }
        assert!(e.std.iter().all(|&x| x == 0.0));
        assert_eq!(bits(&e.min), bits(&full.lambda_1));
        assert_eq!(bits(&e.max), bits(&full.lambda_1));
        // Three paths, each costing what the one full-batch run cost.
        assert_eq!(batch.hvps, 3 * full.hvps);
        // The edge-of-stability statistics are taken of the mean against Adam's/RMSProp's threshold.
        let eos = d.method("batch").unwrap().edge_of_stability.as_ref().unwrap();
        assert_eq!(eos.quantity, "preconditioned_sharpness");
    }
}

/// A noisy diagonal quadratic ½θᵀdiag(h)θ + N(0, I) gradient noise, `paths` paths of `keys`.
fn noisy_quadratic(keys: &str) -> Report {
    run_toml(&format!(
        "name = \"nq\"\n[objective]\nkind = \"noisy_quadratic\"\neigenvalues = [4.0, 1.0, 0.25]\n\
         noise_diagonal = [1.0, 1.0, 1.0]\n[init]\npoint = [1.0, -1.0, 2.0]\n\
         [run]\nstep_size = 0.05\nsteps = 30\n\
         [[method]]\nid = \"m\"\nkind = \"sgd\"\nbatch_size = 1\npaths = 5\nseed = 4\n{keys}\n\
         [diagnostics.sharpness]\nevery = 1\n"
    ))
}

#[test]
fn on_a_diagonal_quadratic_each_paths_value_is_max_h_over_p_from_its_own_preconditioner() {
    let h = [4.0, 1.0, 0.25];
    for keys in [
        "optimizer = \"adam\"\nbeta2 = 0.9",
        "optimizer = \"rmsprop\"\nbeta2 = 0.9\neps = 1e-3\nbias_correction = false",
    ] {
        let r = noisy_quadratic(keys);
        let x = &r.experiment;
        let MethodKind::Sgd(settings) = &x.methods[0].kind else {
            panic!("an sgd method")
        };
        let run = &r.method("m").unwrap().trajectory;
        let steps: Vec<u64> = run.steps.clone();
        let (m, n) = (settings.paths, steps.len());
        let mut p = vec![f64::NAN; n * m * 3];
        let mut theta = vec![f64::NAN; n * m * 3];
        let replayed = replay_adaptive_paths(
            x.objective.as_ref(),
            &x.init,
            &x.grid,
            settings,
            x.divergence_bound,
            &steps,
            |i, j, th, pk| {
                let at = (j * m + i) * 3;
                theta[at..at + 3].copy_from_slice(th);
                p[at..at + 3].copy_from_slice(pk);
            },
        );
        assert!(replayed.unwrap());
        let pre = r.diagnostics.as_ref().unwrap().method("m").unwrap();
        let pre = pre.sharpness.as_ref().unwrap().preconditioned.as_ref().unwrap();
        let e = pre.ensemble.as_ref().unwrap();
        let close = |a: f64, b: f64, tol: f64| (a - b).abs() <= tol * b.abs().max(1.0);
        let mut spread_seen = false;
        for j in 0..n {
            let closed: Vec<f64> = (0..m)
                .map(|i| {
                    let at = (j * m + i) * 3;
                    (0..3).map(|c| h[c] / p[at + c]).fold(f64::MIN, f64::max)
                })
                .collect();
            for (i, (&got, &want)) in e.per_path[j * m..(j + 1) * m].iter().zip(&closed).enumerate() {
                assert!(
                    close(got, want, 1e-12),
                    "{keys}: sample {j} path {i}: {got} against max h/p = {want}"
                );
            }
            let mean = closed.iter().sum::<f64>() / m as f64;
            let var = closed.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1) as f64;
            assert!(close(pre.lambda_1[j], mean, 1e-12));
            assert!(close(e.std[j], var.sqrt(), 1e-9));
            spread_seen |= e.std[j] > 1e-3 * mean;
            // The replayed paths are the run's: they average to its recorded ensemble mean.
            for c in 0..3 {
                let avg = (0..m).map(|i| theta[(j * m + i) * 3 + c]).sum::<f64>() / m as f64;
                assert!(close(avg, run.state(j)[c], 1e-12), "{keys}: sample {j}");
            }
        }
        assert!(spread_seen, "{keys}: the noise should spread the paths' P");
        if keys.contains("rmsprop") {
            // P_k = √ν_k + ε (no bias correction, no momentum) with ν_k = β₂ν_{k−1} + (1 − β₂)g_k² and
            // θ_{k+1} = θ_k − ηg_k/P_k, so g_k = P_k(θ_k − θ_{k+1})/η.
            let (beta2, eps, eta) = (0.9, 1e-3, 0.05);
            for i in 0..m {
                for j in 1..n - 1 {
                    for c in 0..3 {
                        let at = |j: usize| (j * m + i) * 3 + c;
                        let g = p[at(j)] * (theta[at(j)] - theta[at(j + 1)]) / eta;
                        let nu = |j: usize| (p[at(j)] - eps).powi(2);
                        let want = beta2 * nu(j - 1) + (1.0 - beta2) * g * g;
                        assert!(
                            close(nu(j), want, 1e-9),
                            "path {i} step {j}: ν {} vs {want}",
                            nu(j)
                        );
                    }
                }
            }
        }
    }
}
