//! Datasets for regression objectives and networks: the [`Dataset`] type, a CSV loader, seeded
//! synthetic generators, feature scaling, held-out splits, and minibatch sampling for SGD.

pub mod csv;
pub mod minibatch;
pub mod scale;
pub mod split;
pub mod synthetic;

pub use minibatch::{MinibatchSampler, Sampling};
pub use scale::Scaling;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// What the labels mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "task")]
pub enum Task {
    /// Real-valued targets, one column per output.
    Regression,
    /// Labels in {0, 1} (one column).
    Binary,
    /// One-hot labels over `classes` columns.
    Multiclass {
        /// The number of classes k.
        classes: usize,
    },
}

/// n samples of p features with their targets.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Inputs, n × p, one sample per row.
    pub x: DMatrix<f64>,
    /// Targets, n × k, one sample per row (one-hot for multiclass).
    pub y: DMatrix<f64>,
    /// What the targets mean.
    pub task: Task,
}

impl Dataset {
    /// The number of samples n.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }

    /// The number of features p.
    pub fn features(&self) -> usize {
        self.x.ncols()
    }

    /// The number of target columns k.
    pub fn outputs(&self) -> usize {
        self.y.ncols()
    }
}
