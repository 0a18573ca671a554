//! Datasets: the CSV loader on a fixture and on every kind of bad file, the synthetic generators against
//! their defining geometry and statistics, and the minibatch sampler against the laws it must follow.

use flowgap::data::csv::{load, CsvOptions, CsvTask, RowSubset};
use flowgap::data::synthetic::{blobs, spirals, teacher_student, two_moons, xor, Blobs, TeacherStudent};
use flowgap::data::{MinibatchSampler, Sampling, Scaling, Task};
use flowgap::scenario;
use flowgap::Error;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// animals.csv:
/// ```text
/// a,b,species,target
/// 1.0,10,cat,0.5
/// 2.0,20,dog,1.5
/// 3.0,30,cat,2.5
/// 4.0,40,bird,3.5
/// ```
fn options(file: &str, label: &str, task: CsvTask) -> CsvOptions {
    CsvOptions {
        path: fixture(file),
        features: Some(vec!["a".into(), "b".into()]),
        label: label.into(),
        task,
        scaling: Scaling::None,
        rows: RowSubset::All,
        show_contents: true,
    }
}

#[test]
fn csv_regression_reads_the_named_columns() {
    let d = load(&options("animals.csv", "target", CsvTask::Regression)).unwrap();
    assert_eq!(d.dataset.task, Task::Regression);
    assert_eq!(d.dataset.x.shape(), (4, 2));
    assert_eq!(
        d.dataset.x.row(2).iter().copied().collect::<Vec<_>>(),
        vec![3.0, 30.0]
    );
    assert_eq!(
        d.dataset.y.column(0).iter().copied().collect::<Vec<_>>(),
        vec![0.5, 1.5, 2.5, 3.5]
    );
    assert_eq!(d.features, vec!["a", "b"]);
    assert_eq!(d.rows, (0, 4));
    assert!(d.classes.is_empty());
}

#[test]
fn csv_multiclass_is_one_hot_over_sorted_classes_and_features_default_to_the_rest() {
    let mut o = options("animals.csv", "species", CsvTask::Multiclass);
    o.features = None;
    let d = load(&o).unwrap();
    // Every column but the label, in file order.
    assert_eq!(d.features, vec!["a", "b", "target"]);
    assert_eq!(d.classes, vec!["bird", "cat", "dog"]);
    assert_eq!(d.dataset.task, Task::Multiclass { classes: 3 });
    // cat, dog, cat, bird → columns 1, 2, 1, 0.
    let hot: Vec<usize> = (0..4)
        .map(|i| (0..3).find(|&c| d.dataset.y[(i, c)] == 1.0).unwrap())
        .collect();
    assert_eq!(hot, vec![1, 2, 1, 0]);
    assert_eq!(d.dataset.y.sum(), 4.0, "exactly one 1 per row");
}

#[test]
fn csv_binary_marks_the_positive_class() {
    let d = load(&options(
        "animals.csv",
        "species",
        CsvTask::Binary {
            positive: "cat".into(),
        },
    ))
    .unwrap();
    assert_eq!(d.dataset.task, Task::Binary);
    assert_eq!(
        d.dataset.y.column(0).iter().copied().collect::<Vec<_>>(),
        vec![1.0, 0.0, 1.0, 0.0]
    );
    // A numeric label matches numerically: target 1.5 is the positive class "1.50".
    let d = load(&options(
        "animals.csv",
        "target",
        CsvTask::Binary {
            positive: "1.50".into(),
        },
    ))
    .unwrap();
    assert_eq!(
        d.dataset.y.column(0).iter().copied().collect::<Vec<_>>(),
        vec![0.0, 1.0, 0.0, 0.0]
    );
    // Numeric classes sort as numbers.
    assert_eq!(d.classes, vec!["0.5", "1.5", "2.5", "3.5"]);
    let err = load(&options(
        "animals.csv",
        "species",
        CsvTask::Binary {
            positive: "cow".into(),
        },
    ))
    .unwrap_err();
    assert_data_error(&err, None, Some("species"), "positive class");
}

/// a = (1, 2, 3, 4): mean 2.5, population variance (2.25 + 0.25 + 0.25 + 2.25)/4 = 1.25.
/// b = (10, 20, 30, 40): min–max gives (0, 1/3, 2/3, 1).
#[test]
fn csv_scaling_and_row_subsets() {
    let mut o = options("animals.csv", "target", CsvTask::Regression);
    o.scaling = Scaling::Standardize;
    let d = load(&o).unwrap();
    assert!((d.dataset.x[(0, 0)] + 1.5 / 1.25f64.sqrt()).abs() < 1e-15);
    assert!((d.scale.shift[0] - 2.5).abs() < 1e-15);
    o.scaling = Scaling::MinMax;
    let d = load(&o).unwrap();
    for (i, e) in [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0].iter().enumerate() {
        assert!((d.dataset.x[(i, 1)] - e).abs() < 1e-15);
    }

    // Rows 1..3 are the second and third data rows; scaling uses only them: a = (2, 3) → (0, 1).
    o.rows = RowSubset::Range { start: 1, end: 3 };
    let d = load(&o).unwrap();
    assert_eq!(d.rows, (1, 3));
    assert_eq!(
        d.dataset.y.column(0).iter().copied().collect::<Vec<_>>(),
        vec![1.5, 2.5]
    );
    assert_eq!(d.dataset.x[(0, 0)], 0.0);
    assert_eq!(d.dataset.x[(1, 0)], 1.0);

    o.rows = RowSubset::First(3);
    assert_eq!(load(&o).unwrap().dataset.len(), 3);
    o.rows = RowSubset::First(99);
    assert_eq!(
        load(&o).unwrap().dataset.len(),
        4,
        "a maximum larger than the file keeps every row"
    );
    o.rows = RowSubset::Range { start: 2, end: 5 };
    assert_data_error(&load(&o).unwrap_err(), None, None, "4 data rows");
}

