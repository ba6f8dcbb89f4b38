#!/usr/bin/python3
"""pytorch-fid's statistics (np.mean + np.cov, float64) of two feature sets, timed (a reference of bench/metrics/goals.mjs).

Usage: OPENBLAS_NUM_THREADS=T numpy_stats.py FEATS1.npy FEATS2.npy [REPS]
Prints one JSON line: the median wall and CPU seconds over REPS (default 1) of mu/sigma for both sets (as pytorch-fid:
float32 activations held as float64, np.mean(axis=0), np.cov(rowvar=False)), the BLAS core and threads, and a checksum.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scipy_fid import blas_info  # noqa: E402


def main():
    f1 = np.load(sys.argv[1]).astype(np.float64)
    f2 = np.load(sys.argv[2]).astype(np.float64)
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    walls, cpus = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        mu1, sigma1 = np.mean(f1, axis=0), np.cov(f1, rowvar=False)
        mu2, sigma2 = np.mean(f2, axis=0), np.cov(f2, rowvar=False)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    print(json.dumps({'seconds': float(np.median(walls)), 'cpu_seconds': float(np.median(cpus)), 'blas': blas_info(),
                      'trace': float(np.trace(sigma1) + np.trace(sigma2)), 'mu_sum': float(mu1.sum() + mu2.sum())}))


if __name__ == '__main__':
    main()
