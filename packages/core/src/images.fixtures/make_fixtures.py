"""Reference grids for images.test.ts, written by torchvision's save_image (torch 1.13 / torchvision 0.14).

Run with Debian's Python: /usr/bin/python3 packages/core/src/images.fixtures/make_fixtures.py
Inputs are integer formulas cast to float32, so the TypeScript test rebuilds them bit for bit:
value i (row-major NHWC index) = float32(((i * 7919) % modulus - offset) / 1000).
"""
import os

import numpy as np
import torch
from PIL import Image
from torchvision.utils import save_image

HERE = os.path.dirname(os.path.abspath(__file__))


def images(shape, modulus, offset):
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    nhwc = (((i * 7919) % modulus - offset) / 1000).astype(np.float32).reshape(shape)
    return torch.from_numpy(nhwc).permute(0, 3, 1, 2).contiguous()  # NCHW for torchvision


# 64 grayscale 28x28 images in [-1.1, 1.1] (clamped), tanh range, 8 per row, padding 2.
save_image(images((64, 28, 28, 1), 2201, 1100), os.path.join(HERE, 'grid-64-gray-tanh.png'),
           nrow=8, padding=2, normalize=True, value_range=(-1, 1))
# 3 RGB 5x7 images in [-0.1, 1.1] (clamped), unit range, 2 per row, padding 1, gray padding.
save_image(images((3, 5, 7, 3), 1201, 100), os.path.join(HERE, 'grid-3-rgb-unit.png'),
           nrow=2, padding=1, pad_value=0.5)
# 1 RGB 4x6 image (torchvision returns a single image without padding, so padding 0 here).
save_image(images((1, 4, 6, 3), 1201, 100), os.path.join(HERE, 'grid-1-rgb-unit.png'), padding=0)
# A 16-bit grayscale PNG (0, 2570, 65535) for decodePng: expected bytes 0, 10, 255.
Image.fromarray(np.array([[0, 2570, 65535]], dtype=np.uint16)).save(os.path.join(HERE, 'gray16.png'))
print('wrote fixtures to', HERE)
