#!/usr/bin/env python3
"""Fits EngineChoice's two time estimates to benchmarks/engine-grid.csv (docs/performance.md §3b).

Each engine's seconds per trial is modelled as a non-negative combination of its work counts (the same features as
EngineChoice.DenseSecondsPerTrial / ConditionalSecondsPerTrial), fitted by least squares on the relative error.
Prints the coefficients, and how often the rule "conditional when its estimate × margin < dense's" agrees with the
measurement for a few margins. Plain Python 3, no packages.   Usage: engine-grid-fit.py [engine-grid.csv]
"""
import csv, math, sys

PANEL_FROM = 8  # DenseSampler.PanelFromInputCount
FUSED_UP_TO = 4  # ConditionalGaussianSampler: m <= 4 takes the fused kernels


def sizes(n0, depth, width):
    return [n0] + [width] * depth + [1]


def dense_features(n0, depth, width, m):
    s = sizes(n0, depth, width)
    weights = sum(s[l] * s[l - 1] for l in range(1, depth + 2))
    hidden = sum(s[1:depth + 1])
    return [1.0, depth + 1, weights, m * weights if m < PANEL_FROM else 0.0, m * weights if m >= PANEL_FROM else 0.0,
            m * hidden, (depth + 1) * m * m]


def conditional_features(n0, depth, width, m):
    """Separate per-layer and m x m costs for m <= 4 (fused kernels; the Gram path where h is well conditioned, as at
    every grid point) and m > 4 (Householder QR). Layer 1's factorization of x is done once per point, so n0 does not
    enter a trial's cost."""
    s = sizes(n0, depth, width)
    fused = m <= FUSED_UP_TO
    draws = 0
    for l in range(1, depth + 2):
        rank = min(m, s[l - 1])
        draws += rank * s[l]
        if l >= 2:
            delta_rank = 1 if l == depth + 1 else min(m, s[l])
            via_gram = fused and s[l - 1] >= m
            draws += delta_rank * (s[l - 1] if via_gram else s[l - 1] - rank)
    units = sum(s[1:depth + 2])
    layers = depth + 1
    g, q = (1.0, 0.0) if fused else (0.0, 1.0)
    return [g * layers, g * layers * m, g * m * m * units, q * layers, q * layers * m, q * layers * m * m,
            q * m * m * units, draws]


def fit(features, times, sweeps=20000):
    """min Σ ((Xc − t)/t)² subject to c ≥ 0, by projected coordinate descent on scaled columns."""
    rows = [[x / t for x in f] for f, t in zip(features, times)]
    p = len(rows[0])
    scale = [math.sqrt(sum(r[j] ** 2 for r in rows)) or 1.0 for j in range(p)]
    rows = [[r[j] / scale[j] for j in range(p)] for r in rows]
    gram = [[sum(r[i] * r[j] for r in rows) for j in range(p)] for i in range(p)]
    rhs = [sum(r[i] for r in rows) for i in range(p)]
    c = [0.0] * p
    for _ in range(sweeps):
        for j in range(p):
            g = rhs[j] - sum(gram[j][k] * c[k] for k in range(p)) + gram[j][j] * c[j]
            c[j] = max(0.0, g / gram[j][j])
    return [c[j] / scale[j] for j in range(p)]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/engine-grid.csv"
    grid = []
    with open(path) as f:
        for row in csv.DictReader(f):
            key = tuple(int(row[k]) for k in ("input_dim", "depth", "width", "inputs"))
            grid.append((key, 1 / float(row["dense_trials_per_cpu_s"]), 1 / float(row["conditional_trials_per_cpu_s"])))
    dense = fit([dense_features(*k) for k, _, _ in grid], [t for _, t, _ in grid])
    conditional = fit([conditional_features(*k) for k, _, _ in grid], [t for _, _, t in grid])
    print("dense       ", " ".join(f"{c:.2e}" for c in dense))
    print("conditional ", " ".join(f"{c:.2e}" for c in conditional))
    for margin in (1.0, 1.1, 1.2, 1.25, 1.3, 1.4):
        slower, missed = [], []
        for key, td, tc in grid:
            ed = sum(a * b for a, b in zip(dense, dense_features(*key)))
            ec = sum(a * b for a, b in zip(conditional, conditional_features(*key)))
            if ec * margin < ed and tc > td:
                slower.append((round(tc / td, 2), key))
            if ec * margin >= ed and td > tc:
                missed.append((round(td / tc, 2), key))
        print(f"margin {margin}: conditional picked but slower at {len(slower)} {sorted(slower)[-3:]}; "
              f"dense picked but slower at {len(missed)}, worst {sorted(missed)[-4:]}")


if __name__ == "__main__":
    main()
