#!/usr/bin/python3
"""PyTorch twin of one gankit trainer step for bench/memory: the same architecture, loss, regularizer, n_critic,
batch size and optimizers as the shipped preset, on a uint8 dataset of the same size held in memory (as
torchvision's MNIST/CIFAR datasets hold theirs). Prints the process's peak RSS after each step as one JSON line.

Written from gankit's architecture definitions (packages/models/src/architectures) and the papers:
DCGAN (Radford et al. 2015; 64x64 = the PyTorch DCGAN tutorial), cGAN (Mirza & Osindero 2014, label map into D),
ACGAN (Odena et al. 2017), SN (Miyato et al. 2018), WGAN-GP with layer norm (Gulrajani et al. 2017),
SNGAN ResNet 32x32 (Miyato et al. 2018). A memory twin: the weights are random, the data is random.

Usage: /usr/bin/python3 torch_twin.py '<json spec>'   spec keys: architecture, imageShape [H, W, C], width,
generatorWidth, discriminatorWidth, latentDim, numClasses, spectralNorm, discriminatorNormalization, loss,
gradientPenalty, batchSize, nCritic, shareGeneratorForward, ema, datasetSize, steps, threads.
"""
import json
import resource
import sys

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


def peak_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def maybe_sn(module, on):
    return spectral_norm(module) if on else module


# ---------------------------------------------------------------- DCGAN family
G_MULTS = {28: [4, 2], 32: [4, 2, 1], 64: [8, 4, 2, 1]}
D_MULTS = {28: [1, 2], 32: [1, 2, 4], 64: [1, 2, 4, 8]}


class DcganGenerator(nn.Module):
    def __init__(self, size, nz, w, nc, num_classes=None):
        super().__init__()
        self.size, mults = size, G_MULTS[size]
        self.embed = nn.Embedding(num_classes, num_classes) if num_classes else None
        fin = nz + (num_classes or 0)
        self.first_channels = mults[0] * w
        self.first = nn.Linear(fin, 7 * 7 * mults[0] * w, bias=False) if size == 28 else nn.ConvTranspose2d(fin, mults[0] * w, 4, 1, 0, bias=False)
        layers = [nn.BatchNorm2d(mults[0] * w), nn.ReLU()]
        for a, b in zip(mults, mults[1:]):
            layers += [nn.ConvTranspose2d(a * w, b * w, 4, 2, 1, bias=False), nn.BatchNorm2d(b * w), nn.ReLU()]
        layers += [nn.ConvTranspose2d(mults[-1] * w, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z, y=None):
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], 1)
        x = self.first(z).view(-1, self.first_channels, 7, 7) if self.size == 28 else self.first(z[:, :, None, None])
        return self.body(x)


class DcganDiscriminator(nn.Module):
    def __init__(self, size, w, nc, normalization='batch', sn=False, label_map=None, aux_classes=None):
        super().__init__()
        self.size = size
        self.label_map = nn.Embedding(label_map, size * size) if label_map else None
        layers, c, res = [], nc + (1 if label_map else 0), size
        for i, m in enumerate(D_MULTS[size]):
            layers.append(maybe_sn(nn.Conv2d(c, m * w, 4, 2, 1, bias=normalization == 'none'), sn))
            res //= 2
            if i > 0 and normalization == 'batch':
                layers.append(nn.BatchNorm2d(m * w))
            if i > 0 and normalization == 'layer':
                layers.append(nn.LayerNorm([m * w, res, res]))
            layers.append(nn.LeakyReLU(0.2))
            c = m * w
        self.body = nn.Sequential(*layers)
        features = c * res * res
        dense_head = size == 28 or aux_classes
        self.head = maybe_sn(nn.Linear(features, 1), sn) if dense_head else maybe_sn(nn.Conv2d(c, 1, 4, 1, 0, bias=normalization == 'none'), sn)
        self.aux = nn.Linear(features, aux_classes) if aux_classes else None

    def forward(self, x, y=None):
        if self.label_map is not None:
            x = torch.cat([x, self.label_map(y).view(-1, 1, self.size, self.size)], 1)
        h = self.body(x)
        if isinstance(self.head, nn.Linear) or (hasattr(self.head, 'in_features')):
            flat = h.flatten(1)
            logits = self.head(flat)
            return (logits, self.aux(flat)) if self.aux is not None else logits
        return self.head(h).flatten(1)


