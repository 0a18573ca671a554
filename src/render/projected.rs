//! The projected portrait: any-dimensional trajectories drawn in a 2-D plane of parameter space, over the
//! loss restricted to that plane (Li et al. 2018, "Visualizing the loss landscape of neural nets").
//!
//! The plane and the landscape on it are computed by [`crate::landscape::Plane::projected`] (principal
//! or named directions through the iterates' centroid); the drawing is the phase portrait's (same
//! contours, field, markers). What is the projected portrait's own is how its axes are labelled.

use crate::landscape::Projection;

/// The axis descriptions: each direction's name and the share of the iterates' variance along it.
pub fn axes(projection: &Projection) -> (String, String) {
    let (x_name, y_name) = if projection.principal {
        ("PC1", "PC2")
    } else {
        ("direction 1", "direction 2")
    };
    (
        axis_label(x_name, projection.explained.0),
        axis_label(y_name, projection.explained.1),
    )
}

/// An axis description: the direction's name and the share of variance it carries.
fn axis_label(name: &str, share: f64) -> String {
    if share.is_finite() {
        format!("{name} ({:.1}% of variance)", 100.0 * share)
    } else {
        format!("{name} (iterates do not spread)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_name_the_directions_and_their_share() {
        let mut p = Projection {
            centre: vec![0.0; 2],
            u: vec![1.0, 0.0],
            v: vec![0.0, 1.0],
            explained: (0.875, 0.125),
            principal: true,
        };
        assert_eq!(
            axes(&p),
            ("PC1 (87.5% of variance)".into(), "PC2 (12.5% of variance)".into())
        );
        p.principal = false;
        p.explained = (f64::NAN, f64::NAN);
        assert_eq!(axes(&p).0, "direction 1 (iterates do not spread)");
    }
}
