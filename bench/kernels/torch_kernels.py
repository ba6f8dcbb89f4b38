"""PyTorch CPU reference for bench/kernels/run.mjs: the same conv kernels and the same DCGAN step.

Usage: /usr/bin/python3 bench/kernels/torch_kernels.py '<json cases>' [threads]
Prints one JSON object: {"kernels": {case_id: median_ms}, "step_ms": median_ms, "threads": n}.
Each case is {"id", "kind": "input"|"filter"|"forward", "x": [B,H,W,Ci], "filter": [Kh,Kw,Ci,Co], "stride", "pad"}
in TF.js (NHWC) terms; here they run NCHW, which is PyTorch's native layout.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def median_ms(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def kernel_case(case, reps):
    b, h, w, ci = case["x"]
    kh, kw, _, co = case["filter"]
    s = case["stride"]
    # TF 'same' for these shapes (even input, stride 2) pads (k - 1) // 2 before and the rest after; PyTorch's
    # padding is symmetric, so pad explicitly with F.pad before a 'valid' conv of the same output size.
    total_h = max((-(-h // s) - 1) * s + kh - h, 0)
    total_w = max((-(-w // s) - 1) * s + kw - w, 0)
    pads = (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2)
    x = torch.randn(b, ci, h, w)
    weight = torch.randn(co, ci, kh, kw)
    with torch.no_grad():
        y = F.conv2d(F.pad(x, pads), weight, stride=s)
    dy = torch.randn_like(y)
    padded_shape = (b, ci, h + pads[2] + pads[3], w + pads[0] + pads[1])
    with torch.no_grad():
        if case["kind"] == "forward":
            return median_ms(lambda: F.conv2d(F.pad(x, pads), weight, stride=s), reps)
        if case["kind"] == "input":
            return median_ms(lambda: torch.nn.grad.conv2d_input(padded_shape, weight, dy, stride=s), reps)
        xp = F.pad(x, pads)
        return median_ms(lambda: torch.nn.grad.conv2d_weight(xp, weight.shape, dy, stride=s), reps)


def dcgan(kernel):
    pad, out_pad = (2, 1) if kernel == 5 else (1, 0)
    g = nn.Sequential(
        nn.Linear(100, 7 * 7 * 128, bias=False), nn.BatchNorm1d(7 * 7 * 128), nn.ReLU(),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, kernel, 2, pad, out_pad, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, kernel, 2, pad, out_pad), nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 64, kernel, 2, pad), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, kernel, 2, pad), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(7 * 7 * 128, 1),
    )
    return g, d


def step_ms(batch, reps, kernel=5):
    g, d = dcgan(kernel)
    g_opt = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(batch, 1, 28, 28) * 2 - 1
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step():
        z = torch.randn(batch, 100)
        fake = g(z)
        d_opt.zero_grad()
        d_loss = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        g_loss = bce(d(fake), ones)
        g_loss.backward()
        g_opt.step()

    return median_ms(step, reps)


def main():
    cases = json.loads(sys.argv[1])
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    kernels = {case["id"]: kernel_case(case, 5) for case in cases}
    print(json.dumps({"kernels": kernels, "step_ms": step_ms(64, 5), "threads": threads}))


if __name__ == "__main__":
    main()