# ---------------------------------------------------------------- MLP (Goodfellow et al. 2014)
def mlp_generator(nz, out):
    return nn.Sequential(nn.Linear(nz, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 1024), nn.ReLU(), nn.Linear(1024, out), nn.Tanh())


class MlpDiscriminator(nn.Module):
    def __init__(self, inp):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(inp, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))

    def forward(self, x, y=None):
        return self.net(x)


class MlpGenerator(nn.Module):
    def __init__(self, nz, shape):
        super().__init__()
        self.shape, self.net = shape, mlp_generator(nz, shape[0] * shape[1] * shape[2])

    def forward(self, z, y=None):
        return self.net(z).view(-1, self.shape[2], self.shape[0], self.shape[1])


# ---------------------------------------------------------------- SNGAN ResNet 32x32 (Miyato et al. 2018)
class GBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(ch), nn.Conv2d(ch, ch, 3, 1, 1)
        self.bn2, self.conv2 = nn.BatchNorm2d(ch), nn.Conv2d(ch, ch, 3, 1, 1)
        self.shortcut = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        h = F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode='nearest')
        h = self.conv2(F.relu(self.bn2(self.conv1(h))))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode='nearest'))


class SnganGenerator(nn.Module):
    def __init__(self, nz=128, ch=256, nc=3):
        super().__init__()
        self.ch = ch
        self.dense = nn.Linear(nz, 4 * 4 * ch)
        self.blocks = nn.Sequential(GBlock(ch), GBlock(ch), GBlock(ch))
        self.bn, self.out = nn.BatchNorm2d(ch), nn.Conv2d(ch, nc, 3, 1, 1)

    def forward(self, z, y=None):
        return torch.tanh(self.out(F.relu(self.bn(self.blocks(self.dense(z).view(-1, self.ch, 4, 4))))))


class DBlock(nn.Module):
    def __init__(self, cin, cout, down, optimized=False):
        super().__init__()
        self.down, self.optimized = down, optimized
        self.conv1 = spectral_norm(nn.Conv2d(cin, cout, 3, 1, 1))
        self.conv2 = spectral_norm(nn.Conv2d(cout, cout, 3, 1, 1))
        self.shortcut = spectral_norm(nn.Conv2d(cin, cout, 1)) if (optimized or down or cin != cout) else None

    def forward(self, x):
        if self.optimized:
            return F.avg_pool2d(self.conv2(F.relu(self.conv1(x))), 2) + self.shortcut(F.avg_pool2d(x, 2))
        h = self.conv2(F.relu(self.conv1(F.relu(x))))
        sc = self.shortcut(x) if self.shortcut is not None else x
        if self.down:
            h, sc = F.avg_pool2d(h, 2), F.avg_pool2d(sc, 2)
        return h + sc


class SnganDiscriminator(nn.Module):
    def __init__(self, nc=3, ch=128):
        super().__init__()
        self.blocks = nn.Sequential(DBlock(nc, ch, True, optimized=True), DBlock(ch, ch, True), DBlock(ch, ch, False), DBlock(ch, ch, False))
        self.dense = spectral_norm(nn.Linear(ch, 1))

    def forward(self, x, y=None):
        return self.dense(torch.sum(F.relu(self.blocks(x)), dim=(2, 3)))


# ---------------------------------------------------------------- the preset's models and step
def build(spec):
    arch = spec['architecture']
    h, w, c = spec['imageShape']
    gw = spec.get('generatorWidth') or spec.get('width') or 64
    dw = spec.get('discriminatorWidth') or spec.get('width') or 64
    nz, k = spec['latentDim'], spec.get('numClasses')
    sn = bool(spec.get('spectralNorm'))
    if arch == 'mlp':
        return MlpGenerator(nz, (h, w, c)), MlpDiscriminator(h * w * c)
    if arch == 'sngan-resnet':
        return SnganGenerator(nz, spec.get('width') or 256, c), SnganDiscriminator(c, spec.get('discriminatorWidth') or 128)
    norm = spec.get('discriminatorNormalization') or ('layer' if arch == 'wgan-gp' else 'batch')
    if arch == 'cgan':
        return DcganGenerator(h, nz, gw, c, k), DcganDiscriminator(h, dw, c, norm, sn, label_map=k)
    if arch == 'acgan':
        return DcganGenerator(h, nz, gw, c, k), DcganDiscriminator(h, dw, c, norm, sn, aux_classes=k)
    return DcganGenerator(h, nz, gw, c), DcganDiscriminator(h, dw, c, norm, sn)


