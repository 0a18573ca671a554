"""Shared helpers for the W1–W3 comparison scripts: timing, flowgap's reference results, JAX set-up.

Each script prints one JSON object per timed implementation on stdout (a line starting with "RESULT ");
run.sh collects them into a table. flowgap's results come from FLOWGAP_JSON (written by
`FLOWGAP_BENCH_DUMP=DIR cargo bench --bench workloads`).
"""
import json
import os
import statistics
import time

import numpy as np

REPS = int(os.environ.get("FLOWGAP_BENCH_REPS", "5"))


def flowgap():
    """flowgap's dump (times, final points, W2's data and initial point)."""
    with open(os.environ["FLOWGAP_JSON"]) as f:
        return json.load(f)


def timed(fn, reps=REPS, block=lambda r: r):
    """Runs fn once (warm-up; for JAX this includes compilation) and then `reps` times.

    Returns (first-call seconds, median seconds, min seconds, last result). `block` waits for an
    asynchronous result (JAX's block_until_ready)."""
    t0 = time.perf_counter()
    out = block(fn())
    first = time.perf_counter() - t0
    secs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = block(fn())
        secs.append(time.perf_counter() - t0)
    return first, statistics.median(secs), min(secs), out


def result(workload, impl, first, median, best, **extra):
    """Prints one RESULT line. For JAX, compile time is the first call minus the median steady call."""
    compile_s = max(first - median, 0.0) if impl.startswith("jax") else 0.0
    row = dict(workload=workload, impl=impl, first_s=first, median_s=median, min_s=best,
               compile_s=compile_s, **extra)
    if not impl.startswith("jax"):
        row["blas"] = blas_threads()
    print("RESULT " + json.dumps(row), flush=True)


def rel(a, b):
    """Relative Euclidean distance |a − b| / |b|."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def jax_x64():
    """Imports jax with float64 enabled (flowgap computes in f64) and JAX_DEVICES host devices.

    flowgap's W3 runs on both cores, so each JAX peer that can split its work also runs a two-device
    variant (`jax.pmap` over host devices forced by XLA_FLAGS, set here before jax is imported) beside
    the plain one-device program; the table compares flowgap with the faster of the two. One device is
    still the default placement of a plain `jit`, so the one-device rows are unchanged by this."""
    flag = f"--xla_force_host_platform_device_count={JAX_DEVICES}"
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()
    import jax
    jax.config.update("jax_enable_x64", True)
    return jax


# Host devices for the JAX peers' multi-device variants: the cores flowgap uses (FLOWGAP_BENCH_THREADS).
JAX_DEVICES = int(os.environ.get("FLOWGAP_BENCH_THREADS", "2"))


def blas_threads():
    """numpy's BLAS library and its thread count (threadpoolctl), printed with every numpy row so that
    a comparison states how many cores numpy's matrix products could use."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return ", ".join(f"{p['internal_api']} {p.get('version')} {p['num_threads']} threads"
                     f" ({p.get('architecture')})" for p in pools) or "none found"
