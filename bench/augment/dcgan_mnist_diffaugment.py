"""PyTorch twin of gankit's mnist-1k-diffaug bench run, for bench/augment.

The 28x28 DCGAN of bench/quality/dcgan_mnist.py (the same architecture as @gankit/models' DCGAN) trained on a
given subset of the MNIST training digits (indices from a JSON file, the subset gankit-train's data.limit picked),
with DiffAugment applied to real and fake images in the D step and to fake images in the G step. The DiffAugment
here is written from the paper (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS
2020), per image: brightness x + U[-0.5, 0.5); saturation (x - mean over channels) * U[0, 2) + mean; contrast
(x - mean over C, H, W) * U[0.5, 1.5) + mean; translation by integers in [-round(H/8), round(H/8)] with zero padding;
cutout of a square of side round(H/2) centred anywhere in the image. Loss: BCE with logits (the seed's L_D,
non-saturating L_G); Adam (--beta1, --beta2, eps 1e-8; --lr for G, --d-lr for D). With --ema-decay d > 0, G's
parameters (not its batch-norm running statistics, which stay the training G's) are averaged as gankit-train's
training.emaDecay/emaStart do: after every step, the shadow copies the weights for the first --ema-start steps, then
shadow <- d*shadow + (1 - d)*weight; samples come from the averaged weights. Samples are drawn with G in eval mode and saved as uint8 .npy.
An empty --policy trains without augmentation. --snapshots 1000,2000 also writes OUT-1000.npy, OUT-2000.npy: samples of
the (averaged) G after those steps, from latents of their own generator, so the training draws are those of a run
without snapshots.

/usr/bin/python3 bench/augment/dcgan_mnist_diffaugment.py --mnist-dir DIR --indices subset.json --steps 2000 \
    --seed 0 --generator-width 12 --discriminator-width 24 --latent 64 --batch-size 32 --lr 5e-4 --policy color,translation,cutout \
    --ema-decay 0.998 --ema-start 400 --out s.npy
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'quality'))
from dcgan_mnist import Discriminator, Generator, init_weights, read_idx_images  # noqa: E402


def color(x):
    n = x.shape[0]
    x = x + (torch.rand(n, 1, 1, 1) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(n, 1, 1, 1) * 2) + mean
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (torch.rand(n, 1, 1, 1) + 0.5) + mean


def translation(x, ratio=0.125):
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sy, sy + 1, (n, 1, 1))
    dx = torch.randint(-sx, sx + 1, (n, 1, 1))
    rows = torch.arange(h).view(1, h, 1) + dy  # source row of each output row
    cols = torch.arange(w).view(1, 1, w) + dx
    inside = ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)).unsqueeze(1)
    flat = (rows.clamp(0, h - 1) * w + cols.clamp(0, w - 1)).view(n, 1, h * w).expand(-1, x.shape[1], -1)
    moved = torch.gather(x.reshape(n, x.shape[1], h * w), 2, flat).view_as(x)
    return moved * inside


def cutout(x, ratio=0.5):
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h + 1 - ch % 2, (n, 1, 1)) - ch // 2
    left = torch.randint(0, w + 1 - cw % 2, (n, 1, 1)) - cw // 2
    rows = torch.arange(h).view(1, h, 1)
    cols = torch.arange(w).view(1, 1, w)
    cut = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~cut).unsqueeze(1).to(x.dtype)


OPS = {'color': color, 'translation': translation, 'cutout': cutout}


def diff_augment(x, policy):
    for name in policy:
        x = OPS[name](x)
    return x


def sample(g, shadows, n, latent, generator=None):
    """n uint8 samples [n, 28, 28] of a copy of G in eval mode, with the averaged weights when shadows is given."""
    h = copy.deepcopy(g).eval()
    with torch.no_grad():
        if shadows is not None:
            for shadow, q in zip(shadows, h.parameters()):
                q.copy_(shadow)
        out = []
        for i in range(0, n, 500):
            x = h(torch.randn(min(500, n - i), latent, generator=generator))
            out.append(torch.round((x.clamp(-1, 1) + 1) * 127.5).to(torch.uint8).squeeze(1).numpy())
    return np.concatenate(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--mnist-dir', required=True)
    p.add_argument('--indices', required=True, help='JSON list of training-set indices (the subset)')
    p.add_argument('--steps', type=int, default=2000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--batch-size', type=int, default=32)
    p.add_argument('--latent', type=int, default=64)
    p.add_argument('--generator-width', type=int, default=12)
    p.add_argument('--discriminator-width', type=int, default=24)
    p.add_argument('--lr', type=float, default=5e-4, help="G's Adam learning rate (and D's unless --d-lr)")
    p.add_argument('--d-lr', type=float, default=None)
    p.add_argument('--beta1', type=float, default=0.5)
    p.add_argument('--beta2', type=float, default=0.999)
    p.add_argument('--policy', default='color,translation,cutout')
    p.add_argument('--samples', type=int, default=5000)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--ema-decay', type=float, default=0.0, help='gankit training.emaDecay (0 = off)')
    p.add_argument('--ema-start', type=int, default=0, help='gankit training.emaStart')
    p.add_argument('--out', required=True)
    p.add_argument('--snapshots', default='', help='comma-separated steps after which OUT-STEP.npy is written too')
    a = p.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    policy = [s for s in a.policy.split(',') if s]
    snapshots = {int(s) for s in a.snapshots.split(',') if s}
    with open(a.indices) as f:
        indices = np.array(json.load(f), dtype=np.int64)
    images = read_idx_images(os.path.join(a.mnist_dir, 'train-images-idx3-ubyte'))[indices]
    data = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
    g, d = Generator(a.latent, a.generator_width), Discriminator(a.discriminator_width)
    g.apply(init_weights)
    d.apply(init_weights)
    opt_g = torch.optim.Adam(g.parameters(), lr=a.lr, betas=(a.beta1, a.beta2), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=a.lr if a.d_lr is None else a.d_lr, betas=(a.beta1, a.beta2), eps=1e-8)
    bce = F.binary_cross_entropy_with_logits
    shadows = [q.detach().clone() for q in g.parameters()] if a.ema_decay > 0 else None
    order, at = torch.randperm(len(data)), 0
    real_sign = 0.0  # sum of E[sign(D(x_real))] (gankit's r_t) since the last print
    start = time.time()
    for step in range(1, a.steps + 1):
        if at + a.batch_size > len(data):
            order, at = torch.randperm(len(data)), 0
        real = data[order[at:at + a.batch_size]]
        at += a.batch_size
        fake = g(torch.randn(a.batch_size, a.latent))
        real_logits = d(diff_augment(real, policy))
        fake_logits = d(diff_augment(fake.detach(), policy))
        real_sign += real_logits.detach().sign().mean().item()
        loss_d = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        fake_logits = d(diff_augment(fake, policy))
        loss_g = bce(fake_logits, torch.ones_like(fake_logits))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        if shadows is not None:
            with torch.no_grad():
                for shadow, q in zip(shadows, g.parameters()):
                    if step <= a.ema_start:
                        shadow.copy_(q)
                    else:
                        shadow.mul_(a.ema_decay).add_(q, alpha=1 - a.ema_decay)
        if step in snapshots:
            latents = torch.Generator().manual_seed(10_000 + a.seed)
            np.save(a.out[:-4] + f'-{step}.npy' if a.out.endswith('.npy') else f'{a.out}-{step}', sample(g, shadows, a.samples, a.latent, latents))
        if step % 500 == 0 or step == a.steps:
            print(f'step {step}/{a.steps} d_loss {loss_d.item():.4f} g_loss {loss_g.item():.4f} r_t {real_sign / (step - (step - 1) // 500 * 500):.3f}', flush=True)
            real_sign = 0.0
    seconds = time.time() - start
    np.save(a.out, sample(g, shadows, a.samples, a.latent))
    print(f'trained {a.steps} steps in {seconds:.1f} s; wrote {a.samples} samples to {a.out}', flush=True)


if __name__ == '__main__':
    main()
