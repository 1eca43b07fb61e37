#!/usr/bin/python3
"""Compare two network outputs (.npy) the way the parity test does.

    /usr/bin/python3 tools/nn/compare.py A.npy B.npy [--tol 1e-3]

Prints "max_abs X range R ratio Q": the largest absolute difference, the
range (max - min) of B, the reference output, and their quotient. The range,
not each value, is the yardstick because network outputs (disparity, logits,
metres) have no natural unit and many values sit near zero. Exit 1 when the
ratio exceeds --tol, or when the shapes differ or a value is not finite.
"""
import argparse
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b", help="the reference")
    ap.add_argument("--tol", type=float, default=1e-3)
    args = ap.parse_args()
    a = np.load(args.a).astype(np.float64)
    b = np.load(args.b).astype(np.float64)
    if a.shape != b.shape:
        print(f"compare: shapes differ: {a.shape} vs {b.shape}")
        return 1
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        print(f"compare: non-finite values ({np.count_nonzero(~np.isfinite(a))} in A, "
              f"{np.count_nonzero(~np.isfinite(b))} in B)")
        return 1
    max_abs = float(np.max(np.abs(a - b))) if a.size else 0.0
    rng = float(b.max() - b.min()) if b.size else 0.0
    # A constant reference gives no scale: then only an exact match passes.
    ratio = max_abs / rng if rng > 0 else (0.0 if max_abs == 0 else float("inf"))
    print(f"max_abs {max_abs:.3e} range {rng:.3e} ratio {ratio:.3e}")
    return 1 if ratio > args.tol else 0


if __name__ == "__main__":
    sys.exit(main())
