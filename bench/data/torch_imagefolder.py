"""Reference side of bench/data: torchvision ImageFolder + DataLoader, and torchvision MNIST from the same IDX files.

Usage: /usr/bin/python3 bench/data/torch_imagefolder.py --folder DIR [--mnist-root DIR] [--workers 0 2] [--repeats 2]
Prints one JSON object: seconds per full epoch (best of `repeats`) for each configuration.
"""
import argparse
import json
import time

import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

# The same output as gankit's pipeline: float32 in [-1, 1], batches of 64, shuffled.
to_minus1_1 = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
to_minus1_1_rgb = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])


def epoch_seconds(dataset, workers, repeats):
    """Best wall seconds of `repeats` epochs, with the process CPU seconds of that epoch (workers' CPU not included)."""
    best, cpu, count = float("inf"), float("inf"), 0
    for _ in range(repeats):
        loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=workers,
                            generator=torch.Generator().manual_seed(0))
        start, cpu_start = time.perf_counter(), time.process_time()
        count = 0
        for images, labels in loader:
            count += images.shape[0]
        seconds = time.perf_counter() - start
        if seconds < best:
            best, cpu = seconds, time.process_time() - cpu_start
    return best, cpu, count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", required=True)
    parser.add_argument("--mnist-root")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for workers in args.workers:
        start, cpu_start = time.perf_counter(), time.process_time()
        dataset = datasets.ImageFolder(args.folder, transform=to_minus1_1_rgb)
        scan, scan_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        seconds, cpu, count = epoch_seconds(dataset, workers, args.repeats)
        out[f"folder_workers{workers}"] = {"seconds": scan + seconds, "scan": scan, "images": count,
                                           "cpu": scan_cpu + cpu if workers == 0 else None}
    if args.mnist_root:
        start, cpu_start = time.perf_counter(), time.process_time()
        mnist = datasets.MNIST(args.mnist_root, train=True, download=False, transform=to_minus1_1)
        load, load_cpu = time.perf_counter() - start, time.process_time() - cpu_start
        seconds, cpu, count = epoch_seconds(mnist, 0, args.repeats)
        out["mnist_workers0"] = {"seconds": load + seconds, "load": load, "images": count, "cpu": load_cpu + cpu}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
