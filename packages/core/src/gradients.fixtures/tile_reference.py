#!/usr/bin/python3
"""PyTorch reference for gradients.test.ts: the gradient of tile (torch's Tensor.repeat) and the WGAN-GP penalty's
gradient through a layer-normalised critic (the second-order case that exposed TF.js's Tile gradient).

Reads one JSON object on stdin: {"tile": [{"x": [...], "shape": [...], "reps": [...], "dy": [...]}],
"penalty": {"x": [...], "shape": [N, H, W, C], "w": [...], "wShape": [KH, KW, C, F], "eps": 1e-5}}
and prints {"tile": [dx, ...], "penalty": {"value": v, "dw": [...]}} (row-major, NHWC / HWIO like TF.js).
Run with Debian's python3-torch: echo '<json>' | /usr/bin/python3 tile_reference.py
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def tile_gradient(case):
    x = torch.tensor(case['x']).reshape(case['shape']).requires_grad_(True)
    y = x.repeat(*case['reps'])
    dy = torch.tensor(case['dy']).reshape(y.shape)
    (y * dy).sum().backward()
    return x.grad.flatten().tolist()


def penalty(case):
    """GP of the critic D(x) = sum(tanh(layer_norm(conv(x, w)))) over C,H,W at x: (||dD/dx|| - 1)^2 averaged; and d/dw."""
    x = torch.tensor(case['x']).reshape(case['shape']).permute(0, 3, 1, 2).requires_grad_(True)
    w = torch.tensor(case['w']).reshape(case['wShape']).permute(3, 2, 0, 1).requires_grad_(True)
    h = F.conv2d(x, w, padding='same')
    h = F.layer_norm(h, h.shape[1:], eps=case['eps'])
    out = torch.tanh(h).flatten(1).sum(1)
    grad, = torch.autograd.grad(out.sum(), x, create_graph=True)
    value = ((grad.flatten(1).pow(2).sum(1) + 1e-12).sqrt() - 1).pow(2).mean()
    dw, = torch.autograd.grad(value, w)
    return {'value': value.item(), 'dw': dw.permute(2, 3, 1, 0).flatten().tolist()}


def main():
    spec = json.load(sys.stdin)
    print(json.dumps({'tile': [tile_gradient(c) for c in spec['tile']], 'penalty': penalty(spec['penalty'])}))


if __name__ == '__main__':
    main()