/// Checks an [`Error::Data`]: its row and column, a phrase of its message, and that it counts as bad
/// input (exit code 2) and names the file.
fn assert_data_error(err: &Error, row: Option<usize>, column: Option<&str>, phrase: &str) {
    match err {
        Error::Data {
            file,
            row: r,
            column: c,
            message,
        } => {
            assert_eq!(*r, row, "{err}");
            assert_eq!(c.as_deref(), column, "{err}");
            assert!(message.contains(phrase), "`{phrase}` not in: {err}");
            let text = err.to_string();
            assert!(text.contains(&file.display().to_string()), "{text}");
            if let Some(r) = row {
                assert!(text.contains(&format!("row {r}")), "{text}");
            }
            if let Some(c) = column {
                assert!(text.contains(&format!("column `{c}`")), "{text}");
            }
        }
        other => panic!("expected Error::Data, got {other}"),
    }
    assert!(err.is_bad_input());
}

#[test]
fn csv_bad_files_are_refused_with_file_row_and_column() {
    let reg = CsvTask::Regression;
    let err = load(&options("empty.csv", "target", reg.clone())).unwrap_err();
    assert_data_error(&err, None, None, "empty");

    let err = load(&options("header_only.csv", "target", reg.clone())).unwrap_err();
    assert_data_error(&err, None, None, "no data rows");

    // Line 3 is blank (skipped); the record on line 5 lacks its fourth field, `target`.
    let err = load(&options("ragged.csv", "target", reg.clone())).unwrap_err();
    assert_data_error(&err, Some(5), Some("target"), "3 fields but the header has 4");

    let err = load(&options("non_numeric.csv", "target", reg.clone())).unwrap_err();
    assert_data_error(&err, Some(3), Some("b"), "`abc` is not a finite number");

    let err = load(&options("empty_cell.csv", "target", reg.clone())).unwrap_err();
    assert_data_error(&err, Some(3), Some("b"), "empty");

    // A missing label column is named against the header, row 1.
    let err = load(&options("animals.csv", "price", reg.clone())).unwrap_err();
    assert_data_error(
        &err,
        Some(1),
        Some("price"),
        "the columns are: a, b, species, target",
    );

    let mut o = options("animals.csv", "target", reg.clone());
    o.features = Some(vec!["a".into(), "weight".into()]);
    assert_data_error(
        &load(&o).unwrap_err(),
        Some(1),
        Some("weight"),
        "no such feature column",
    );

    // A text column used as a feature fails on its first cell.
    o.features = Some(vec!["species".into()]);
    assert_data_error(
        &load(&o).unwrap_err(),
        Some(2),
        Some("species"),
        "`cat` is not a finite number",
    );

    let err = load(&options("no_such_file.csv", "target", reg)).unwrap_err();
    assert_data_error(&err, None, None, "cannot open");
    assert!(err.to_string().contains("no_such_file.csv"));
}

#[test]
fn csv_refuses_non_finite_cells_and_duplicate_headers() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut o = options("animals.csv", "target", CsvTask::Regression);
    o.path = write("nan.csv", "a,b,target\n1,2,3\n4,NaN,6\n");
    assert_data_error(&load(&o).unwrap_err(), Some(3), Some("b"), "not a finite number");
    o.path = write("inf.csv", "a,b,target\n1,2,inf\n");
    assert_data_error(
        &load(&o).unwrap_err(),
        Some(2),
        Some("target"),
        "not a finite number",
    );
    o.path = write("dup.csv", "a,b,a,target\n1,2,3,4\n");
    assert_data_error(&load(&o).unwrap_err(), Some(1), Some("a"), "twice");
    o.path = write("long.csv", "a,b,target\n1,2,3\n1,2,3,4\n");
    assert_data_error(
        &load(&o).unwrap_err(),
        Some(3),
        None,
        "4 fields but the header has 3",
    );
    // Quoted fields and surrounding spaces are fine.
    o.path = write("ok.csv", "a, b ,target\n 1 ,\"2\",3\n");
    let d = load(&o).unwrap();
    assert_eq!(
        d.dataset.x.row(0).iter().copied().collect::<Vec<_>>(),
        vec![1.0, 2.0]
    );
}

