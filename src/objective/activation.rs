//! Elementwise activations σ with their first and second derivatives (the R-operator needs σ''), and a
//! fast, accurate tanh: in small networks the activations, not the matrix products, dominate a
//! gradient, and libm's tanh costs about 12 ns.

/// A scalar nonlinearity applied elementwise to a hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
pub enum Activation {
    /// tanh z.
    Tanh,
    /// max(0, z); σ'(0) is taken as 0.
    Relu,
    /// The exact GELU z·Φ(z), Φ the standard normal distribution function.
    Gelu,
    /// The logistic 1/(1 + e^{−z}).
    Sigmoid,
    /// z.
    Identity,
}

/// 1/√(2π).
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

impl Activation {
    /// The names accepted in a scenario.
    pub const NAMES: &'static [&'static str] = <Self as strum::VariantNames>::VARIANTS;

    /// Parses a scenario name.
    pub fn from_name(name: &str) -> Option<Self> {
        name.parse().ok()
    }

    /// The scenario name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// True when σ(cz) = c·σ(z) for every c > 0 (relu, identity): then gradient flow conserves the
    /// layer balancedness of a network without biases.
    pub fn is_homogeneous(self) -> bool {
        matches!(self, Activation::Relu | Activation::Identity)
    }

    /// σ(z), σ'(z) and σ''(z) at one point (reference form, for tests and scalar use).
    pub fn eval(self, z: f64) -> (f64, f64, f64) {
        let (a, d) = self.value_slope(z);
        (a, d, self.curvature(z, a, d))
    }

    #[inline(always)]
    fn value_slope(self, z: f64) -> (f64, f64) {
        match self {
            Activation::Tanh => {
                let t = tanh(z);
                (t, tanh_slope(t))
            }
            Activation::Relu => {
                if z > 0.0 {
                    (z, 1.0)
                } else {
                    (0.0, 0.0)
                }
            }
            Activation::Gelu => {
                let phi = 0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2);
                let density = INV_SQRT_2PI * (-0.5 * z * z).exp();
                (z * phi, phi + z * density)
            }
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-z).exp());
                (s, s * (1.0 - s))
            }
            Activation::Identity => (z, 1.0),
        }
    }

    /// σ''(z), given a = σ(z) and d = σ'(z) (which make it cheap for tanh and sigmoid).
    #[inline(always)]
    pub fn curvature(self, z: f64, a: f64, d: f64) -> f64 {
        match self {
            // (1 − t²)' = −2t·t'.
            Activation::Tanh => -2.0 * a * d,
            // (s(1 − s))' = s'(1 − 2s).
            Activation::Sigmoid => d * (1.0 - 2.0 * a),
            // (Φ + zφ)' = φ + φ + zφ' = φ(2 − z²), since φ' = −zφ.
            Activation::Gelu => INV_SQRT_2PI * (-0.5 * z * z).exp() * (2.0 - z * z),
            Activation::Relu | Activation::Identity => 0.0,
        }
    }

    /// Writes a = σ(z) and d = σ'(z) elementwise (all three slices of one length).
    pub fn forward(self, z: &[f64], a: &mut [f64], d: &mut [f64]) {
        // One monomorphic loop per kind, so the compiler can vectorise tanh's branch-free form.
        macro_rules! each {
            ($kind:expr) => {
                for ((zi, ai), di) in z.iter().zip(a.iter_mut()).zip(d.iter_mut()) {
                    let (x, y) = $kind.value_slope(*zi);
                    *ai = x;
                    *di = y;
                }
            };
        }
        match self {
            Activation::Tanh => tanh_layer(z, a, d),
            Activation::Relu => each!(Activation::Relu),
            Activation::Gelu => each!(Activation::Gelu),
            Activation::Sigmoid => each!(Activation::Sigmoid),
            Activation::Identity => each!(Activation::Identity),
        }
    }
}

/// Elements per block of [`tanh_forward`]. tanh is a chain of dependent operations, so one evaluation
/// at a time leaves most of the CPU's arithmetic units waiting; a block runs each operation on all of its
/// elements before the next one, giving independent chains to overlap. Measured with FMA on the 2-core
/// Zen 3 machine (best of 300 runs over 50,000 elements): blocks of 4 / 8 / 16 / 24 / 32 / 64 took
/// 150 / 138 / 120 / 113 / 109 / 151 µs.
const TANH_BLOCK: usize = 32;

