"""Benchmark (not a test) of `weightmem audit` in weight space: 100 training + 50 generated +
50 held-out ResNet-18 state dicts (11.7M parameters each at --scale 1, ~9 GB of fp32; --scale s
shrinks the widths so a model has ~s × 11.7M), written here as folders of .safetensors files,
then audited as the DAG does it: the sets linked in place (no copy), the three tables —
nearest and second-nearest training model of every model — in one pass over the files' columns
(every file read once), the Z_U verdict. Prints wall time per phase, the audit's peak memory
(its own process) and its read throughput against `cat` of the same files (the files in the
page cache, as just written), and the tables' arithmetic floor — the same float64 Gram
products on data already in memory — all measured in the same run. --compare also times the
way before (sets copied into WeightSets, each table streamed on its own); --cold (root only)
times cat and the audit with the page cache emptied before each, as for checkpoints written
long ago.

With --dag, the whole `weightmem audit` (noise baselines, tables, figures, report) also runs on
the files: its wall time and each job's peak memory (Snakemake's benchmark records).

    python bench/audit.py --scale 0.1 [--dir /tmp/bench-audit] [--threads 2] [--compare]
        [--cold] [--dag]

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


def drop_caches() -> bool:
    """Write back and empty the page cache (root only), so the next reads come from the disk."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        return False
    return True


def timed_cat(folder: Path) -> float:
    t = time.perf_counter()
    subprocess.run(f"cat {folder}/T/* {folder}/G/* {folder}/H/* > /dev/null", shell=True,
                   check=True)
    return time.perf_counter() - t


