//! The shared machinery of models that are affine in their inputs, Z = X·Wᵀ + 1·bᵀ, followed by a
//! per-sample loss of Z (a "link"): linear regression (squared error), logistic regression (sigmoid or
//! softmax cross-entropy).
//!
//! Parameter layout: θ = [W row-major (k × p), then b (k) when there is a bias], so θ[c·p + j] = W[c][j]
//! and θ[k·p + c] = b[c]. Row-major W (k × p) is, read column-major, Wᵀ (p × k): the parameter slice is
//! viewed as a matrix without copying.
//!
//! With a per-sample loss ℓ(z_i, y_i) and mean L = (1/n)Σ ℓ_i + (λ/2)‖W‖²:
//! ∇_W L = (1/n) Gᵀ X + λW with G_i = ∂ℓ/∂z_i, ∇_b L = (1/n) Σ_i G_i, and the Hessian-vector product in
//! direction (V, v_b) is the same back-projection of S_i = (∂²ℓ/∂z²)_i · dZ_i with dZ = X·Vᵀ + 1·v_bᵀ,
//! plus λV. Every step is a matrix product over the whole batch; the n × k buffers live in a workspace
//! that is reused between calls.

use nalgebra::{DMatrix, DMatrixView, DMatrixViewMut};
use std::sync::{Mutex, TryLockError};

/// The per-sample loss of an affine model, as a function of its pre-activations z_i (one row of Z).
pub(super) trait Link: Send + Sync {
    /// Returns Σ_i ℓ(z_i, y_i) and overwrites Z (n × k) with G, G_i = ∂ℓ/∂z_i.
    fn loss_and_residual(&self, z: &mut DMatrixViewMut<f64>, y: &DMatrixView<f64>) -> f64;

    /// Overwrites dZ with S, S_i = (∂²ℓ/∂z²)(z_i, y_i) · dZ_i.
    fn curvature(&self, z: &DMatrixView<f64>, y: &DMatrixView<f64>, dz: &mut DMatrixViewMut<f64>);
}

/// Reusable buffers: pre-activations, their directional derivative, and a gathered minibatch.
#[derive(Default)]
struct Workspace {
    z: Vec<f64>,
    dz: Vec<f64>,
    xb: Vec<f64>,
    yb: Vec<f64>,
}

/// `buf[..len]`, growing `buf` first if needed (so steady-state calls do not allocate).
fn slice(buf: &mut Vec<f64>, len: usize) -> &mut [f64] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// Inputs, targets and the settings of an affine model.
pub(super) struct Affine {
    /// Inputs, n × p.
    pub x: DMatrix<f64>,
    /// Targets, n × k.
    pub y: DMatrix<f64>,
    /// Whether θ ends with a bias b.
    pub bias: bool,
    /// The L2 weight λ on ½‖W‖² (the bias is not penalised).
    pub l2: f64,
    ws: Mutex<Workspace>,
}

impl Affine {
    /// An affine model of `x` (n × p) onto `y` (n × k); the caller checks shapes and values.
    pub fn new(x: DMatrix<f64>, y: DMatrix<f64>, bias: bool, l2: f64) -> Self {
        Affine {
            x,
            y,
            bias,
            l2,
            ws: Mutex::new(Workspace::default()),
        }
    }

    /// The number of features p.
    pub fn p(&self) -> usize {
        self.x.ncols()
    }

    /// The number of outputs k.
    pub fn k(&self) -> usize {
        self.y.ncols()
    }

    /// The number of samples n.
    pub fn n(&self) -> usize {
        self.x.nrows()
    }

    /// k·p weights, plus k biases when there is a bias.
    pub fn dim(&self) -> usize {
        self.k() * self.p() + if self.bias { self.k() } else { 0 }
    }

    /// Runs `f` with the workspace; a concurrent caller (another thread holding it) gets a fresh one
    /// rather than waiting.
    fn with_ws<R>(&self, f: impl FnOnce(&mut Workspace) -> R) -> R {
        match self.ws.try_lock() {
            Ok(mut ws) => f(&mut ws),
            Err(TryLockError::Poisoned(e)) => f(&mut e.into_inner()),
            Err(TryLockError::WouldBlock) => f(&mut Workspace::default()),
        }
    }

    /// Z = X·Wᵀ + 1·bᵀ for parameters (or a direction) `theta`, into `z` (rows × k).
    fn forward(&self, x: &DMatrixView<f64>, theta: &[f64], z: &mut DMatrixViewMut<f64>) {
        let (p, k) = (self.p(), self.k());
        let wt = DMatrixView::from_slice(&theta[..k * p], p, k);
        z.gemm(1.0, x, &wt, 0.0);
        if self.bias {
            for c in 0..k {
                z.column_mut(c).add_scalar_mut(theta[k * p + c]);
            }
        }
    }