/// a = tanh z, d = 1 − a², elementwise; `FUSED` selects fused multiply–adds (see [`madd`]).
#[inline(always)]
fn tanh_forward<const FUSED: bool>(z: &[f64], a: &mut [f64], d: &mut [f64]) {
    let whole = z.len() / TANH_BLOCK * TANH_BLOCK;
    let blocks = z[..whole]
        .chunks_exact(TANH_BLOCK)
        .zip(a[..whole].chunks_exact_mut(TANH_BLOCK))
        .zip(d[..whole].chunks_exact_mut(TANH_BLOCK));
    for ((zb, ab), db) in blocks {
        tanh_block::<FUSED>(zb.try_into().expect("a whole block"), ab, db);
    }
    if whole < z.len() {
        // The rest as one block padded with zeros: every lane's arithmetic is its own, so the padding
        // changes no result, and the rest runs as fast as a whole block.
        let mut padded = [0.0; TANH_BLOCK];
        padded[..z.len() - whole].copy_from_slice(&z[whole..]);
        tanh_block::<FUSED>(&padded, &mut a[whole..], &mut d[whole..]);
    }
}

/// One block of [`tanh_forward`], written into the first elements of `a` and `d` (a function, not a
/// closure: closures are not always inlined, and out of line it would lose the caller's FMA and call
/// the software `fma` for every multiply–add).
#[inline(always)]
fn tanh_block<const FUSED: bool>(z: &[f64; TANH_BLOCK], a: &mut [f64], d: &mut [f64]) {
    let t = tanh_lanes::<TANH_BLOCK, FUSED>(*z);
    for ((ai, di), ti) in a.iter_mut().zip(d.iter_mut()).zip(t) {
        *ai = ti;
        *di = madd::<FUSED>(-ti, ti, 1.0);
    }
}

/// Whether this CPU runs the fused (AVX2 + FMA) form of tanh; checked once, then cached by std.
#[inline(always)]
fn fused_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// 1 − t², fused where [`tanh`] is (so that [`Activation::eval`] agrees with the layer form bit for bit).
#[inline]
fn tanh_slope(t: f64) -> f64 {
    if fused_available() {
        // Correctly rounded whatever instruction computes it, so equal to the vectorised FMA.
        (-t).mul_add(t, 1.0)
    } else {
        1.0 - t * t
    }
}

/// [`tanh_forward`] compiled for AVX2 and FMA: four lanes per register and one rounding per
/// multiply–add, which halves both the work and the length of each dependent chain.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tanh_forward_fma(z: &[f64], a: &mut [f64], d: &mut [f64]) {
    tanh_forward::<true>(z, a, d)
}

/// [`tanh`] compiled for AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn tanh_fma(x: f64) -> f64 {
    tanh_lanes::<1, true>([x])[0]
}

/// a = tanh z and d = 1 − a² for a whole layer, in the fused form where the CPU has FMA.
fn tanh_layer(z: &[f64], a: &mut [f64], d: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if fused_available() {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        unsafe { tanh_forward_fma(z, a, d) };
        return;
    }
    tanh_forward::<false>(z, a, d)
}

/// tanh x to within two ulps of libm, branch-free so that loops over it vectorise.
///
/// For |x| ≤ 0.625: x − x·s·C(s)/D(s), s = x², from the 9th convergent x·N(s)/D(s) of Lambert's
/// continued fraction x/(1 + s/(3 + s/(5 + …))) (relative truncation error below 1e-20 there), with
/// C = (D − N)/s; all coefficients are positive, so nothing cancels, and the rounding error of C/D is
/// damped by s/3 ≤ 0.13. Above 0.625: 1 − 2/(e^{2|x|} + 1) with `exp_nonneg`, the argument clamped
/// at 40 where tanh is 1 in f64. NaN stays NaN, ±∞ gives ±1.
///
/// On a CPU with FMA (every x86-64 since 2013, checked at run time) the multiply–adds are fused, as in
/// the layer form [`Activation::forward`] uses, so the two agree bit for bit on one machine; a CPU
/// without FMA rounds each product and sum, which can differ in the last bit.
#[inline]
pub fn tanh(x: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if fused_available() {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        return unsafe { tanh_fma(x) };
    }
    tanh_lanes::<1, false>([x])[0]
}

/// a·b + c, fused (one rounding, an FMA instruction where the caller enables the feature) or not.
#[inline(always)]
fn madd<const FUSED: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `f(i)` for every lane i: one step of a lane-wise computation.
#[inline(always)]
fn lanes<const N: usize>(f: impl Fn(usize) -> f64) -> [f64; N] {
    // A plain loop rather than std::array::from_fn, which is not always inlined: called out of line it
    // would be compiled without the caller's AVX2 and run one lane at a time.
    let mut out = [0.0; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = f(i);
    }
    out
}

