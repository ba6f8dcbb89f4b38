"""PyTorch side of bench/metrics/extract.mjs: pytorch-fid's FID Inception feature extraction speed on CPU.

Usage:  /usr/bin/python3 extract_torch.py WEIGHTS.pth IMAGES.u8 N H W BATCH THREADS
Reads N uint8 HxWx3 images, builds the FID Inception (the network defined in
packages/metrics/test/fixtures/inception/make_reference.py), loads WEIGHTS.pth and times pytorch-fid's forward
(bilinear resize to 299, 2x-1, pool3) plus the logits, in batches, after one warm-up batch.
Prints JSON: {"threads", "seconds", "images_per_second"}.
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "metrics", "test", "fixtures", "inception"))
from make_reference import build_fid_inception, pool3_features  # noqa: E402


def main():
    weights, images_path, n, h, w, batch, threads = sys.argv[1:8]
    n, h, w, batch, threads = int(n), int(h), int(w), int(batch), int(threads)
    if threads > 0:
        torch.set_num_threads(threads)
    net = build_fid_inception()
    net.load_state_dict(torch.load(weights, map_location="cpu"))
    net.eval()
    images = np.fromfile(images_path, dtype=np.uint8).reshape(n, h, w, 3)
    x_all = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        pool3_features(net, x_all[:batch])  # warm-up
        start = time.perf_counter()
        for i in range(0, n, batch):
            pool = pool3_features(net, x_all[i : i + batch])
            _ = pool @ net.fc.weight.T
        seconds = time.perf_counter() - start
    print(json.dumps({"threads": torch.get_num_threads(), "seconds": seconds, "images_per_second": n / seconds}))


if __name__ == "__main__":
    main()