fn bits(m: &nalgebra::DMatrix<f64>) -> Vec<u64> {
    m.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn synthetic_data_is_bit_identical_for_a_seed_and_a_prefix_of_larger_draws() {
    let ts = TeacherStudent {
        samples: 100,
        inputs: 4,
        hidden: 6,
        outputs: 2,
        noise: 0.1,
    };
    let (a, _) = teacher_student(&ts, 7).unwrap();
    let (b, _) = teacher_student(&ts, 7).unwrap();
    let (c, _) = teacher_student(&ts, 8).unwrap();
    assert_eq!(bits(&a.x), bits(&b.x));
    assert_eq!(bits(&a.y), bits(&b.y));
    assert_ne!(bits(&a.x), bits(&c.x));
    let (small, _) = teacher_student(&TeacherStudent { samples: 40, ..ts }, 7).unwrap();
    assert_eq!(bits(&small.x), bits(&a.x.rows(0, 40).into_owned()));

    let bl = Blobs {
        samples: 60,
        classes: 3,
        inputs: 2,
        spread: 1.0,
        center_box: 5.0,
    };
    assert_eq!(
        bits(&blobs(&bl, 3).unwrap().0.x),
        bits(&blobs(&bl, 3).unwrap().0.x)
    );
    assert_eq!(
        bits(&two_moons(50, 0.1, 3).unwrap().x),
        bits(&two_moons(50, 0.1, 3).unwrap().x)
    );
    assert_eq!(
        bits(&spirals(50, 3, 1.5, 0.1, 3).unwrap().x),
        bits(&spirals(50, 3, 1.5, 0.1, 3).unwrap().x)
    );
    assert_eq!(
        bits(&xor(50, 0.1, 3).unwrap().x),
        bits(&xor(50, 0.1, 3).unwrap().x)
    );
    assert_ne!(
        bits(&xor(50, 0.1, 3).unwrap().x),
        bits(&xor(50, 0.1, 4).unwrap().x)
    );
}

/// Inputs are N(0, I_p): with n = 4000 each sample mean has standard deviation 1/√n ≈ 0.016 and each
/// sample covariance entry about √(2/n) ≈ 0.022 (diagonal) or 1/√n (off-diagonal); we allow 5 of them.
/// The noise is σ·N(0, 1) on top of the noiseless labels (same seed, same inputs), so (y_σ − y_0)/σ has
/// sample standard deviation 1 ± 5/√(2n). One label is recomputed by explicit sums over the teacher.
#[test]
fn teacher_student_inputs_labels_and_noise() {
    let n = 4000;
    let ts = TeacherStudent {
        samples: n,
        inputs: 3,
        hidden: 5,
        outputs: 1,
        noise: 0.0,
    };
    let (clean, teacher) = teacher_student(&ts, 11).unwrap();
    let (noisy, _) = teacher_student(&TeacherStudent { noise: 0.3, ..ts }, 11).unwrap();
    assert_eq!(bits(&clean.x), bits(&noisy.x), "noise does not move the inputs");
    let nf = n as f64;
    for j in 0..3 {
        let mean = clean.x.column(j).sum() / nf;
        assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
        for l in 0..3 {
            let cov = clean.x.column(j).dot(&clean.x.column(l)) / nf;
            let expect = if j == l { 1.0 } else { 0.0 };
            assert!(
                (cov - expect).abs() < 5.0 * (2.0 / nf).sqrt(),
                "cov[{j}][{l}] = {cov}"
            );
        }
    }
    let diff: Vec<f64> = (0..n)
        .map(|i| (noisy.y[(i, 0)] - clean.y[(i, 0)]) / 0.3)
        .collect();
    let sd = (diff.iter().map(|d| d * d).sum::<f64>() / nf).sqrt();
    assert!((sd - 1.0).abs() < 5.0 / (2.0 * nf).sqrt(), "noise sd {sd}");

    // y_i = Σ_h W2[0][h] · tanh(Σ_j W1[h][j] · x_ij).
    let i = 17;
    let mut y = 0.0;
    for h in 0..5 {
        let mut pre = 0.0;
        for j in 0..3 {
            pre += teacher.w1[(h, j)] * clean.x[(i, j)];
        }
        y += teacher.w2[(0, h)] * pre.tanh();
    }
    assert!((y - clean.y[(i, 0)]).abs() < 1e-14);
    assert!(
        clean.y.column(0).iter().any(|v| v.abs() > 0.05),
        "labels are not all zero"
    );
}

/// Teacher weights are N(0, 1/p) and N(0, 1/m): for p = 50, m = 40 the 2000 first-layer entries have
/// sample variance 1/50 · (1 ± 5·√(2/2000)).
#[test]
fn teacher_weights_have_the_stated_scale() {
    let ts = TeacherStudent {
        samples: 1,
        inputs: 50,
        hidden: 40,
        outputs: 3,
        noise: 0.0,
    };
    let (_, t) = teacher_student(&ts, 5).unwrap();
    let var1 = t.w1.norm_squared() / 2000.0;
    assert!(
        (var1 * 50.0 - 1.0).abs() < 5.0 * (2.0f64 / 2000.0).sqrt(),
        "{var1}"
    );
    let var2 = t.w2.norm_squared() / 120.0;
    assert!(
        (var2 * 40.0 - 1.0).abs() < 5.0 * (2.0f64 / 120.0).sqrt(),
        "{var2}"
    );
}

/// Blobs are balanced (class i mod k); with spread 0 every point is its centre; with spread s each
/// class mean is within 5·s/√(n_c) of its centre in every coordinate; centres lie in the box.
#[test]
fn blobs_sit_around_their_centres() {
    let cfg = Blobs {
        samples: 900,
        classes: 3,
        inputs: 4,
        spread: 0.0,
        center_box: 2.0,
    };
    let (c, centres) = blobs(&cfg, 1).unwrap();
    assert!(centres.iter().all(|v| v.abs() <= 2.0));
    for i in 0..900 {
        assert_eq!(c.x.row(i), centres.row(c.labels[i]));
    }
    let (c, centres) = blobs(&Blobs { spread: 0.5, ..cfg }, 1).unwrap();
    for k in 0..3 {
        let members: Vec<usize> = (0..900).filter(|&i| c.labels[i] == k).collect();
        assert_eq!(members.len(), 300);
        for j in 0..4 {
            let mean = members.iter().map(|&i| c.x[(i, j)]).sum::<f64>() / 300.0;
            assert!((mean - centres[(k, j)]).abs() < 5.0 * 0.5 / 300f64.sqrt());
        }
    }
    let d = c.to_dataset(false);
    assert_eq!(d.task, Task::Multiclass { classes: 3 });
    assert_eq!(d.y.shape(), (900, 3));
}

/// Without noise, class 0 lies on the upper unit half circle x² + y² = 1, y ≥ 0, and class 1 on
/// (x − 1)² + (y − ½)² = 1 with y ≤ ½.
#[test]
fn two_moons_lie_on_their_half_circles() {
    let c = two_moons(400, 0.0, 2).unwrap();
    for i in 0..400 {
        let (x, y) = (c.x[(i, 0)], c.x[(i, 1)]);
        if c.labels[i] == 0 {
            assert!((x * x + y * y - 1.0).abs() < 1e-12 && y >= -1e-15);
        } else {
            assert!(((x - 1.0).powi(2) + (y - 0.5).powi(2) - 1.0).abs() < 1e-12 && y <= 0.5 + 1e-15);
        }
    }
    assert_eq!(c.labels.iter().filter(|&&l| l == 1).count(), 200);
    let d = c.to_dataset(false);
    assert_eq!((d.task.clone(), d.y.ncols()), (Task::Binary, 1));
    assert_eq!(c.to_dataset(true).y.ncols(), 2);
}

/// Without noise a point of arm j at radius r = u has angle 2π(turns·r + j/k): the angle between the
/// point and that direction is 0 (checked through its cosine), and r ≤ 1.
#[test]
fn spiral_points_follow_their_arms() {
    let (k, turns) = (3, 1.25);
    let c = spirals(600, k, turns, 0.0, 4).unwrap();
    for i in 0..600 {
        let (x, y) = (c.x[(i, 0)], c.x[(i, 1)]);
        let r = x.hypot(y);
        assert!(r <= 1.0 + 1e-15);
        if r > 1e-9 {
            let expect = 2.0 * PI * (turns * r + c.labels[i] as f64 / k as f64);
            let cos = (x * expect.cos() + y * expect.sin()) / r;
            assert!((cos - 1.0).abs() < 1e-10, "sample {i}: cos {cos}");
        }
    }
}

/// Without noise the class is 1 exactly when the two coordinates have opposite signs, and points fill
/// [−1, 1]²; about half are class 1 (binomial: 2000 ± 5·√(4000)/2).
#[test]
fn xor_labels_are_the_sign_parity() {
    let c = xor(4000, 0.0, 9).unwrap();
    for i in 0..4000 {
        let (x, y) = (c.x[(i, 0)], c.x[(i, 1)]);
        assert!(x.abs() <= 1.0 && y.abs() <= 1.0);
        assert_eq!(c.labels[i], usize::from((x > 0.0) != (y > 0.0)));
    }
    let ones = c.labels.iter().sum::<usize>() as f64;
    assert!((ones - 2000.0).abs() < 5.0 * 4000f64.sqrt() / 2.0, "{ones}");
}

#[test]
fn generators_refuse_impossible_settings() {
    assert!(two_moons(0, 0.1, 1).is_err());
    assert!(spirals(10, 1, 1.0, 0.0, 1).is_err());
    assert!(xor(10, -1.0, 1).is_err());
    let bad = Blobs {
        samples: 10,
        classes: 1,
        inputs: 2,
        spread: 1.0,
        center_box: 1.0,
    };
    assert!(blobs(&bad, 1).unwrap_err().is_bad_input());
}

/// Without replacement, every epoch is a permutation of 0..n cut into batches (the last one short when
/// the batch size does not divide n).
#[test]
fn without_replacement_each_epoch_is_a_permutation() {
    let (n, b) = (10, 3);
    let mut s = MinibatchSampler::new(n, b, Sampling::WithoutReplacement, 42).unwrap();
    let mut buf = [0usize; 3];
    let mut epochs_seen = Vec::new();
    for epoch in 0..50 {
        let mut seen = Vec::new();
        for expected_len in [3, 3, 3, 1] {
            let batch = s.next_batch(&mut buf);
            assert_eq!(batch.len(), expected_len);
            seen.extend_from_slice(batch);
        }
        assert_eq!(s.epochs(), epoch + 1);
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "epoch {epoch}: {seen:?}");
        epochs_seen.push(seen);
    }
    epochs_seen.dedup();
    assert!(epochs_seen.len() > 40, "epochs are reshuffled");
}