/// [`tanh`] of N numbers at once, each operation applied to every lane before the next (the arithmetic of
/// each lane is exactly the scalar function's: [`tanh`] is this with one lane).
#[inline(always)]
fn tanh_lanes<const N: usize, const FUSED: bool>(x: [f64; N]) -> [f64; N] {
    let ax: [f64; N] = lanes(|i| x[i].abs());
    let e = exp_nonneg_lanes::<N, FUSED>(lanes(|i| 2.0 * ax[i].min(20.0)));
    let s: [f64; N] = lanes(|i| x[i] * x[i]);
    // C(s) and D(s) by Estrin's scheme (s² first), which shortens their chains to two or three steps.
    let s2: [f64; N] = lanes(|i| s[i] * s[i]);
    let c: [f64; N] = lanes(|i| {
        let lo = madd::<FUSED>(18_018.0, s[i], 255_255.0);
        let hi = madd::<FUSED>(44.0 / 45.0, s[i], 286.0);
        madd::<FUSED>(hi, s2[i], lo)
    });
    let d: [f64; N] = lanes(|i| {
        let lo = madd::<FUSED>(360_360.0, s[i], 765_765.0);
        let mid = madd::<FUSED>(308.0, s[i], 21_021.0);
        madd::<FUSED>(s2[i] + mid, s2[i], lo)
    });
    lanes(|i| {
        // Both branches have the form a − b·p/q: select the operands first, so that one division serves.
        let large = ax[i] > 0.625;
        let a = if large { 1.0 } else { ax[i] };
        let b = if large { 2.0 } else { ax[i] * s[i] };
        let p = if large { 1.0 } else { c[i] };
        let q = if large { e[i] + 1.0 } else { d[i] };
        madd::<FUSED>(-b, p / q, a).copysign(x[i])
    })
}

/// e^x for 0 ≤ x ≤ 700, branch-free: x = k·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), e^r by
/// its Taylor polynomial of degree 13 (remainder below 5e-18), 2^k by building the exponent bits.
#[cfg(test)]
fn exp_nonneg<const FUSED: bool>(x: f64) -> f64 {
    exp_nonneg_lanes::<1, FUSED>([x])[0]
}

