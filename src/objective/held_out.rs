//! Held-out evaluation: the loss of a data-driven objective on a training part and on a test part of
//! its data, and for classification losses the fraction of samples each part classifies correctly,
//! evaluated at every recorded point of a finished trajectory (a post-pass: no method's loop is touched).
//!
//! Both losses are the data loss alone, with no weight decay (`objective.l2`, or the `l2` of linear and
//! logistic regression), so that they compare one model's fit on two sets of samples; the training
//! objective's `loss` column includes the decay.
//!
//! Accuracy: with one output z (sigmoid cross-entropy) a sample is predicted in class 1 when z > 0
//! (σ(z) > ½; z = 0 counts as class 0) and belongs to class 1 when its target is ≥ ½; with k ≥ 2 outputs
//! the predicted class is the first index of the largest z_c and the true class the first index of the
//! largest target (the one-hot position).

use super::{LinearRegression, LogisticRegression, Mlp, MlpLoss, Objective};
use crate::trajectory::Trajectory;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The number of samples classified correctly among `b` samples with `k` outputs, by the rule of the
/// module docs; `z(i, c)` is sample i's output c and `y(i, c)` its target c.
pub fn count_correct(
    b: usize,
    k: usize,
    z: impl Fn(usize, usize) -> f64,
    y: impl Fn(usize, usize) -> f64,
) -> usize {
    let first_max = |f: &dyn Fn(usize) -> f64| {
        let mut best = 0;
        for c in 1..k {
            if f(c) > f(best) {
                best = c;
            }
        }
        best
    };
    (0..b)
        .filter(|&i| {
            if k == 1 {
                (z(i, 0) > 0.0) == (y(i, 0) >= 0.5)
            } else {
                first_max(&|c| z(i, c)) == first_max(&|c| y(i, c))
            }
        })
        .count()
}

/// What held-out evaluation needs of an objective built on one set of samples: its loss without weight
/// decay, and the fraction classified correctly when its loss is a classification loss.
pub trait Evaluate: Send + Sync {
    /// The data loss at θ (build the objective with no weight decay: this is its `loss`).
    fn data_loss(&self, theta: &[f64]) -> f64;

    /// The fraction of samples classified correctly at θ, or `None` for a regression loss.
    fn accuracy(&self, theta: &[f64]) -> Option<f64>;

    /// True when [`Evaluate::accuracy`] gives a value (a classification loss).
    fn is_classifier(&self) -> bool;
}

impl Evaluate for LinearRegression {
    fn data_loss(&self, theta: &[f64]) -> f64 {
        self.loss(theta)
    }

    fn accuracy(&self, _theta: &[f64]) -> Option<f64> {
        None
    }

    fn is_classifier(&self) -> bool {
        false
    }
}

impl Evaluate for LogisticRegression {
    fn data_loss(&self, theta: &[f64]) -> f64 {
        self.loss(theta)
    }

    fn accuracy(&self, theta: &[f64]) -> Option<f64> {
        Some(self.correct(theta) as f64 / self.samples() as f64)
    }

    fn is_classifier(&self) -> bool {
        true
    }
}

impl Evaluate for Mlp {
    fn data_loss(&self, theta: &[f64]) -> f64 {
        self.loss(theta)
    }

    fn accuracy(&self, theta: &[f64]) -> Option<f64> {
        self.is_classifier()
            .then(|| self.correct(theta) as f64 / self.samples() as f64)
    }

    fn is_classifier(&self) -> bool {
        self.config().loss == MlpLoss::CrossEntropy
    }
}

/// The same model on the training part and on the test part of its data (shared, not copied, by its
/// clones: a sweep's grid points evaluate on the base scenario's data).
#[derive(Clone)]
pub struct HeldOut {
    train: Arc<dyn Evaluate>,
    test: Arc<dyn Evaluate>,
    dim: usize,
}

impl HeldOut {
    /// Evaluates θ ∈ ℝ^`dim` by `train` (the model on the training samples) and `test` (the same model
    /// on the test samples), both without weight decay.
    pub fn new(train: Box<dyn Evaluate>, test: Box<dyn Evaluate>, dim: usize) -> Self {
        HeldOut {
            train: Arc::from(train),
            test: Arc::from(test),
            dim,
        }
    }

    /// The parameter dimension the two models take.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// True when the loss is a classification loss, so that accuracies are recorded.
    pub fn classification(&self) -> bool {
        self.test.is_classifier()
    }

