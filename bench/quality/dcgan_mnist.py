"""The mnist-dcgan preset of gankit-train in PyTorch, for bench/quality.

Same architecture as @gankit/models' 28x28 DCGAN (G: dense -> 7x7x4w, BN, ReLU, convT 2w, BN, ReLU, convT 1, tanh;
D: conv w, LReLU(0.2), conv 2w, BN, LReLU(0.2), dense 1; no conv biases; weights N(0, 0.02), BN gamma N(1, 0.02)),
same loss (BCE with logits: the seed's L_D and non-saturating L_G), Adam 2e-4 (0.5, 0.999) eps 1e-8, batch 64,
MNIST train scaled to [-1, 1] and reshuffled every epoch. Samples are drawn with G in eval mode (BN running stats),
as gankit-train samples, and saved as uint8 [N, 28, 28] .npy for scoring with gankit's MNIST FID.

Run with Debian's python: /usr/bin/python3 bench/quality/dcgan_mnist.py --mnist-dir DIR --steps 1000 --seed 0 --out s.npy
"""
import argparse
import os
import time

import numpy as np
import torch
from torch import nn


def read_idx_images(path):
    with open(path, "rb") as f:
        data = f.read()
    assert int.from_bytes(data[0:4], "big") == 0x803, path
    n, h, w = (int.from_bytes(data[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, h, w)


class Generator(nn.Module):
    def __init__(self, latent, w):
        super().__init__()
        self.fc = nn.Linear(latent, 7 * 7 * 4 * w, bias=False)
        self.w = w
        self.net = nn.Sequential(
            nn.BatchNorm2d(4 * w), nn.ReLU(True),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(True),
            nn.ConvTranspose2d(2 * w, 1, 4, 2, 1, bias=False), nn.Tanh(),
        )

    def forward(self, z):
        # gankit reshapes the dense output as [7, 7, C] (channels last); view it the same way, then go NCHW.
        x = self.fc(z).view(-1, 7, 7, 4 * self.w).permute(0, 3, 1, 2)
        return self.net(x)


class Discriminator(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),
        )
        self.fc = nn.Linear(7 * 7 * 2 * w, 1)

    def forward(self, x):
        return self.fc(self.net(x).permute(0, 2, 3, 1).reshape(x.shape[0], -1))


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mnist-dir", required=True)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--latent", type=int, default=100)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    images = read_idx_images(os.path.join(a.mnist_dir, "train-images-idx3-ubyte"))
    data = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    g, d = Generator(a.latent, a.width), Discriminator(a.width)
    g.apply(init_weights)
    d.apply(init_weights)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    bce = nn.BCEWithLogitsLoss()
    order, at = torch.randperm(len(data)), 0
    start = time.time()
    for step in range(1, a.steps + 1):
        if at + a.batch_size > len(data):  # drop the remainder, reshuffle every epoch
            order, at = torch.randperm(len(data)), 0
        real = data[order[at:at + a.batch_size]]
        at += a.batch_size
        # D step with G fixed (fake.detach()), then the G step on the same samples with D fixed, as gankit-train
        # does by default (shareGeneratorForward) and as the PyTorch DCGAN tutorial does.
        fake = g(torch.randn(a.batch_size, a.latent))
        real_logits, fake_logits = d(real), d(fake.detach())
        loss_d = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        # G step with D fixed (non-saturating)
        fake_logits = d(fake)
        loss_g = bce(fake_logits, torch.ones_like(fake_logits))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if step % 100 == 0 or step == a.steps:
            print(f"step {step}/{a.steps} d_loss {loss_d.item():.4f} g_loss {loss_g.item():.4f}", flush=True)
    seconds = time.time() - start
    g.eval()
    with torch.no_grad():
        out = []
        for i in range(0, a.samples, 500):
            x = g(torch.randn(min(500, a.samples - i), a.latent))
            out.append(torch.round((x.clamp(-1, 1) + 1) * 127.5).to(torch.uint8).squeeze(1).numpy())
    np.save(a.out, np.concatenate(out))
    print(f"trained {a.steps} steps in {seconds:.1f} s; wrote {a.samples} samples to {a.out}", flush=True)


if __name__ == "__main__":
    main()
