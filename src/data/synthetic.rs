//! Seeded synthetic datasets: teacher–student regression, Gaussian blobs, two moons, spirals, XOR.
//!
//! Every generator draws from one `ChaCha8Rng` seeded with the given seed (portable: the same seed gives
//! bit-identical data on every platform). Draws are made sample by sample after any global draws (the
//! teacher, the blob centres), so a dataset of n samples is the first n samples of a larger one with the
//! same seed and settings, and changing a noise level moves points without reshuffling them.

use super::{Dataset, Task};
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::f64::consts::PI;

/// Settings of the teacher–student generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TeacherStudent {
    /// The number of samples n.
    pub samples: usize,
    /// The input dimension p (inputs are N(0, I_p)).
    pub inputs: usize,
    /// The teacher's hidden width m.
    pub hidden: usize,
    /// The number of outputs k.
    pub outputs: usize,
    /// The standard deviation σ of the Gaussian noise added to each label (0: none).
    pub noise: f64,
}

/// The random teacher y = W2 · tanh(W1 · x): W1 is m × p with entries N(0, 1/p), W2 is k × m with
/// entries N(0, 1/m), so pre-activations and outputs are O(1) whatever the sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct Teacher {
    /// First layer, m × p.
    pub w1: DMatrix<f64>,
    /// Second layer, k × m.
    pub w2: DMatrix<f64>,
}

impl Teacher {
    /// The teacher's noiseless outputs for inputs `x` (n × p, one sample per row): n × k.
    pub fn predict(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        (x * self.w1.transpose()).map(f64::tanh) * self.w2.transpose()
    }
}

/// Samples of several classes before they are encoded as targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Classified {
    /// Inputs, n × p.
    pub x: DMatrix<f64>,
    /// The class of each sample, in 0..classes.
    pub labels: Vec<usize>,
    /// The number of classes k.
    pub classes: usize,
}

impl Classified {
    /// The dataset with binary targets (one 0/1 column) when there are two classes and `one_hot` is
    /// false, and one-hot targets (k columns) otherwise.
    pub fn to_dataset(&self, one_hot: bool) -> Dataset {
        let n = self.labels.len();
        if self.classes == 2 && !one_hot {
            Dataset {
                x: self.x.clone(),
                y: DMatrix::from_fn(n, 1, |i, _| self.labels[i] as f64),
                task: Task::Binary,
            }
        } else {
            Dataset {
                x: self.x.clone(),
                y: DMatrix::from_fn(n, self.classes, |i, c| f64::from(self.labels[i] == c)),
                task: Task::Multiclass {
                    classes: self.classes,
                },
            }
        }
    }
}

/// Refuses impossible settings (the scenario layer checks them first, with line numbers).
fn require(ok: bool, source: &str, message: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Data {
            file: format!("(synthetic {source})").into(),
            row: None,
            column: None,
            message: message.to_string(),
        })
    }
}

fn noise_ok(noise: f64) -> bool {
    noise.is_finite() && noise >= 0.0
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample::<f64, _>(StandardNormal)
}

/// Gaussian inputs x ~ N(0, I_p) labelled by a random one-hidden-layer tanh teacher, plus N(0, σ²) noise
/// on each label. Returns the data (task regression) and the teacher.
pub fn teacher_student(cfg: &TeacherStudent, seed: u64) -> Result<(Dataset, Teacher)> {
    let src = "teacher_student";
    require(cfg.samples >= 1, src, "samples must be at least 1")?;
    require(cfg.inputs >= 1, src, "inputs must be at least 1")?;
    require(cfg.hidden >= 1, src, "hidden must be at least 1")?;
    require(cfg.outputs >= 1, src, "outputs must be at least 1")?;
    require(noise_ok(cfg.noise), src, "noise must be a finite number ≥ 0")?;
    let (n, p, m, k) = (cfg.samples, cfg.inputs, cfg.hidden, cfg.outputs);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s1 = 1.0 / (p as f64).sqrt();
    let s2 = 1.0 / (m as f64).sqrt();
    // Row by row, so that the draw order does not depend on nalgebra's storage order.
    let mut w1 = DMatrix::zeros(m, p);
    for i in 0..m {
        for j in 0..p {
            w1[(i, j)] = s1 * normal(&mut rng);
        }
    }
    let mut w2 = DMatrix::zeros(k, m);
    for i in 0..k {
        for j in 0..m {
            w2[(i, j)] = s2 * normal(&mut rng);
        }
    }
    let teacher = Teacher { w1, w2 };
    let mut x = DMatrix::zeros(n, p);
    let mut eps = DMatrix::zeros(n, k);
    for i in 0..n {
        for j in 0..p {
            x[(i, j)] = normal(&mut rng);
        }
        // Drawn even when σ = 0, so that the inputs do not depend on the noise level.
        for c in 0..k {
            eps[(i, c)] = normal(&mut rng);
        }
    }
    let y = teacher.predict(&x) + eps * cfg.noise;
    Ok((
        Dataset {
            x,
            y,
            task: Task::Regression,
        },
        teacher,
    ))
}