/// [`exp_nonneg`] of N numbers at once, lane by lane as in [`tanh_lanes`].
#[inline(always)]
fn exp_nonneg_lanes<const N: usize, const FUSED: bool>(x: [f64; N]) -> [f64; N] {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // Adding and subtracting 1.5·2^52 rounds to the nearest integer without a rounding instruction.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let k: [f64; N] = lanes(|i| madd::<FUSED>(x[i], std::f64::consts::LOG2_E, ROUND) - ROUND);
    // k·LN2_HI is exact (LN2_HI has 32 significant bits and |k| ≤ 1010), fused or not.
    let r: [f64; N] = lanes(|i| madd::<FUSED>(-k[i], LN2_LO, madd::<FUSED>(-k[i], LN2_HI, x[i])));
    // e^r = 1 + (r + r²·P(r)), P(r) = Σ_{j=0}^{11} r^j/(j + 2)!, P by Estrin's scheme: pairs, then
    // pairs of pairs with r², r⁴, r⁸. Its chain is 5 steps deep instead of Horner's 12, so the lanes of
    // a block do not all wait on one long chain; the leading 1 + r is added last, so the rounding of the
    // small correction r²·P hardly matters.
    const A: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let r2: [f64; N] = lanes(|i| r[i] * r[i]);
    let r4: [f64; N] = lanes(|i| r2[i] * r2[i]);
    let r8: [f64; N] = lanes(|i| r4[i] * r4[i]);
    let pair = |j: usize| -> [f64; N] { lanes(|i| madd::<FUSED>(A[2 * j + 1], r[i], A[2 * j])) };
    let (b0, b1, b2, b3, b4, b5) = (pair(0), pair(1), pair(2), pair(3), pair(4), pair(5));
    let c0: [f64; N] = lanes(|i| madd::<FUSED>(b1[i], r2[i], b0[i]));
    let c1: [f64; N] = lanes(|i| madd::<FUSED>(b3[i], r2[i], b2[i]));
    let c2: [f64; N] = lanes(|i| madd::<FUSED>(b5[i], r2[i], b4[i]));
    let p: [f64; N] = lanes(|i| madd::<FUSED>(c2[i], r8[i], madd::<FUSED>(c1[i], r4[i], c0[i])));
    let e_r: [f64; N] = lanes(|i| 1.0 + madd::<FUSED>(r2[i], p[i], r[i]));
    // (k + 1023) + 2^52 holds the biased exponent in its low mantissa bits; shift it into place.
    lanes(|i| e_r[i] * f64::from_bits((k[i] + 1023.0 + 4_503_599_627_370_496.0).to_bits() << 52))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance in units in the last place between two finite doubles of one sign.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        let key = |x: f64| {
            let i = x.to_bits() as i64;
            if i < 0 {
                i64::MIN - i
            } else {
                i
            }
        };
        key(a).abs_diff(key(b))
    }

    #[test]
    fn fast_tanh_is_within_two_ulps_of_libm() {
        // A dense sweep over [−25, 25] (both branches and the saturation at 1), a geometric sweep of
        // small arguments down to 1e-300 (the rational branch's relative accuracy), and the seam 0.625.
        let mut worst = (0u64, 0.0f64);
        // Both forms, whichever this CPU runs: the fused one (if it has FMA; `mul_add` is correctly
        // rounded either way) and the unfused one.
        let mut check = |x: f64| {
            for t in [tanh_lanes::<1, true>([x])[0], tanh_lanes::<1, false>([x])[0]] {
                let u = ulps(t, x.tanh());
                if u > worst.0 {
                    worst = (u, x);
                }
            }
        };
        let n = 400_000;
        for i in 0..=n {
            check(-25.0 + 50.0 * i as f64 / n as f64);
        }
        let mut x = 1e-300;
        while x < 1.0 {
            check(x);
            check(-x);
            x *= 1.001;
        }
        for i in -1000..=1000 {
            check(0.625 + i as f64 * 1e-15);
        }
        assert!(worst.0 <= 2, "worst: {} ulps at x = {:e}", worst.0, worst.1);
        assert_eq!(tanh(0.0).to_bits(), 0.0f64.to_bits());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(tanh(f64::INFINITY), 1.0);
        assert_eq!(tanh(f64::NEG_INFINITY), -1.0);
        assert!(tanh(f64::NAN).is_nan());
    }

    #[test]
    fn the_vectorised_layer_path_equals_the_scalar_function_bit_for_bit() {
        // forward() may take the AVX2 + FMA path; it must agree exactly with tanh() and eval()'s slope.
        let z: Vec<f64> = (0..1003).map(|i| (i as f64 * 0.37).sin() * 6.0).collect();
        let (mut a, mut d) = (vec![0.0; z.len()], vec![0.0; z.len()]);
        Activation::Tanh.forward(&z, &mut a, &mut d);
        for i in 0..z.len() {
            let t = tanh(z[i]);
            assert_eq!(a[i].to_bits(), t.to_bits(), "z = {}", z[i]);
            assert_eq!(d[i].to_bits(), Activation::Tanh.eval(z[i]).1.to_bits());
        }
    }

    #[test]
    fn exp_nonneg_is_within_two_ulps_of_libm() {
        let mut worst = 0;
        for i in 0..=200_000 {
            let x = 700.0 * i as f64 / 200_000.0;
            worst = worst.max(ulps(exp_nonneg::<true>(x), x.exp()));
            worst = worst.max(ulps(exp_nonneg::<false>(x), x.exp()));
        }
        assert!(worst <= 2, "worst {worst} ulps");
    }

    #[test]
    fn derivatives_match_central_differences() {
        // σ' and σ'' against central differences of σ and σ' (step 1e-5: error O(h²) ≈ 1e-10).
        let h = 1e-5;
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Gelu,
            Activation::Sigmoid,
            Activation::Identity,
        ] {
            for &z in &[-3.1, -0.7, -0.2, 0.3, 0.9, 2.4] {
                let (_, d, c) = act.eval(z);
                let fd1 = (act.eval(z + h).0 - act.eval(z - h).0) / (2.0 * h);
                let fd2 = (act.eval(z + h).1 - act.eval(z - h).1) / (2.0 * h);
                assert!((d - fd1).abs() < 1e-8, "{act:?} σ'({z}) = {d}, fd {fd1}");
                assert!((c - fd2).abs() < 1e-8, "{act:?} σ''({z}) = {c}, fd {fd2}");
            }
        }
        // Closed values: gelu(1) = Φ(1) = 0.8413447460685429; sigmoid(0) = ½ with slope ¼.
        assert!((Activation::Gelu.eval(1.0).0 - 0.841_344_746_068_542_9).abs() < 1e-15);
        assert_eq!(Activation::Sigmoid.eval(0.0), (0.5, 0.25, 0.0));
    }
}