def d_losses(loss, real_logits, fake_logits):
    if loss == 'hinge':
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    if loss == 'wasserstein':
        return fake_logits.mean() - real_logits.mean()
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss(loss, fake_logits):
    if loss in ('hinge', 'wasserstein'):
        return -fake_logits.mean()
    return F.softplus(-fake_logits).mean()


def gradient_penalty(D, real, fake, y, lam):
    eps = torch.rand(real.shape[0], 1, 1, 1)
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    out = D(x, y)
    out = out[0] if isinstance(out, tuple) else out
    grad, = torch.autograd.grad(out.sum(), x, create_graph=True)
    return lam * ((grad.flatten(1).pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(spec.get('threads', 1))
    torch.manual_seed(0)
    h, w, c = spec['imageShape']
    n, k, nz = spec['batchSize'], spec.get('numClasses'), spec['latentDim']
    data = torch.randint(0, 256, (spec['datasetSize'], h, w, c), dtype=torch.uint8)
    labels = torch.randint(0, k or 1, (spec['datasetSize'],))
    G, D = build(spec)
    opt = lambda m, o: torch.optim.Adam(m.parameters(), lr=o['learningRate'], betas=(o.get('beta1', 0.5), o.get('beta2', 0.999)))
    opt_g, opt_d = opt(G, spec['optimizers']['generator']), opt(D, spec['optimizers']['discriminator'])
    ema = [p.detach().clone() for p in G.parameters()] if spec.get('ema') else None
    loss, gp, arch = spec['loss'], spec.get('gradientPenalty') or 0, spec['architecture']
    conditional_d = arch in ('cgan',)
    start = peak_mb()

    def batch():
        idx = torch.randint(0, data.shape[0], (n,))
        x = data[idx].permute(0, 3, 1, 2).float().div(127.5).sub(1)
        return x, labels[idx]

    def logits(out):
        return out[0] if isinstance(out, tuple) else out

    def d_step(fake, real, y_real, y_fake):
        opt_d.zero_grad(set_to_none=True)
        r, f = D(real, y_real if conditional_d else None), D(fake, y_fake if conditional_d else None)
        lossd = d_losses(loss, logits(r), logits(f))
        if arch == 'acgan':
            lossd = lossd + F.cross_entropy(r[1], y_real) + F.cross_entropy(f[1], y_fake)
        if gp:
            lossd = lossd + gradient_penalty(D, real, fake, y_real if conditional_d else None, gp)
        lossd.backward()
        opt_d.step()

    def g_step(fake, y_fake):
        opt_g.zero_grad(set_to_none=True)
        out = D(fake, y_fake if conditional_d else None)
        lossg = g_loss(loss, logits(out))
        if arch == 'acgan':
            lossg = lossg + F.cross_entropy(out[1], y_fake)
        lossg.backward()
        opt_g.step()

    per_step = []
    for _ in range(spec['steps']):
        if spec['nCritic'] == 1 and spec.get('shareGeneratorForward', True):
            real, y = batch()
            y_fake = torch.randint(0, k or 1, (n,))
            fake = G(torch.randn(n, nz), y_fake if k else None)
            d_step(fake.detach(), real, y, y_fake)
            g_step(fake, y_fake)
        else:
            for _ in range(spec['nCritic']):
                real, y = batch()
                y_fake = torch.randint(0, k or 1, (n,))
                with torch.no_grad():
                    fake = G(torch.randn(n, nz), y_fake if k else None)
                d_step(fake, real, y, y_fake)
            y_fake = torch.randint(0, k or 1, (n,))
            g_step(G(torch.randn(n, nz), y_fake if k else None), y_fake)
        if ema is not None:
            with torch.no_grad():
                for e, p in zip(ema, G.parameters()):
                    e.mul_(0.999).add_(p, alpha=0.001)
        per_step.append(peak_mb())
    print(json.dumps({'startMB': start, 'perStepMB': per_step, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
