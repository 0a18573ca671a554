//! Workspace reuse for objectives whose gradient needs large temporaries: one workspace lives behind a
//! mutex, so sequential calls (the usual case: one method integrating one objective) never allocate;
//! a call that finds it busy (another thread is inside) builds its own instead of waiting.

use std::sync::{Mutex, TryLockError};

/// Runs `f` on the shared workspace, or on a fresh one from `make` when another thread holds it.
///
/// A poisoned lock is taken over: the workspace holds only scratch values that every call overwrites.
pub fn with_scratch<W, R>(cell: &Mutex<W>, make: impl FnOnce() -> W, f: impl FnOnce(&mut W) -> R) -> R {
    match cell.try_lock() {
        Ok(mut w) => f(&mut w),
        Err(TryLockError::Poisoned(p)) => f(&mut p.into_inner()),
        Err(TryLockError::WouldBlock) => f(&mut make()),
    }
}