    /// out = (1/rows)·[Gᵀ X, Σ_i G_i] + λ·[W, 0] where `reg` holds W (θ for the gradient, the direction
    /// for the Hessian-vector product).
    fn backward(&self, x: &DMatrixView<f64>, g: &DMatrixView<f64>, reg: &[f64], out: &mut [f64]) {
        let (p, k) = (self.p(), self.k());
        let scale = 1.0 / x.nrows() as f64;
        let (ow, ob) = out.split_at_mut(k * p);
        let mut gw = DMatrixViewMut::from_slice(ow, p, k);
        gw.copy_from(&DMatrixView::from_slice(&reg[..k * p], p, k));
        // gwᵀ-layout: (Wᵀ)_grad = (1/n) Xᵀ G + λ Wᵀ.
        gw.gemm_tr(scale, x, g, self.l2);
        if self.bias {
            for (c, b) in ob.iter_mut().enumerate().take(k) {
                *b = scale * g.column(c).sum();
            }
        }
    }

    /// (λ/2)‖W‖².
    fn penalty(&self, theta: &[f64]) -> f64 {
        let kp = self.k() * self.p();
        0.5 * self.l2 * theta[..kp].iter().map(|w| w * w).sum::<f64>()
    }

    /// The mean loss over `x`, `y`, and its gradient into `grad` when given.
    fn eval(
        &self,
        link: &dyn Link,
        x: &DMatrixView<f64>,
        y: &DMatrixView<f64>,
        theta: &[f64],
        grad: Option<&mut [f64]>,
        zbuf: &mut Vec<f64>,
    ) -> f64 {
        let rows = x.nrows();
        let mut z = DMatrixViewMut::from_slice(slice(zbuf, rows * self.k()), rows, self.k());
        self.forward(x, theta, &mut z);
        let total = link.loss_and_residual(&mut z, y);
        if let Some(grad) = grad {
            self.backward(x, &z.as_view(), theta, grad);
        }
        total / rows as f64 + self.penalty(theta)
    }

    /// L(θ) over all samples.
    pub fn loss(&self, link: &dyn Link, theta: &[f64]) -> f64 {
        let (x, y) = (self.x.columns(0, self.p()), self.y.columns(0, self.k()));
        self.with_ws(|ws| self.eval(link, &x, &y, theta, None, &mut ws.z))
    }

    /// Calls `f` with the outputs Z = X·Wᵀ + 1·bᵀ at θ (n × k) and the targets Y (n × k).
    pub fn with_outputs<R>(
        &self,
        theta: &[f64],
        f: impl FnOnce(&DMatrixView<f64>, &DMatrixView<f64>) -> R,
    ) -> R {
        let (n, k) = (self.n(), self.k());
        let (x, y) = (self.x.columns(0, self.p()), self.y.columns(0, k));
        self.with_ws(|ws| {
            let mut z = DMatrixViewMut::from_slice(slice(&mut ws.z, n * k), n, k);
            self.forward(&x, theta, &mut z);
            f(&z.as_view(), &y)
        })
    }

    /// ∇L(θ) over all samples into `grad`; returns L(θ).
    pub fn gradient(&self, link: &dyn Link, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (x, y) = (self.x.columns(0, self.p()), self.y.columns(0, self.k()));
        self.with_ws(|ws| self.eval(link, &x, &y, theta, Some(grad), &mut ws.z))
    }

    /// H(θ)·v over all samples into `out`.
    pub fn hvp(&self, link: &dyn Link, theta: &[f64], v: &[f64], out: &mut [f64]) {
        let (n, k) = (self.n(), self.k());
        let (x, y) = (self.x.columns(0, self.p()), self.y.columns(0, k));
        self.with_ws(|ws| {
            let mut z = DMatrixViewMut::from_slice(slice(&mut ws.z, n * k), n, k);
            self.forward(&x, theta, &mut z);
            let mut dz = DMatrixViewMut::from_slice(slice(&mut ws.dz, n * k), n, k);
            self.forward(&x, v, &mut dz);
            link.curvature(&z.as_view(), &y, &mut dz);
            self.backward(&x, &dz.as_view(), v, out);
        });
    }

    /// The loss and gradient averaged over the samples `batch` (indices < n, repeats allowed), the
    /// penalty counted once; an empty batch gives the penalty alone.
    pub fn batch_loss_gradient(
        &self,
        link: &dyn Link,
        theta: &[f64],
        batch: &[usize],
        grad: &mut [f64],
    ) -> f64 {
        let (p, k, b) = (self.p(), self.k(), batch.len());
        if b == 0 {
            let kp = k * p;
            for (g, w) in grad.iter_mut().zip(theta).take(kp) {
                *g = self.l2 * w;
            }
            grad[kp..].iter_mut().for_each(|g| *g = 0.0);
            return self.penalty(theta);
        }
        self.with_ws(|ws| {
            // Gather the batch's rows, column by column (column-major b × p and b × k).
            let xb = slice(&mut ws.xb, b * p);
            for j in 0..p {
                let col = self.x.column(j);
                for (r, &i) in batch.iter().enumerate() {
                    xb[j * b + r] = col[i];
                }
            }
            let yb = slice(&mut ws.yb, b * k);
            for c in 0..k {
                let col = self.y.column(c);
                for (r, &i) in batch.iter().enumerate() {
                    yb[c * b + r] = col[i];
                }
            }
            let x = DMatrixView::from_slice(&ws.xb[..b * p], b, p);
            let y = DMatrixView::from_slice(&ws.yb[..b * k], b, k);
            self.eval(link, &x, &y, theta, Some(grad), &mut ws.z)
        })
    }
}