/// Fisher–Yates makes every permutation equally likely and independent of the last: over n = 3 and
/// 36,000 epochs the 36 (previous, next) pairs each expect 1000. The chi-square statistic has 35 degrees
/// of freedom; at significance 0.001 the critical value is 66.62. (Sattolo's variant, j < i, would put
/// all mass on 12 pairs; a biased shuffle would fail too.)
#[test]
fn without_replacement_permutations_are_uniform_and_independent() {
    let perms: Vec<[usize; 3]> = vec![[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    let mut s = MinibatchSampler::new(3, 3, Sampling::WithoutReplacement, 7).unwrap();
    let mut buf = [0usize; 3];
    let mut counts = [[0u32; 6]; 6];
    let index = |b: &[usize]| perms.iter().position(|p| p[..] == *b).unwrap();
    let mut prev = index(s.next_batch(&mut buf));
    let trials = 36_000;
    for _ in 0..trials {
        let next = index(s.next_batch(&mut buf));
        counts[prev][next] += 1;
        prev = next;
    }
    let expect = trials as f64 / 36.0;
    let chi2: f64 = counts
        .iter()
        .flatten()
        .map(|&c| (c as f64 - expect).powi(2) / expect)
        .sum();
    assert!(chi2 < 66.62, "chi-square {chi2} over {counts:?}");
}

/// With replacement, indices are i.i.d. uniform on 0..n: for n = 10 and 140,000 draws each index
/// expects 14,000; the chi-square statistic (9 degrees of freedom) stays below 27.88, its critical value
/// at significance 0.001.
#[test]
fn with_replacement_frequencies_pass_a_chi_square_test() {
    let (n, b) = (10, 7);
    let mut s = MinibatchSampler::new(n, b, Sampling::WithReplacement, 3).unwrap();
    let mut buf = [0usize; 16];
    let mut counts = [0u64; 10];
    let batches = 20_000;
    for _ in 0..batches {
        let batch = s.next_batch(&mut buf);
        assert_eq!(batch.len(), b);
        for &i in batch {
            counts[i] += 1;
        }
    }
    let expect = (batches * b) as f64 / n as f64;
    let chi2: f64 = counts.iter().map(|&c| (c as f64 - expect).powi(2) / expect).sum();
    assert!(chi2 < 27.88, "chi-square {chi2} over {counts:?}");
    assert_eq!(s.epochs(), 0);
}

#[test]
fn sampler_is_deterministic_from_its_seed_and_refuses_impossible_sizes() {
    for sampling in [Sampling::WithReplacement, Sampling::WithoutReplacement] {
        let draw = |seed| {
            let mut s = MinibatchSampler::new(20, 6, sampling, seed).unwrap();
            let mut buf = [0usize; 6];
            (0..30)
                .flat_map(|_| s.next_batch(&mut buf).to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(5), draw(5));
        assert_ne!(draw(5), draw(6));
    }
    assert!(MinibatchSampler::new(0, 1, Sampling::WithReplacement, 0).is_err());
    assert!(MinibatchSampler::new(5, 0, Sampling::WithReplacement, 0).is_err());
    assert!(MinibatchSampler::new(5, 6, Sampling::WithoutReplacement, 0).is_err());
    // With replacement a batch may be larger than n.
    assert!(MinibatchSampler::new(5, 6, Sampling::WithReplacement, 0).is_ok());
}

// ---- The `[objective.data]` table in a scenario ----

/// A minimal scenario around `objective` (its `[objective]` and `[objective.data]` tables), starting
/// at `init` (which must have the objective's dimension).
fn scenario_text(objective: &str, init: &str) -> String {
    format!(
        "name = \"t\"\n{objective}\n[init]\npoint = {init}\n\n[run]\nstep_size = 0.1\nsteps = 10\n\n\
         [[method]]\nid = \"gd\"\nkind = \"gd\"\n"
    )
}

fn parse_in(dir: &Path, text: &str) -> flowgap::Result<scenario::Scenario> {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    scenario::load(&path)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("needle") + 1
}

/// Checks a located scenario error: its key, its line, and a phrase of its message.
fn assert_scenario_error(result: flowgap::Result<scenario::Scenario>, key: &str, line: usize, phrase: &str) {
    match result {
        Err(Error::Scenario {
            location,
            key: k,
            message,
        }) => {
            assert_eq!(k, key, "{message}");
            assert_eq!(location.line, Some(line), "{key}: {message}");
            assert!(message.contains(phrase), "`{phrase}` not in: {message}");
        }
        Err(other) => panic!("expected a scenario error for {key}, got {other}"),
        Ok(_) => panic!("expected a scenario error for {key}, got a scenario"),
    }
}

#[test]
fn shipped_iris_scenarios_load_with_their_dimensions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let s = scenario::load(&dir.join("logistic_iris.toml")).unwrap();
    // 3 classes × 4 features + 3 biases.
    assert_eq!(s.experiment.objective.dim(), 15);
    assert_eq!(
        s.experiment.objective_settings["data"]["class_names"],
        serde_json::json!(["setosa", "versicolor", "virginica"])
    );
    // At θ = 0 every class has probability 1/3: the loss is ln 3.
    assert!((s.experiment.objective.loss(&s.experiment.init) - 3f64.ln()).abs() < 1e-14);
    let s = scenario::load(&dir.join("linear_regression_iris.toml")).unwrap();
    assert_eq!(s.experiment.objective.dim(), 4);
    // With standardised features the bias of the least-squares fit is the mean petal width, 1.1993 cm
    // (179.9 / 150 from the data's column sum).
    let min = &s.experiment.objective.known_minima()[0];
    assert!((min[3] - 179.9 / 150.0).abs() < 1e-12, "{min:?}");
}

#[test]
fn csv_paths_are_relative_to_the_scenario_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::copy(fixture("animals.csv"), dir.path().join("sub/animals.csv")).unwrap();
    let text = scenario_text(
        "[objective]\nkind = \"linear_regression\"\n[objective.data]\nsource = \"csv\"\n\
         path = \"sub/animals.csv\"\nfeatures = [\"a\"]\nlabel = \"target\"\n",
        "[0.0, 0.0]",
    );
    let s = parse_in(dir.path(), &text).unwrap();
    // target = a − 0.5 exactly: the least-squares fit is w = 1, b = −0.5.
    let min = &s.experiment.objective.known_minima()[0];
    assert!(
        (min[0] - 1.0).abs() < 1e-12 && (min[1] + 0.5).abs() < 1e-12,
        "{min:?}"
    );

    // The same scenario elsewhere does not find the file: refused at the scenario line that names it,
    // with the resolved path in the message.
    let other = tempfile::tempdir().unwrap();
    let err = parse_in(other.path(), &text).err().unwrap();
    assert!(err.to_string().contains("sub/animals.csv"), "{err}");
    assert!(err.is_bad_input());
    assert_scenario_error(
        Err(err),
        "objective.data.path",
        line_of(&text, "path ="),
        "cannot open the data file",
    );
}

#[test]
fn synthetic_sources_build_from_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let text = scenario_text(
        "[objective]\nkind = \"logistic_regression\"\nl2 = 0.1\n[objective.data]\nsource = \"blobs\"\n\
         seed = 3\nsamples = 90\nclasses = 3\ninputs = 2\nscale = \"standardize\"\n",
        "[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]",
    );
    let s = parse_in(dir.path(), &text).unwrap();
    assert_eq!(s.experiment.objective.dim(), 9);
    assert!(s.experiment.objective.as_finite_sum().is_some());
    let text = scenario_text(
        "[objective]\nkind = \"linear_regression\"\nbias = false\n[objective.data]\n\
         source = \"teacher_student\"\nseed = 1\nsamples = 50\ninputs = 3\nhidden = 4\nnoise = 0.1\n",
        "[0.0, 0.0, 0.0]",
    );
    assert_eq!(parse_in(dir.path(), &text).unwrap().experiment.objective.dim(), 3);
}

