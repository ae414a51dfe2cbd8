"""Compute plan for the paper config, extrapolated from the paper-shape smoke run (issue 16).

Reads a smoke run's results folder (tests/test_paper_shapes.py keeps it with --keep, or run the
DAG with ``--configfile config/paper.yaml tests/config/paper-shapes.yaml <inputs>``): for every
job, its wall time (Snakemake benchmark ``s`` where the rule has one, else the span of its log)
and its true peak memory (the "peak memory" line every job logs at exit: the kernel's RSS
high-water mark; Snakemake's ``max_rss`` samples every 30 s after the first 15 s and misses
peaks). Then, per paper rule:

* jobs at paper scale (the paper config's dry run);
* time: the smoke job's time × (paper work ÷ smoke work), work = the rule's dominant loop (steps
  × batch × parameters, models × test images, grid points …); summed over the rule's jobs as
  CPU hours on this 2-core machine; for rules that run on a GPU at paper scale, also GPU hours
  from their arithmetic at ``GPU_TFLOPS`` (an assumption: no GPU was available to measure);
* peak memory: weightmem.resources.estimate_mb (measured base + size terms at paper counts) and
  what the rule's ``resources:`` ask (weightmem.resources.ask_mb).

    python bench/compute_plan.py RESULTS --inputs INPUTS.yaml [--calibrate] [--markdown]
                                 [--measured bench/paper_shapes_measured.csv]
"""
from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow" / "scripts"))
from weightmem import resources as RS  # noqa: E402
from weightmem.config import validate  # noqa: E402

SMOKE_DATA = {"mnist": (512, 256), "svhn": (256, 128), "cifar100": (128, 64)}
SMOKE_SHAPES = 7


def load_config(*files) -> dict:
    cfg: dict = {}
    for f in files:
        _merge(cfg, yaml.safe_load(Path(f).read_text()))
    return validate(cfg, ROOT / "config" / "schema.yaml")


def _merge(a: dict, b: dict) -> None:
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            _merge(a[k], v)
        else:
            a[k] = v


# --------------------------------------------------------------------------- measurements
TIME = re.compile(r"^(\d\d:\d\d:\d\d) INFO \[[^\]]+\] (.*)$")


def jobs(results: Path) -> list[dict]:
    """One record per job log: rule, wildcards-ish label, seconds, peak MB."""
    out = []
    for log in sorted((results / "logs").rglob("*.log")):
        rule, first, last, peak = None, None, None, None
        for line in log.read_text(errors="replace").splitlines():
            m = TIME.match(line)
            if not m:
                continue
            t = datetime.strptime(m.group(1), "%H:%M:%S")
            first, last = first or t, t
            if m.group(2).startswith("rule "):
                rule = m.group(2).split()[1]
            p = re.match(r"peak memory: (\d+) MB RSS", m.group(2))
            if p:
                peak = float(p.group(1))
        if rule is None:
            continue
        rel = log.relative_to(results / "logs").with_suffix("")
        bench = results / "benchmarks" / rel.with_suffix(".tsv")
        secs = None
        if bench.is_file():
            row = list(csv.DictReader(bench.open(), delimiter="\t"))[-1]
            secs = float(row["s"])
        elif first is not None:
            secs = max(1.0, ((last - first).total_seconds()) % 86400)
        out.append({"rule": rule, "label": str(rel), "method": rel.parts[0], "seconds": secs,
                    "peak_mb": peak, "wildcards": _wildcards(rule, rel)})
    return out


def _wildcards(rule: str, rel: Path) -> dict:
    w = {"method": rel.parts[0]}
    if rule == "dataset":
        w["dataset"] = rel.stem
    if rel.parent.name in ("behaviour", "tables", "clouds", "baselines", "sample"):
        w["set"] = rel.stem
    if rule.endswith("_fit"):
        w["variant"] = rel.stem
    if rule == "gpt_sample":
        w["generated"] = rel.stem
    return w


# --------------------------------------------------------------------------- work units
def work(cfg: dict, rule: str, w: dict, sizes: dict, n_shapes: int | None) -> float:
    """The rule's dominant amount of work under ``cfg`` (arbitrary units; only ratios matter):
    the dataset rule's images, else the work its method declares (``resources.work`` of the
    method named by the job's ``{method}``, or whose rules' names begin as the rule's)."""
    m = w.get("method")
    cfg = RS._with_variant(cfg, rule, w)  # a modeling-factor variant's own generator settings
    z = RS.Sizing(cfg, sizes, n_shapes)
    if rule == "dataset":
        return sum(z.images(w["dataset"]))
    for name, res in RS.declared(cfg).items():
        if m == name or rule.startswith(res.prefix or f"{name}_"):
            return res.work(cfg, name, rule, w, z)
    return 1.0


def gpu_hours(cfg: dict, rule: str, w: dict | None = None) -> float | None:
    """Arithmetic of the GPU-bound fits at paper scale (each method's ``resources.gpu_flops``)."""
    cfg = RS._with_variant(cfg, rule, w or {})
    for name, res in RS.declared(cfg).items():
        flops = res.gpu_flops(cfg, name, rule)
        if flops is not None:
            return flops / (RS.GPU_TFLOPS * 1e12) / 3600
    return None


