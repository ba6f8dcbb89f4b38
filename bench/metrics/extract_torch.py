"""PyTorch side of bench/metrics/extract.mjs: pytorch-fid's FID Inception feature extraction speed on CPU.

Usage:  /usr/bin/python3 extract_torch.py WEIGHTS.pth IMAGES.u8 N H W BATCH THREADS
Reads N uint8 HxWx3 images, builds the FID Inception (the network defined in
packages/metrics/test/fixtures/inception/make_reference.py), loads WEIGHTS.pth and times pytorch-fid's forward
(bilinear resize to 299, 2x-1, pool3) plus the logits, in batches, after one warm-up batch.
Prints JSON: {"threads", "seconds", "images_per_second", "flops_per_image", "cpu_seconds"} (FLOPs: 2 x the multiply-adds of every
convolution and of the logits at 299x299, counted by forward hooks on one image before the timing).
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "metrics", "test", "fixtures", "inception"))
from make_reference import build_fid_inception, pool3_features  # noqa: E402


def count_flops(net, x):
    """2 x multiply-adds of the convolutions and the logits for one image (x: [1, 3, H, W])."""
    total = [0]

    def hook(module, _inputs, output):
        kh, kw = module.kernel_size
        total[0] += 2 * output.numel() * (module.in_channels // module.groups) * kh * kw

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        pool = pool3_features(net, x)
    for h in handles:
        h.remove()
    return total[0] + 2 * pool.shape[1] * net.fc.weight.shape[0]


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
    flops = count_flops(net, x_all[:1])
    with torch.no_grad():
        pool3_features(net, x_all[:batch])  # warm-up
        start, cpu_start = time.perf_counter(), time.process_time()
        for i in range(0, n, batch):
            pool = pool3_features(net, x_all[i : i + batch])
            _ = pool @ net.fc.weight.T
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
    print(json.dumps({"threads": torch.get_num_threads(), "seconds": seconds, "images_per_second": n / seconds, "flops_per_image": flops, "cpu_seconds": cpu_seconds}))


if __name__ == "__main__":
    main()
