#!/usr/bin/python3
"""`python -m pytorch_fid A B --device cpu`, rebuilt from pytorch-fid's published layout (the reference of bench/metrics/goals.mjs).

Usage:  /usr/bin/python3 pytorch_fid_cli.py A B --weights WEIGHTS.pth [--device cpu] [--batch-size 50] [--num-workers N]

pytorch-fid itself is not installed here; this script does what its `__main__` does, step by step:
  - the image files of each folder (pytorch-fid's IMAGE_EXTENSIONS), sorted, in an ImagePathDataset
    (PIL `Image.open(path).convert("RGB")` -> torchvision `ToTensor()`), read by a torch DataLoader with
    `batch_size` 50, no shuffling, `num_workers = min(len(os.sched_getaffinity(0)), 8)`
  - the FID Inception (`InceptionV3([3])`: bilinear resize to 299, 2x - 1, the network, global average pool),
    built by packages/metrics/test/fixtures/inception/make_reference.py (imported, not copied) with WEIGHTS loaded
    (seeded weights: the speed does not depend on the values; pytorch-fid downloads the real ones)
  - mu = np.mean(act, axis=0), sigma = np.cov(act, rowvar=False), in float64 as pytorch-fid's numpy arrays
  - calculate_frechet_distance (scipy.linalg.sqrtm, the eps * I retry, the real part)
Threads: torch's default (set OMP_NUM_THREADS to choose; pytorch-fid's CLI has no option for it).
Prints `FID:  <value>` as pytorch-fid does, then one JSON line with the wall time of the whole run, the thread count
and the time split (load + Inception, statistics, FID).
"""
import argparse
import importlib.util
import json
import os
import pathlib
import time

START = time.perf_counter()

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision.transforms as TF  # noqa: E402
from PIL import Image  # noqa: E402
from scipy import linalg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_REFERENCE = os.path.join(HERE, "..", "..", "packages", "metrics", "test", "fixtures", "inception", "make_reference.py")
IMAGE_EXTENSIONS = {"bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp"}


def load_make_reference():
    spec = importlib.util.spec_from_file_location("gankit_inception_make_reference", os.path.normpath(MAKE_REFERENCE))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ImagePathDataset(torch.utils.data.Dataset):
    def __init__(self, files, transforms=None):
        self.files = files
        self.transforms = transforms

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = Image.open(self.files[i]).convert("RGB")
        return self.transforms(img) if self.transforms is not None else img


def get_activations(files, reference, net, batch_size, device, num_workers):
    loader = torch.utils.data.DataLoader(
        ImagePathDataset(files, transforms=TF.ToTensor()), batch_size=batch_size, shuffle=False, drop_last=False, num_workers=num_workers
    )
    pred_arr = np.empty((len(files), 2048))
    start_idx = 0
    for batch in loader:
        batch = batch.to(device)
        with torch.no_grad():
            pred = reference.pool3_features(net, batch)
        pred = pred.cpu().numpy()
        pred_arr[start_idx : start_idx + pred.shape[0]] = pred
        start_idx += pred.shape[0]
    return pred_arr


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs=2)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--num-workers", type=int)
    args = parser.parse_args()
    num_workers = args.num_workers if args.num_workers is not None else min(len(os.sched_getaffinity(0)), 8)
    reference = load_make_reference()
    net = reference.build_fid_inception()
    net.load_state_dict(torch.load(args.weights, map_location="cpu"))
    net.eval().to(args.device)
    times = {"inception": 0.0, "stats": 0.0}
    stats = []
    for folder in args.path:
        path = pathlib.Path(folder)
        files = sorted(file for ext in IMAGE_EXTENSIONS for file in path.glob(f"*.{ext}"))
        t0 = time.perf_counter()
        act = get_activations(files, reference, net, args.batch_size, args.device, num_workers)
        t1 = time.perf_counter()
        stats.append((np.mean(act, axis=0), np.cov(act, rowvar=False)))
        times["inception"] += t1 - t0
        times["stats"] += time.perf_counter() - t1
    t2 = time.perf_counter()
    fid = calculate_frechet_distance(stats[0][0], stats[0][1], stats[1][0], stats[1][1])
    times["fid"] = time.perf_counter() - t2
    print("FID: ", fid)
    print(json.dumps({"fid": fid, "seconds": time.perf_counter() - START, "threads": torch.get_num_threads(), "num_workers": num_workers, **times}))


if __name__ == "__main__":
    main()
