"""Times PIL's PNG encoder (what torchvision's save_image uses) on raw RGB grids written by run.mjs.

Usage: /usr/bin/python3 pil_encode.py <raw file> <width> <height> <repeats>; prints `median_ms bytes` as JSON.
"""
import io
import json
import sys
import time

import numpy as np
from PIL import Image

path, width, height, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
pixels = np.fromfile(path, dtype=np.uint8).reshape(height, width, 3)
image = Image.fromarray(pixels)
times, size = [], 0
for i in range(repeats + 3):
    buffer = io.BytesIO()
    t0 = time.perf_counter()
    image.save(buffer, format='PNG')
    elapsed = (time.perf_counter() - t0) * 1000
    size = buffer.tell()
    if i >= 3:
        times.append(elapsed)
times.sort()
print(json.dumps({'ms': times[len(times) // 2], 'bytes': size}))
