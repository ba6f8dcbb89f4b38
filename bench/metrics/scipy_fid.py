#!/usr/bin/python3
"""pytorch-fid's statistics + FID on two feature sets with NumPy/SciPy, timed (the reference for bench/metrics).

Usage: scipy_fid.py FEATS1.npy FEATS2.npy
Prints one JSON line: wall and CPU seconds for np.mean+np.cov on both sets, for calculate_frechet_distance (sqrtm), the FID,
and which BLAS core/thread count NumPy runs (from the OpenBLAS library it loaded).
"""
import ctypes
import json
import os
import sys
import time

import numpy as np
from scipy import linalg


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's formula, reproduced from its public definition."""
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError('Imaginary component {}'.format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def blas_info():
    """OpenBLAS core name and threads of the library NumPy loaded (no threadpoolctl on Debian's python3 here)."""
    with open('/proc/self/maps') as maps:
        libs = sorted({line.split()[-1] for line in maps if 'openblas' in line.lower() and '.so' in line})
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return {'library': path, 'core': lib.openblas_get_corename().decode(), 'threads': lib.openblas_get_num_threads()}
        except (OSError, AttributeError):
            continue
    return {'library': libs, 'core': 'unknown', 'threads': None}


def main():
    # pytorch-fid holds activations in a float64 array
    f1 = np.load(sys.argv[1]).astype(np.float64)
    f2 = np.load(sys.argv[2]).astype(np.float64)
    t0, c0 = time.perf_counter(), time.process_time()
    mu1, sigma1 = np.mean(f1, axis=0), np.cov(f1, rowvar=False)
    mu2, sigma2 = np.mean(f2, axis=0), np.cov(f2, rowvar=False)
    t1, c1 = time.perf_counter(), time.process_time()
    fid = calculate_frechet_distance(mu1, sigma1, mu2, sigma2)
    t2, c2 = time.perf_counter(), time.process_time()
    print(json.dumps({'stats_s': t1 - t0, 'fid_s': t2 - t1, 'stats_cpu_s': c1 - c0, 'fid_cpu_s': c2 - c1, 'fid': fid, 'blas': blas_info(),
                      'OPENBLAS_CORETYPE': os.environ.get('OPENBLAS_CORETYPE')}))


if __name__ == '__main__':
    main()