#[test]
fn bad_data_tables_are_refused_with_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let head = "[objective]\nkind = \"logistic_regression\"\n[objective.data]\n";
    let init2 = "[0.0, 0.0, 0.0]";

    let text = scenario_text(&format!("{head}source = \"two_moons\"\nsamples = 10\n"), init2);
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.seed",
        line_of(&text, "source ="),
        "seed",
    );

    let text = scenario_text(
        &format!("{head}source = \"two_moons\"\nseed = 1\nsamples = 10\nhidden = 3\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.hidden",
        line_of(&text, "hidden"),
        "does not apply to source `two_moons`",
    );

    let text = scenario_text(
        &format!("{head}source = \"two_moons\"\nseed = 1\nsampels = 10\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.sampels",
        line_of(&text, "sampels"),
        "unknown field",
    );

    let text = scenario_text(&format!("{head}source = \"moons\"\n"), init2);
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.source",
        line_of(&text, "moons"),
        "xor",
    );

    let text = scenario_text(&format!("{head}source = \"xor\"\nseed = 1\nsamples = 0\n"), init2);
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.samples",
        line_of(&text, "samples"),
        "from 1",
    );

    let text = scenario_text(
        &format!("{head}source = \"xor\"\nseed = 1\nsamples = 9\nscale = \"log\"\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.scale",
        line_of(&text, "scale"),
        "min_max",
    );

    let text = scenario_text(
        &format!("{head}source = \"spirals\"\nseed = 1\nsamples = 9\nclasses = 3\ntask = \"binary\"\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.task",
        line_of(&text, "task"),
        "multiclass",
    );

    // Logistic regression on regression targets.
    let text = scenario_text(
        &format!("{head}source = \"teacher_student\"\nseed = 1\nsamples = 9\ninputs = 2\nhidden = 2\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data",
        line_of(&text, "source ="),
        "class labels",
    );

    // CSV: binary without its positive class, rows and max_rows together, an empty range.
    std::fs::copy(fixture("animals.csv"), dir.path().join("animals.csv")).unwrap();
    let csv = format!(
        "{head}source = \"csv\"\npath = \"animals.csv\"\nlabel = \"species\"\nfeatures = [\"a\", \"b\"]\n"
    );
    let text = scenario_text(&format!("{csv}task = \"binary\"\n"), init2);
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.positive",
        line_of(&text, "task ="),
        "positive",
    );
    let text = scenario_text(
        &format!("{csv}task = \"multiclass\"\nrows = [0, 2]\nmax_rows = 2\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.rows",
        line_of(&text, "rows ="),
        "not both",
    );
    let text = scenario_text(&format!("{csv}task = \"multiclass\"\nrows = [2, 2]\n"), init2);
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.rows",
        line_of(&text, "rows ="),
        "start < end",
    );
    let text = scenario_text(
        &format!("{csv}task = \"binary\"\npositive = \"cat\"\nseed = 4\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.data.seed",
        line_of(&text, "seed"),
        "does not apply",
    );
    // And when everything is right it loads: 2 features + bias, binary.
    let text = scenario_text(&format!("{csv}task = \"binary\"\npositive = \"cat\"\n"), init2);
    assert_eq!(parse_in(dir.path(), &text).unwrap().experiment.objective.dim(), 3);

    let text = scenario_text(
        &format!("{csv}task = \"multiclass\"\n")
            .replace("logistic_regression\"\n", "logistic_regression\"\nl2 = -1.0\n"),
        init2,
    );
    assert_scenario_error(
        parse_in(dir.path(), &text),
        "objective.l2",
        line_of(&text, "l2"),
        "≥ 0",
    );
}

/// The CLI maps a data error to exit code 2 and names the file, the row and the column.
#[test]
fn cli_exits_2_on_a_bad_data_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("non_numeric.csv"), dir.path().join("bad.csv")).unwrap();
    let text = scenario_text(
        "[objective]\nkind = \"linear_regression\"\n[objective.data]\nsource = \"csv\"\n\
         path = \"bad.csv\"\nfeatures = [\"a\", \"b\"]\nlabel = \"target\"\n",
        "[0.0, 0.0, 0.0]",
    );
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flowgap"))
        .args(["run", "s.toml", "--out", "out"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.csv, row 3, column `b`: `abc` is not a finite number"),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
}

// ---- Data files that are not what they seem (issue 17) ----

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A linear regression on the CSV at `path` (as written in the scenario) with label `label`.
fn csv_scenario(path: &str, label: &str) -> String {
    format!(
        "name = \"t\"\n[objective]\nkind = \"linear_regression\"\n[objective.data]\nsource = \"csv\"\n\
         path = \"{path}\"\nlabel = \"{label}\"\n[init]\npoint = [0.0, 0.0, 0.0]\n[run]\nstep_size = 0.1\n\
         steps = 5\n[[method]]\nid = \"gd\"\nkind = \"gd\"\n[output]\nfigures = []\n"
    )
}

/// Runs `flowgap run <scenario> --out out` in `cwd` with `env`, bounded in time like every CLI test of
/// scenarios (see `scenarios::flowgap`).
fn run_binary(cwd: &Path, scenario: &str, env: &[(&str, &str)]) -> Output {
    super::scenarios::flowgap(cwd, &["run", scenario, "--out", "out"], env)
}

/// A refusal at the scenario's `path =` line (line 6 of [`csv_scenario`]): exit 2, `phrase` in stderr,
/// no panic, nothing written. Returns stderr.
fn assert_data_refused(out: &Output, cwd: &Path, phrase: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(":6:8: objective.data.path:"), "{stderr}");
    assert!(stderr.contains(phrase), "`{phrase}` not in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!cwd.join("out").exists(), "a refused run wrote output");
    stderr
}

#[test]
fn fifos_devices_and_folders_as_data_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = Command::new("mkfifo")
        .arg(d.join("pipe.csv"))
        .status()
        .unwrap()
        .success();
    assert!(ok);
    std::fs::create_dir(d.join("folder.csv")).unwrap();
    for (path, phrase) in [
        (
            "pipe.csv",
            "is a FIFO (named pipe); flowgap reads regular files only",
        ),
        ("/dev/zero", "is a device"),
        ("/dev/urandom", "is a device"),
        ("folder.csv", "is a folder"),
        ("missing.csv", "cannot open the data file"),
    ] {
        std::fs::write(d.join("s.toml"), csv_scenario(path, "y")).unwrap();
        let started = Instant::now();
        let out = run_binary(d, "s.toml", &[]);
        assert_data_refused(&out, d, phrase);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{path}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn files_outside_the_scenario_folder_are_read_but_their_errors_show_no_contents() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("scenario/data")).unwrap();
    std::fs::create_dir(d.join("elsewhere")).unwrap();
    let secret = "a,b,hunter2secret\n1,2,3\n";
    std::fs::write(d.join("elsewhere/secret.csv"), secret).unwrap();
    std::fs::write(d.join("scenario/data/secret.csv"), secret).unwrap();
    std::os::unix::fs::symlink(d.join("elsewhere/secret.csv"), d.join("scenario/data/link.csv")).unwrap();
    let absolute = d.join("elsewhere/secret.csv").to_string_lossy().into_owned();
    let sd = d.join("scenario");
    // Outside: by `..`, by an absolute path, by a link out of the folder. The header is not echoed.
    for path in ["../elsewhere/secret.csv", absolute.as_str(), "data/link.csv"] {
        std::fs::write(sd.join("s.toml"), csv_scenario(path, "nope")).unwrap();
        let stderr = assert_data_refused(
            &run_binary(&sd, "s.toml", &[]),
            &sd,
            "the columns are: 3 (not shown",
        );
        assert!(!stderr.contains("hunter2"), "{path}: {stderr}");
    }
    // Inside, the names help the user.
    std::fs::write(sd.join("s.toml"), csv_scenario("data/secret.csv", "nope")).unwrap();
    assert_data_refused(
        &run_binary(&sd, "s.toml", &[]),
        &sd,
        "the columns are: a, b, hunter2secret",
    );
    // A bad cell outside is named by its column number only.
    std::fs::write(d.join("elsewhere/cell.csv"), "a,b,y\n1,2,3\n4,hunter2cell,6\n").unwrap();
    std::fs::write(sd.join("s.toml"), csv_scenario("../elsewhere/cell.csv", "y")).unwrap();
    let stderr = assert_data_refused(
        &run_binary(&sd, "s.toml", &[]),
        &sd,
        "row 3, column `#2`: is not a finite number",
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    // A good file outside the folder is allowed: researchers keep data elsewhere.
    std::fs::write(d.join("elsewhere/good.csv"), "a,b,y\n1,2,3\n4,5,6\n7,9,8\n").unwrap();
    std::fs::write(
        sd.join("s.toml"),
        csv_scenario(&d.join("elsewhere/good.csv").to_string_lossy(), "y"),
    )
    .unwrap();
    let out = run_binary(&sd, "s.toml", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn proc_files_as_data_show_nothing_of_their_contents() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for path in ["/proc/self/environ", "/etc/passwd", "/proc/self/maps"] {
        std::fs::write(d.join("s.toml"), csv_scenario(path, "y")).unwrap();
        let out = run_binary(d, "s.toml", &[("FLOWGAP_TEST_SECRET", "hunter2env")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains("objective.data.path"), "{stderr}");
        for leak in ["hunter2", "root:", "PATH=", "[stack]"] {
            assert!(!stderr.contains(leak), "{path} leaked `{leak}`: {stderr}");
        }
    }
}

#[test]
fn a_ten_megabyte_cell_is_echoed_as_a_short_escaped_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cell = format!("\u{1b}]0;pwned\u{7}{}", "x".repeat(10 << 20));
    std::fs::write(d.join("big.csv"), format!("a,b,y\n1,2,3\n4,{cell},6\n")).unwrap();
    std::fs::write(d.join("s.toml"), csv_scenario("big.csv", "y")).unwrap();
    let stderr = assert_data_refused(&run_binary(d, "s.toml", &[]), d, "xxx…` is not a finite number");
    assert!(stderr.len() < 1000, "a {}-byte message", stderr.len());
    assert!(stderr.contains("`\\u{1b}]0;pwned\\u{7}xxx"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "a raw escape character reached the terminal"
    );
    // A long column name in the header is cut the same way.
    let name = "n".repeat(100_000);
    std::fs::write(d.join("wide.csv"), format!("a,{name},y\n1,2,3\n")).unwrap();
    std::fs::write(d.join("s.toml"), csv_scenario("wide.csv", "nope")).unwrap();
    let stderr = assert_data_refused(&run_binary(d, "s.toml", &[]), d, "nnn…");
    assert!(stderr.len() < 1000, "a {}-byte message", stderr.len());
}

#[test]
fn columns_and_class_labels_are_capped() {
    use flowgap::data::csv::{MAX_CLASSES, MAX_COLUMNS};
    let dir = tempfile::tempdir().unwrap();
    let load_text = |text: String, label: &str, task: CsvTask| {
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).unwrap();
        load(&CsvOptions {
            path,
            features: None,
            label: label.into(),
            task,
            scaling: Scaling::None,
            rows: RowSubset::All,
            show_contents: true,
        })
    };
    let wide = |columns: usize| {
        let names: Vec<String> = (0..columns).map(|j| format!("c{j}")).collect();
        format!("{}\n{}\n", names.join(","), vec!["1"; columns].join(","))
    };
    assert!(load_text(wide(MAX_COLUMNS), "c0", CsvTask::Regression).is_ok());
    let e = load_text(wide(MAX_COLUMNS + 1), "c0", CsvTask::Regression).unwrap_err();
    assert!(
        e.is_bad_input() && e.to_string().contains("the header has 10001 columns"),
        "{e}"
    );
    let labelled = |labels: usize| {
        let rows: String = (0..labels).map(|i| format!("{i}.5,class{i}\n")).collect();
        format!("x,y\n{rows}")
    };
    assert!(load_text(labelled(MAX_CLASSES), "y", CsvTask::Multiclass).is_ok());
    for task in [
        CsvTask::Multiclass,
        CsvTask::Binary {
            positive: "class0".into(),
        },
    ] {
        let e = load_text(labelled(MAX_CLASSES + 1), "y", task).unwrap_err();
        assert!(e.to_string().contains("more than 1000 distinct values"), "{e}");
        assert!(e.to_string().contains(&format!("row {}", MAX_CLASSES + 2)), "{e}");
    }
    // Rows outside `rows` are checked but their labels do not count.
    let path = dir.path().join("f.csv");
    std::fs::write(&path, labelled(MAX_CLASSES + 500)).unwrap();
    let kept = load(&CsvOptions {
        path,
        features: None,
        label: "y".into(),
        task: CsvTask::Multiclass,
        scaling: Scaling::None,
        rows: RowSubset::First(10),
        show_contents: true,
    })
    .unwrap();
    assert_eq!(kept.classes.len(), 10);
    assert_eq!(kept.dataset.y.shape(), (10, 10));
}