def gemm_floor(dim: int, threads: int, memory: float = 256e6) -> float:
    """Seconds of the float64 Gram products behind the three tables in one pass (every set's
    rows × the training rows, over ``dim`` columns, in the column chunks
    weightmem.evaluation.weights.nearest_fused uses) on random data already in memory: the
    machine's arithmetic limit for the tables."""
    import torch

    torch.set_num_threads(threads)
    rows, n_t = sum(SETS.values()), SETS["T"]
    chunk = max(1, min(dim, int(memory // (8 * rows))))
    a = torch.randn(rows, chunk, dtype=torch.float64)
    gram = torch.zeros(rows, n_t, dtype=torch.float64)
    gram.addmm_(a, a[:n_t].T)  # warm-up
    t = time.perf_counter()
    for c in range(0, dim, chunk):
        w = min(chunk, dim - c)
        gram.addmm_(a[:, :w], a[:n_t, :w].T)
    return time.perf_counter() - t


def child(folder: Path, threads: int, mode: str) -> dict:
    """The audit in a fresh process: its peak memory is the audit's own."""
    r = subprocess.run([sys.executable, __file__, "--child", str(folder), "--threads",
                        str(threads), "--mode", mode], capture_output=True, text=True,
                       check=True)
    for role in ("training", "generated", "heldout"):
        (folder / f"{role}.safetensors").unlink(missing_ok=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def audit(folder: Path, threads: int, mode: str) -> dict:
    """The audit in this process (run as a child: its peak memory is the audit's own). ``mode``
    ``fused``: as the DAG does it — the sets linked in place, the three tables in one pass over
    the files (weightmem.evaluation.weightspace.tables); ``copy``: the way before — the sets
    copied into WeightSets, each table streamed on its own (the training set read three times)."""
    import torch

    from weightmem import audit as A
    from weightmem.evaluation import copying, weightspace
    from weightmem.runtime import peak_rss_mb  # its own, not the parent's (VmHWM)

    torch.set_num_threads(threads)
    out = {r: folder / f"{r}.safetensors" for r in ("training", "generated", "heldout")}
    t0 = time.perf_counter()
    info = A.import_sets({"training": str(folder / "T"), "generated": str(folder / "G"),
                          "heldout": str(folder / "H"),
                          "import": "link" if mode == "fused" else "copy"}, out)
    t1 = time.perf_counter()
    if mode == "fused":
        tables = weightspace.tables(out, out["training"])
    else:
        tables = {r: weightspace.table(r, out[r], out["training"], "plain", r == "training")
                  for r in ("training", "generated", "heldout")}
    t2 = time.perf_counter()
    v, _ = copying.audit(tables["training"], tables["generated"], tables["heldout"])
    return {"import_s": t1 - t0, "tables_s": t2 - t1,
            "peak_mb": peak_rss_mb(), "median_generated": v["median_generated"],
            "verdict": v["verdict"], "z_u": v["z_u"], "parameters": info["parameters"]}


def dag_audit(folder: Path, size: int) -> None:
    """`weightmem audit` on the folders, every job (noise baselines, tables, figures, report):
    wall time and each job's peak memory (the "peak memory" line of its log, as
    bench/compute_plan.py reads it: Snakemake's max_rss samples and misses short peaks)."""
    from compute_plan import jobs

    out = folder / "dag-audit"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "weightmem.cli", "audit", "--training",
                    str(folder / "T"), "--generated", str(folder / "G"), "--heldout",
                    str(folder / "H"), "--out", str(out)], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "workflow" / "scripts"),
                        "WEIGHTMEM_NO_PROGRESS": "1"})
    wall = time.perf_counter() - t
    peaks = {j["label"]: j["peak_mb"] for j in jobs(out) if j["peak_mb"] is not None}
    top = sorted(peaks.items(), key=lambda kv: -kv[1])[:4]
    verdict = json.loads((out / "verdict.json").read_text())["verdict"]
    print(f"weightmem audit, the whole DAG ({len(peaks)} jobs): {wall:.1f} s "
          f"({size / wall / 1e9:.2f} GB/s of input); largest job peaks: "
          + ", ".join(f"{k} {v:.0f} MB" for k, v in top) + f"; verdict {verdict}")
    shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--dir", default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cold", action="store_true",
                   help="also time cat and the audit with the page cache emptied (root only)")
    p.add_argument("--compare", action="store_true",
                   help="also time the way before: copied WeightSets, one table at a time")
    p.add_argument("--dag", action="store_true",
                   help="also run the whole `weightmem audit` (all its jobs) on the files")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--mode", default="fused", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(audit(Path(a.child), a.threads, a.mode)))
        return
    folder = Path(a.dir or tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        params = write(folder, a.scale)
        os.sync()  # every phase below starts with no dirty pages pending write-back
        files = sorted(str(f) for s in SETS for f in (folder / s).iterdir())
        size = sum(Path(f).stat().st_size for f in files)
        timed_cat(folder)  # the files into the page cache (a --dir of an earlier --cold run)
        cat_s = timed_cat(folder)
        res = child(folder, a.threads, "fused")
        gemm_s = gemm_floor(params, a.threads)
        print(f"{len(files)} state dicts of {params:,} parameters ({size / 1e9:.2f} GB); "
              f"{a.threads} threads")
        print(f"cat of the files: {cat_s:.2f} s ({size / cat_s / 1e9:.2f} GB/s)")
        print(f"float64 Gram products of the three tables on data in memory: {gemm_s:.2f} s = "
              f"{gemm_s / cat_s:.1f}x cat (the arithmetic floor: the tables cannot run at more "
              f"than {100 * cat_s / gemm_s:.0f}% of cat's speed on {a.threads} threads)")

        def report(label: str, c_s: float, r: dict) -> float:
            total = r["import_s"] + r["tables_s"]
            print(f"{label}import (sets linked in place): {r['import_s']:.2f} s; tables (one "
                  f"pass, every file read once): {r['tables_s']:.2f} s")
            print(f"{label}total {total:.2f} s: {size / total / 1e9:.2f} GB/s = "
                  f"{100 * c_s / total:.0f}% of cat's speed, "
                  f"{100 * max(c_s, gemm_s) / total:.0f}% of the floor max(cat, Gram); peak "
                  f"memory {r['peak_mb']:.0f} MB; verdict {r['verdict']} (Z_U {r['z_u']:.2f})")
            return total

        total = report("", cat_s, res)
        if a.compare:
            old = child(folder, a.threads, "copy")
            old_total = old["import_s"] + old["tables_s"]
            same = old["median_generated"] == res["median_generated"] and \
                old["z_u"] == res["z_u"]
            print(f"the way before (copied WeightSets, each table streamed on its own): import "
                  f"{old['import_s']:.2f} s + tables {old['tables_s']:.2f} s = {old_total:.2f} s "
                  f"({100 * cat_s / old_total:.0f}% of cat; peak {old['peak_mb']:.0f} MB): "
                  f"now {old_total / total:.1f}x faster; same verdict, Z_U and median: "
                  f"{'yes' if same and old['verdict'] == res['verdict'] else 'NO'}")
        if a.dag:
            dag_audit(folder, size)
        if a.cold:
            if drop_caches():
                cold_cat = timed_cat(folder)
                drop_caches()
                cold = child(folder, a.threads, "fused")
                print(f"cold page cache: cat {cold_cat:.2f} s "
                      f"({size / cold_cat / 1e9:.2f} GB/s)")
                report("cold: ", cold_cat, cold)
            else:
                print("--cold: the page cache cannot be emptied here (not root): skipped")
    finally:
        if not a.dir:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
