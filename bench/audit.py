"""Benchmark (not a test) of `weightmem audit` in weight space: 100 training + 50 generated +
50 held-out ResNet-18 state dicts (11.7M parameters each at --scale 1, ~9 GB of fp32; --scale s
shrinks the widths so a model has ~s × 11.7M), written here as folders of .safetensors files,
then audited as the DAG does it: import into WeightSets (one model in memory at a time), nearest
and second-nearest training model of every set streamed by column chunks, the Z_U verdict.
Prints wall time per phase, the audit's peak memory (its own process) and its read throughput
against `cat` of the same files (both with the files in the page cache, as just written), and
against the floor of the import — `cat` plus writing as many bytes to new files in the same
folder (the WeightSets it must write), both measured in the same run.

    python bench/audit.py --scale 0.1 [--dir /tmp/bench-audit] [--threads 2]

With --dir, files already there from an earlier run at the same scale are reused (and kept).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))

SETS = {"T": 100, "G": 50, "H": 50}


def write(folder: Path, scale: float, seed: int = 0) -> int:
    """The state dicts: G = the first 50 training models + noise (a planted memorizer)."""
    import torch
    from safetensors.torch import save_file

    from weightmem.nets.resnet import ResNet18, ResNetConfig

    width = max(4, round(64 * scale ** 0.5))
    shapes = {k: v.shape for k, v in ResNet18(ResNetConfig(n_classes=1000, width=width))
              .state_dict().items() if v.is_floating_point()}
    stamp = folder / f"complete-scale{scale:g}-seed{seed}"
    if stamp.exists():  # written by an earlier run with --dir
        return sum(s.numel() for s in shapes.values())
    g = torch.Generator().manual_seed(seed)
    train = []
    for name, n in SETS.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            if name == "G":
                src = train[i]
                sd = {k: v + 1e-3 * torch.randn(v.shape, generator=g) for k, v in src.items()}
            else:
                sd = {k: torch.randn(s, generator=g) * 0.05 for k, s in shapes.items()}
            save_file(sd, str(folder / name / f"run{i:03d}_e1.safetensors"))
            if name == "T" and i < SETS["G"]:
                train.append(sd)
    stamp.touch()
    return sum(s.numel() for s in shapes.values())


def write_floor(folder: Path, size: int, piece: int) -> float:
    """Seconds to write ``size`` bytes to three new files in ``folder`` from one reused buffer of
    ``piece`` bytes, as the import writes its WeightSets (then removed)."""
    buf = bytearray(piece)
    t = time.perf_counter()
    for k in range(3):
        path = folder / f"floor{k}.tmp"
        with open(path, "wb") as f:
            for _ in range(round(size / 3 / piece)):
                f.write(buf)
    elapsed = time.perf_counter() - t
    for k in range(3):
        os.remove(folder / f"floor{k}.tmp")
    return elapsed


def audit(folder: Path, threads: int) -> dict:
    """The audit in this process (run as a child: its peak memory is the audit's own)."""
    import resource

    import torch

    from weightmem import audit as A
    from weightmem.evaluation import copying, weightspace

    torch.set_num_threads(threads)
    out = {r: folder / f"{r}.safetensors" for r in ("training", "generated", "heldout")}
    t0 = time.perf_counter()
    info = A.import_sets({"training": str(folder / "T"), "generated": str(folder / "G"),
                          "heldout": str(folder / "H")}, out)
    t1 = time.perf_counter()
    tables = {r: weightspace.table(r, out[r], out["training"], "plain", r == "training")
              for r in ("training", "generated", "heldout")}
    t2 = time.perf_counter()
    v, _ = copying.audit(tables["training"], tables["generated"], tables["heldout"])
    return {"import_s": t1 - t0, "tables_s": t2 - t1,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "verdict": v["verdict"], "z_u": v["z_u"], "parameters": info["parameters"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--dir", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(audit(Path(a.child), a.threads)))
        return
    folder = Path(a.dir or tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        params = write(folder, a.scale)
        os.sync()  # every phase below starts with no dirty pages pending write-back
        files = sorted(str(f) for s in SETS for f in (folder / s).iterdir())
        size = sum(Path(f).stat().st_size for f in files)
        t = time.perf_counter()
        subprocess.run(f"cat {folder}/T/* {folder}/G/* {folder}/H/* > /dev/null", shell=True,
                       check=True)
        cat_s = time.perf_counter() - t
        floor_s = write_floor(folder, size, 4 * params)
        os.sync()
        r = subprocess.run([sys.executable, __file__, "--child", str(folder), "--threads",
                            str(a.threads)], capture_output=True, text=True, check=True)
        res = json.loads(r.stdout.strip().splitlines()[-1])
        for role in ("training", "generated", "heldout"):
            (folder / f"{role}.safetensors").unlink(missing_ok=True)
        # bytes the audit reads: the input files once (import), then the WeightSets: training
        # three times (as reference for each set) and generated / held-out once each
        ws = size  # the WeightSets hold the same values
        read = size + ws * (3 * 100 + 50 + 50) / 200
        print(f"{len(files)} state dicts of {params:,} parameters ({size / 1e9:.2f} GB); "
              f"{a.threads} threads")
        print(f"cat of the files: {cat_s:.2f} s ({size / cat_s / 1e9:.2f} GB/s)")
        print(f"writing as many bytes to new files: {floor_s:.2f} s "
              f"({size / floor_s / 1e9:.2f} GB/s); the import's floor: cat + write = "
              f"{cat_s + floor_s:.2f} s")
        print(f"import (read folders, write WeightSets): {res['import_s']:.2f} s "
              f"({size / res['import_s'] / 1e9:.2f} GB/s read, "
              f"{100 * cat_s / res['import_s']:.0f}% of cat, "
              f"{100 * (cat_s + floor_s) / res['import_s']:.0f}% of cat + write)")
        print(f"tables (nearest + second nearest, streamed): {res['tables_s']:.2f} s "
              f"({(read - size) / res['tables_s'] / 1e9:.2f} GB/s)")
        total = res["import_s"] + res["tables_s"]
        print(f"total {total:.2f} s; read throughput {read / total / 1e9:.2f} GB/s = "
              f"{100 * (read / total) / (size / cat_s):.0f}% of cat; peak memory "
              f"{res['peak_mb']:.0f} MB; verdict {res['verdict']} (Z_U {res['z_u']:.2f})")
    finally:
        if not a.dir:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