# --------------------------------------------------------------------------- the plan
def paper_jobs() -> dict[str, int]:
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile",
                          "config/paper.yaml", "--config", "results=/tmp/weightmem-plan-dry", "--cores", "1",
                          "all", "/tmp/weightmem-plan-dry/hyperdiffusion/tables/summary.csv"],
                         cwd=ROOT, capture_output=True, text=True)
    text = out.stdout + out.stderr
    if "Job stats:" not in text:
        raise SystemExit("paper dry run failed:\n" + out.stderr[-2000:])
    counts = {}
    for line in text.split("Job stats:", 1)[1].splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def calibrate(records, smoke) -> dict[str, float]:
    """BASE_MB: per rule (generic rules per method), the largest measured peak minus the size
    terms at the smoke sizes."""
    base: dict[str, float] = {}
    for r in records:
        if r["peak_mb"] is None:
            continue
        terms = RS.estimate_mb(smoke, r["rule"], r["wildcards"], SMOKE_DATA, SMOKE_SHAPES,
                               base={}) - RS.DEFAULT_BASE
        key = RS._base_key(r["rule"], r["wildcards"].get("method"))
        base[key] = max(base.get(key, 0.0), round(r["peak_mb"] - terms))
    return base


MAX_RATIO = 1e4  # beyond this the smoke job's own work is noise next to its startup


def plan(records, smoke, paper, counts) -> list[dict]:
    """Per paper rule. Time = t0 + (smoke time − t0) × work ratio, t0 = a job's startup (the
    25th percentile of all smoke jobs: interpreter, imports, reading inputs); left out (None)
    where the ratio exceeds MAX_RATIO, i.e. where the smoke job did almost none of the work."""
    times = sorted(r["seconds"] for r in records if r["seconds"])
    t0 = times[len(times) // 4]
    rows = []
    by_rule: dict[str, list] = {}
    for r in records:
        by_rule.setdefault(r["rule"], []).append(r)
    for rule, n_jobs in counts.items():
        if rule == "all":
            continue
        recs = by_rule.get(rule, [])
        cpu_s, peak_est, ask, measured, top, gpu = 0.0, 0.0, 0, 0.0, 0.0, None
        for r in recs:
            g = gpu_hours(paper, rule, r["wildcards"])
            gpu = None if g is None else (gpu or 0.0) + g
            ratio = (work(paper, rule, r["wildcards"], {}, None)
                     / work(smoke, rule, r["wildcards"], SMOKE_DATA, SMOKE_SHAPES))
            top = max(top, ratio)
            cpu_s += t0 + max(0.0, (r["seconds"] or 0) - t0) * ratio
            peak_est = max(peak_est, RS.estimate_mb(paper, rule, r["wildcards"]))
            ask = max(ask, RS.ask_mb(paper, rule, r["wildcards"]))
            measured = max(measured, r["peak_mb"] or 0)
        # the smoke run has fewer jobs of a rule than the paper (shards, sets): scale by jobs
        if recs:
            cpu_s *= n_jobs / len(recs)
        rows.append({"rule": rule, "jobs": n_jobs, "smoke_jobs": len(recs),
                     "smoke_s": sum(r["seconds"] or 0 for r in recs),
                     "smoke_peak_mb": measured, "ratio": top,
                     "cpu_h": cpu_s / 3600 if top <= MAX_RATIO else None,
                     "gpu_h": gpu, "peak_mb": peak_est, "ask_mb": ask})
    return rows


def markdown(rows) -> str:
    head = ("| rule | jobs | smoke run: time, peak | work × | paper: CPU h (2 cores) | GPU h (est.) | "
            "peak memory | `mem_mb` ask |\n|---|---:|---|---:|---:|---:|---:|---:|")
    lines = [head]
    key = lambda r: -(r["gpu_h"] or 0) * 1e9 - (r["cpu_h"] if r["cpu_h"] is not None else 1e8)  # noqa: E731
    for r in sorted(rows, key=key):
        gpu = f"{r['gpu_h']:,.0f}" if r["gpu_h"] else ""
        cpu = "—" if r["cpu_h"] is None else f"{r['cpu_h']:,.1f}"
        lines.append(f"| {r['rule']} | {r['jobs']} | {r['smoke_s']:.0f} s, {r['smoke_peak_mb']:,.0f} MB "
                     f"| {r['ratio']:.0e} | {cpu} | {gpu} | {r['peak_mb'] / 1024:,.1f} GB | {r['ask_mb']:,} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path)
    ap.add_argument("--inputs", type=Path, required=True, help="the smoke run's data config")
    ap.add_argument("--calibrate", action="store_true", help="print BASE_MB for resources.py")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--measured", type=Path, help="write the per-job measurements to this CSV")
    args = ap.parse_args()
    smoke = load_config(ROOT / "config/paper.yaml", ROOT / "tests/config/paper-shapes.yaml", args.inputs)
    paper = load_config(ROOT / "config/paper.yaml")
    records = jobs(args.results)
    if args.measured:
        with args.measured.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["label", "rule", "wildcards", "seconds", "peak_mb"])
            for r in records:
                w = ";".join(f"{k}={v}" for k, v in r["wildcards"].items())
                out.writerow([r["label"], r["rule"], w, f"{r['seconds']:.2f}",
                              f"{r['peak_mb'] or 0:.0f}"])
    if args.calibrate:
        for k, v in sorted(calibrate(records, smoke).items()):
            print(f'    "{k}": {v:.0f},')
        return
    rows = plan(records, smoke, paper, paper_jobs())
    if args.markdown:
        print(markdown(rows))
    else:
        for r in rows:
            print(r)
    total_cpu = sum(r["cpu_h"] for r in rows if r["cpu_h"] is not None and not r["gpu_h"])
    gpu = sum(r["gpu_h"] or 0 for r in rows)
    print(f"\nsmoke run: {len(records)} jobs, {sum(r['seconds'] or 0 for r in records) / 60:.1f} job-minutes; "
          f"paper: {total_cpu:,.0f} CPU hours (2 cores) for the extrapolated CPU rules, GPU fits ≈{gpu:,.0f} GPU hours "
          f"at {RS.GPU_TFLOPS:g} TFLOP/s (assumed)")


if __name__ == "__main__":
    main()
