#!/usr/bin/python3
"""PyTorch reference for bench/train-step: the same DCGANs as gankit's `dcgan` architecture, one train step =
D step + G step (the usual `fake.detach()` pattern: one G forward), Adam(2e-4, (0.5, 0.999)), BCE-with-logits
(standard non-saturating loss). Also times sampling (generator forward in eval mode) and counts the step's
conv/matmul FLOPs from the layers' shapes recorded by forward hooks (independently of run.mjs's count).

Usage: /usr/bin/python3 torch_step.py '<json spec>'   → one JSON object on stdout.
spec: {"threads": [1, 0], "models": [{"id", "size", "channels", "width", "latent", "batch", "steps", "warmup"}],
       (optional per model: "gWidth", "dWidth" where G and D widths differ)
       "sample": {"id", "count", "batch"}, "repeats": 2}   (thread count 0 = PyTorch's default)
"""
import json
import statistics
import sys
import time

import torch
from torch import nn


def generator(size, channels, width, latent):
    """gankit dcganGenerator: 28×28: dense → 7×7×4w → convT 2w → convT C; 32×32: convT 4w (4×4 valid) → 2w → w → C."""
    bn = lambda c: nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)
    if size == 28:
        return nn.Sequential(
            nn.Linear(latent, 7 * 7 * 4 * width, bias=False),
            nn.Unflatten(1, (4 * width, 7, 7)),
            bn(4 * width), nn.ReLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False), bn(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, channels, 4, 2, 1, bias=False), nn.Tanh(),
        )
    return nn.Sequential(
        nn.Unflatten(1, (latent, 1, 1)),
        nn.ConvTranspose2d(latent, 4 * width, 4, 1, 0, bias=False), bn(4 * width), nn.ReLU(),
        nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False), bn(2 * width), nn.ReLU(),
        nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), bn(width), nn.ReLU(),
        nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh(),
    )


def discriminator(size, channels, width):
    """gankit dcganDiscriminator (batch norm): 28×28: conv w → conv 2w → dense 1; 32×32: conv w → 2w → 4w → conv 1 (4×4 valid)."""
    act = lambda: nn.LeakyReLU(0.2)
    bn = lambda c: nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)
    if size == 28:
        return nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1, bias=False), act(),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), bn(2 * width), act(),
            nn.Flatten(), nn.Linear(7 * 7 * 2 * width, 1),
        )
    return nn.Sequential(
        nn.Conv2d(channels, width, 4, 2, 1, bias=False), act(),
        nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), bn(2 * width), act(),
        nn.Conv2d(2 * width, 4 * width, 4, 2, 1, bias=False), bn(4 * width), act(),
        nn.Conv2d(4 * width, 1, 4, 1, 0, bias=False), nn.Flatten(),
    )


def layer_macs(model, example):
    """Multiply-adds per sample of each conv / convT / linear layer, in order, from a hooked forward."""
    macs = []

    def hook(module, inputs, output):
        x, y = inputs[0], output
        if isinstance(module, nn.Linear):
            macs.append(module.in_features * module.out_features)
        elif isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs.append(y.shape[2] * y.shape[3] * module.out_channels * k * module.in_channels)
        elif isinstance(module, nn.ConvTranspose2d):
            k = module.kernel_size[0] * module.kernel_size[1]
            macs.append(x.shape[2] * x.shape[3] * module.in_channels * k * module.out_channels)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        model.eval()
        model(example)
        model.train()
    for h in handles:
        h.remove()
    return macs


def step_flops(g_macs, d_macs, batch):
    """FLOPs a D+G step needs (shared G forward): G fwd; D fwd real+fake, dW both, dX both except layer 1;
    G step: D fwd on fake, dX through all of D (D's dW not needed), G dW all, G dX all but layer 1."""
    fg, fd = sum(g_macs), sum(d_macs)
    return 2 * batch * (3 * fg - g_macs[0] + 8 * fd - 2 * d_macs[0])


def time_train(m, threads_label):
    torch.manual_seed(0)
    G = generator(m["size"], m["channels"], m.get("gWidth", m["width"]), m["latent"])
    D = discriminator(m["size"], m["channels"], m.get("dWidth", m["width"]))
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    b = m["batch"]
    real = torch.rand(b, m["channels"], m["size"], m["size"]) * 2 - 1
    ones, zeros = torch.ones(b, 1), torch.zeros(b, 1)

    def step():
        z = torch.randn(b, m["latent"])
        fake = G(z)
        opt_d.zero_grad()
        loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = bce(D(fake), ones)
        loss_g.backward()
        opt_g.step()
        return loss_d.item() + loss_g.item()

    for _ in range(m["warmup"]):
        step()
    times = []
    for _ in range(m["steps"]):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    g_macs = layer_macs(G, torch.randn(2, m["latent"]))
    d_macs = layer_macs(D, real[:2])
    return {"id": m["id"], "threads": threads_label, "stepMs": times, "flops": step_flops(g_macs, d_macs, b), "gMacs": g_macs, "dMacs": d_macs}


def time_sampling(m, s):
    torch.manual_seed(0)
    G = generator(m["size"], m["channels"], m["width"], m["latent"]).eval()
    with torch.no_grad():
        G(torch.randn(s["batch"], m["latent"]))
        t0 = time.perf_counter()
        done = 0
        while done < s["count"]:
            n = min(s["batch"], s["count"] - done)
            G(torch.randn(n, m["latent"])).numpy()
            done += n
        seconds = time.perf_counter() - t0
    return {"id": s["id"], "count": s["count"], "seconds": seconds, "imagesPerSec": s["count"] / seconds}


def matmul_gflops():
    """1024×1024×1024 float32 matmul rate (median of 5), PyTorch's counterpart of run.mjs's wasm matmul ceiling."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    torch.mm(a, b)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - t0)
    return 2 * 1024 ** 3 / statistics.median(times) / 1e9


def main():
    spec = json.loads(sys.argv[1])
    default_threads = torch.get_num_threads()
    out = {"torch": torch.__version__, "defaultThreads": default_threads, "train": [], "sample": [], "matmul": []}
    for t in spec["threads"]:
        # 0 = the default count; where that is 1 (already the first row), all cores instead.
        n = t or (default_threads if default_threads > 1 else 2)
        torch.set_num_threads(n)
        label = f"{n}" if t else (f"{n} (default)" if n == default_threads else f"{n} (all cores; default is {default_threads})")
        out["matmul"].append({"threads": label, "gflops": matmul_gflops()})
        for _ in range(spec.get("repeats", 1)):
            for m in spec["models"]:
                out["train"].append(time_train(m, label))
        s = spec.get("sample")
        if s:
            m = next(x for x in spec["models"] if x["id"] == s["id"])
            r = time_sampling(m, s)
            r["threads"] = label
            out["sample"].append(r)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