    /// The losses and accuracies at every recorded point of `trajectory` (whose θ may be an ensemble's
    /// mean: then they are those of the mean parameters).
    pub fn series(&self, trajectory: &Trajectory) -> HeldOutSeries {
        let n = trajectory.len();
        let mut s = HeldOutSeries {
            steps: trajectory.steps.clone(),
            times: trajectory.times.clone(),
            train_loss: Vec::with_capacity(n),
            test_loss: Vec::with_capacity(n),
            train_accuracy: Vec::new(),
            test_accuracy: Vec::new(),
        };
        for i in 0..n {
            let theta = trajectory.state(i);
            s.train_loss.push(self.train.data_loss(theta));
            s.test_loss.push(self.test.data_loss(theta));
            if let (Some(a), Some(b)) = (self.train.accuracy(theta), self.test.accuracy(theta)) {
                s.train_accuracy.push(a);
                s.test_accuracy.push(b);
            }
        }
        s
    }
}

/// One method's held-out record: per recorded point its step and time, the training and test losses
/// (no weight decay) and, for classification, the training and test accuracies (empty otherwise).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeldOutSeries {
    /// The step index of each point.
    pub steps: Vec<u64>,
    /// Its time.
    pub times: Vec<f64>,
    /// The data loss on the training samples.
    pub train_loss: Vec<f64>,
    /// The data loss on the test samples.
    pub test_loss: Vec<f64>,
    /// The fraction of training samples classified correctly (classification only).
    pub train_accuracy: Vec<f64>,
    /// The fraction of test samples classified correctly (classification only).
    pub test_accuracy: Vec<f64>,
}

impl HeldOutSeries {
    /// The number of points.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// True when no point was evaluated.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// True when the accuracies were recorded (a classification loss).
    pub fn classification(&self) -> bool {
        !self.test_accuracy.is_empty()
    }

    /// The final values and the lowest test loss with its time (the first point that reaches it;
    /// non-finite losses are passed over).
    pub fn summary(&self) -> HeldOutSummary {
        let best = self
            .test_loss
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .fold(None, |b: Option<(usize, f64)>, (i, &l)| match b {
                Some((_, bl)) if bl <= l => b,
                _ => Some((i, l)),
            });
        HeldOutSummary {
            final_train_loss: self.train_loss.last().copied(),
            final_test_loss: self.test_loss.last().copied(),
            best_test_loss: best.map(|b| b.1),
            best_test_loss_t: best.map(|b| self.times[b.0]),
            best_test_loss_step: best.map(|b| self.steps[b.0]),
            final_train_accuracy: self.train_accuracy.last().copied(),
            final_test_accuracy: self.test_accuracy.last().copied(),
        }
    }
}

/// A method's `held_out` object in summary.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldOutSummary {
    /// The training data loss at the last recorded point.
    pub final_train_loss: Option<f64>,
    /// The test loss at the last recorded point.
    pub final_test_loss: Option<f64>,
    /// The lowest finite test loss recorded.
    pub best_test_loss: Option<f64>,
    /// The time of the first point with that loss.
    pub best_test_loss_t: Option<f64>,
    /// Its step.
    pub best_test_loss_step: Option<u64>,
    /// The training accuracy at the last recorded point (classification only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_train_accuracy: Option<f64>,
    /// The test accuracy at the last recorded point (classification only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_test_accuracy: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_correct_by_hand() {
        // One output: z = [0.3, −2, 0, 5] against targets [1, 0, 1, 0]: right, right, wrong (z = 0 is
        // class 0), wrong → 2.
        let z = [0.3, -2.0, 0.0, 5.0];
        let y = [1.0, 0.0, 1.0, 0.0];
        assert_eq!(count_correct(4, 1, |i, _| z[i], |i, _| y[i]), 2);
        // Three outputs, rows of z: argmax 2, 0 (tie 0/1 → first), 1; one-hot classes 2, 1, 1 → 2 right.
        let z = [[0.0, 1.0, 3.0], [2.0, 2.0, -1.0], [0.5, 0.6, 0.1]];
        let y = [[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]];
        assert_eq!(count_correct(3, 3, |i, c| z[i][c], |i, c| y[i][c]), 2);
    }

    #[test]
    fn the_best_test_loss_is_the_first_lowest_finite_one() {
        let s = HeldOutSeries {
            steps: vec![0, 10, 20, 30, 40],
            times: vec![0.0, 1.0, 2.0, 3.0, 4.0],
            train_loss: vec![3.0, 2.0, 1.0, 0.5, 0.2],
            test_loss: vec![3.0, f64::NAN, 1.5, 1.5, 1.8],
            train_accuracy: Vec::new(),
            test_accuracy: Vec::new(),
        };
        let m = s.summary();
        assert_eq!(m.best_test_loss, Some(1.5));
        assert_eq!((m.best_test_loss_t, m.best_test_loss_step), (Some(2.0), Some(20)));
        assert_eq!(m.final_test_loss, Some(1.8));
        assert_eq!(m.final_test_accuracy, None);
        assert!(!serde_json::to_string(&m).unwrap().contains("accuracy"));
        assert_eq!(HeldOutSeries::default().summary().best_test_loss, None);
    }
}