/// Settings of the Gaussian-blobs generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blobs {
    /// The number of samples n (sample i belongs to class i mod k, so classes are balanced).
    pub samples: usize,
    /// The number of classes k ≥ 2.
    pub classes: usize,
    /// The input dimension p.
    pub inputs: usize,
    /// The standard deviation of each blob (isotropic).
    pub spread: f64,
    /// Blob centres are drawn uniformly from [−center_box, center_box]^p.
    pub center_box: f64,
}

/// k isotropic Gaussian blobs: centres uniform in the box, then x = centre + spread · N(0, I_p). Returns
/// the samples and the centres (k × p).
pub fn blobs(cfg: &Blobs, seed: u64) -> Result<(Classified, DMatrix<f64>)> {
    let src = "blobs";
    require(cfg.samples >= 1, src, "samples must be at least 1")?;
    require(cfg.classes >= 2, src, "classes must be at least 2")?;
    require(cfg.inputs >= 1, src, "inputs must be at least 1")?;
    require(noise_ok(cfg.spread), src, "spread must be a finite number ≥ 0")?;
    require(
        cfg.center_box.is_finite() && cfg.center_box > 0.0,
        src,
        "center_box must be a finite number > 0",
    )?;
    let (n, k, p) = (cfg.samples, cfg.classes, cfg.inputs);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let b = cfg.center_box;
    let mut centres = DMatrix::zeros(k, p);
    for c in 0..k {
        for j in 0..p {
            centres[(c, j)] = rng.random_range(-b..=b);
        }
    }
    let mut x = DMatrix::zeros(n, p);
    let labels: Vec<usize> = (0..n).map(|i| i % k).collect();
    for i in 0..n {
        for j in 0..p {
            x[(i, j)] = centres[(labels[i], j)] + cfg.spread * normal(&mut rng);
        }
    }
    Ok((
        Classified {
            x,
            labels,
            classes: k,
        },
        centres,
    ))
}

/// Two interleaved half circles in the plane (class i mod 2): class 0 on (cos t, sin t), class 1 on
/// (1 − cos t, ½ − sin t), t uniform in [0, π], plus noise · N(0, I₂).
pub fn two_moons(samples: usize, noise: f64, seed: u64) -> Result<Classified> {
    require(samples >= 1, "two_moons", "samples must be at least 1")?;
    require(noise_ok(noise), "two_moons", "noise must be a finite number ≥ 0")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = DMatrix::zeros(samples, 2);
    let labels: Vec<usize> = (0..samples).map(|i| i % 2).collect();
    for i in 0..samples {
        let t = rng.random_range(0.0..=PI);
        let (px, py) = if labels[i] == 0 {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        x[(i, 0)] = px + noise * normal(&mut rng);
        x[(i, 1)] = py + noise * normal(&mut rng);
    }
    Ok(Classified {
        x,
        labels,
        classes: 2,
    })
}

/// k interleaved spiral arms in the plane (class i mod k): u uniform in [0, 1], radius u, angle
/// 2π(turns · u + j/k) for arm j, plus noise · N(0, I₂).
pub fn spirals(samples: usize, classes: usize, turns: f64, noise: f64, seed: u64) -> Result<Classified> {
    require(samples >= 1, "spirals", "samples must be at least 1")?;
    require(classes >= 2, "spirals", "classes must be at least 2")?;
    require(
        turns.is_finite() && turns > 0.0,
        "spirals",
        "turns must be a finite number > 0",
    )?;
    require(noise_ok(noise), "spirals", "noise must be a finite number ≥ 0")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = DMatrix::zeros(samples, 2);
    let labels: Vec<usize> = (0..samples).map(|i| i % classes).collect();
    for i in 0..samples {
        let u: f64 = rng.random_range(0.0..=1.0);
        let angle = 2.0 * PI * (turns * u + labels[i] as f64 / classes as f64);
        x[(i, 0)] = u * angle.cos() + noise * normal(&mut rng);
        x[(i, 1)] = u * angle.sin() + noise * normal(&mut rng);
    }
    Ok(Classified { x, labels, classes })
}

/// XOR in the plane: x uniform in [−1, 1]², class 1 when exactly one coordinate is positive, then the
/// inputs are moved by noise · N(0, I₂) (the class is that of the clean point).
pub fn xor(samples: usize, noise: f64, seed: u64) -> Result<Classified> {
    require(samples >= 1, "xor", "samples must be at least 1")?;
    require(noise_ok(noise), "xor", "noise must be a finite number ≥ 0")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = DMatrix::zeros(samples, 2);
    let mut labels = Vec::with_capacity(samples);
    for i in 0..samples {
        let a: f64 = rng.random_range(-1.0..=1.0);
        let b: f64 = rng.random_range(-1.0..=1.0);
        labels.push(usize::from((a > 0.0) != (b > 0.0)));
        x[(i, 0)] = a + noise * normal(&mut rng);
        x[(i, 1)] = b + noise * normal(&mut rng);
    }
    Ok(Classified {
        x,
        labels,
        classes: 2,
    })
}
