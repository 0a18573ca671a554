//! The series a sweep keeps of each run (`[sweep] keep`): the kept methods' recorded columns, taken from
//! the run's report before it is dropped, and written to `kept.csv` with the run's row.

use crate::experiment::Report;
use crate::formats::kept::KeptSeries;

/// The kept series of `report`: for each of `methods` (ids), its recorded points with the values of
/// `columns` (`loss`, `grad_norm` and the held-out columns at every point; `sharpness`, λ₁, at the
/// points the sharpness diagnostic sampled), and, when `sharpness` is kept, the method's stability
/// threshold at the run's η. A column the run did not record (no held-out split) has no values.
pub fn series(report: &Report, columns: &[String], methods: &[String]) -> Vec<KeptSeries> {
    let eta = report.experiment.grid.step_size;
    let with_threshold = columns.iter().any(|c| c == "sharpness");
    methods
        .iter()
        .filter_map(|id| {
            let k = report.methods.iter().position(|m| &m.id == id)?;
            let t = &report.methods[k].trajectory;
            let n = t.len();
            // λ₁ at the sampled points, by recorded-point index.
            let mut sharpness = vec![None; if with_threshold { n } else { 0 }];
            if with_threshold {
                let sampled = report
                    .diagnostics
                    .as_ref()
                    .and_then(|d| d.method(id))
                    .and_then(|d| d.sharpness.as_ref());
                if let Some(s) = sampled {
                    for (&i, l) in s.indices.iter().zip(s.lambda_1()) {
                        if let Some(slot) = sharpness.get_mut(i) {
                            *slot = Some(l);
                        }
                    }
                }
            }
            // The held-out record is evaluated at the trajectory's recorded points, in order.
            let held = report.held_out.get(k);
            let at = |v: Option<&Vec<f64>>, i: usize| v.and_then(|v| v.get(i)).copied();
            let mut values = Vec::with_capacity(n * columns.len());
            for (i, (&loss, &grad_norm)) in t.losses.iter().zip(&t.grad_norms).enumerate() {
                for c in columns {
                    values.push(match c.as_str() {
                        "loss" => Some(loss),
                        "grad_norm" => Some(grad_norm),
                        "train_loss" => at(held.map(|h| &h.train_loss), i),
                        "test_loss" => at(held.map(|h| &h.test_loss), i),
                        "train_accuracy" => at(held.map(|h| &h.train_accuracy), i),
                        "test_accuracy" => at(held.map(|h| &h.test_accuracy), i),
                        _ => sharpness.get(i).copied().flatten(),
                    });
                }
            }
            let threshold = with_threshold
                .then(|| report.experiment.methods[k].kind.stability_threshold(eta))
                .flatten();
            Some(KeptSeries {
                method: id.clone(),
                threshold,
                steps: t.steps.clone(),
                times: t.times.clone(),
                values,
            })
        })
        .collect()
}
