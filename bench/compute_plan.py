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
def set_size(cfg: dict, method: str, name: str) -> int:
    c = cfg[method]
    if name.startswith("generated") or name == "sample":
        return c["sampling"]["n_samples"]
    if name.startswith("noise"):
        if method == "hyperrep":
            return max(1, round(0.3 * c["zoo"]["runs"] * c["zoo"]["checkpoints_per_run"]))
        return c["baselines"].get("count") or set_size(cfg, method, "training")
    if name in ("average", "gaussian"):
        return c["baselines"]["interpolation_count"]
    if method == "gpt":
        return c["zoo"]["runs_train"]
    if method == "hyperrep":
        return c["zoo"]["runs"] * c["zoo"]["checkpoints_per_run"]
    if method == "pdiff":
        return c["collect"]["checkpoints"]
    return 1


def work(cfg: dict, rule: str, w: dict, sizes: dict, n_shapes: int) -> float:
    """The rule's dominant amount of work under ``cfg`` (arbitrary units; only ratios matter)."""
    m, s = w.get("method"), w.get("set", "")
    cfg = RS._with_variant(cfg, rule, w)  # a modeling-factor variant's own generator settings
    ntest = lambda meth: RS._n_images(cfg, cfg[meth]["dataset"], sizes)[1]  # noqa: E731
    ntrain = lambda meth: RS._n_images(cfg, cfg[meth]["dataset"], sizes)[0]  # noqa: E731
    if rule == "dataset":
        return sum(RS._n_images(cfg, w["dataset"], sizes))
    if m == "gpt" or rule.startswith("gpt"):
        g, z = cfg["gpt"]["generator"], cfg["gpt"]["zoo"]
        D, P = RS.mlp_dim(cfg), RS.gpt_params(g, RS.mlp_dim(cfg))
        runs = z["runs_train"] + z["runs_heldout"]
        return {"gpt_zoo_shard": runs / z["shards"] * z["epochs"] * ntrain("gpt"),
                "gpt_zoo_merge": runs * z["checkpoints_per_run"],
                "gpt_training_set": runs * z["checkpoints_per_run"],
                "gpt_fit": g["steps"] * g["batch_size"] * P,
                "gpt_sample": set_size(cfg, "gpt", "generated") * cfg["gpt"]["sampling"]["sample_steps"] * P,
                "behaviour": set_size(cfg, "gpt", s) * ntest("gpt") * D,
                # aligned distances (pairs) + similarity (pairs × test images / 64-bit words)
                "table": set_size(cfg, "gpt", s) * z["runs_train"] * (1 + ntest("gpt") / 64),
                "figure_decision_boundary": cfg["gpt"]["figures"]["grid_resolution"] ** 2,
                }.get(rule, 1.0)
    if m == "hyperrep" or rule.startswith("hyperrep"):
        hr = cfg["hyperrep"]
        z, g = hr["zoo"], hr["generator"]
        n_ck = z["runs"] * z["checkpoints_per_run"]
        P = RS.hyperrep_params(g)
        return {"hyperrep_zoo_shard": z["runs"] / z["shards"] * z["epochs"] * ntrain("hyperrep"),
                "hyperrep_zoo_merge": n_ck,
                "hyperrep_fit": g["epochs"] * n_ck * P,
                "hyperrep_reference": n_ck * P,
                "hyperrep_sample": (n_ck + hr["sampling"]["n_samples"]) * P,
                "hyperrep_invariance": hr["invariance"]["models"] * (P + ntest("hyperrep")),
                "behaviour": set_size(cfg, "hyperrep", s) * ntest("hyperrep"),
                "table": set_size(cfg, "hyperrep", s) * n_ck * (1 + ntest("hyperrep") / 64),
                "figure_decision_boundary": hr["figures"]["grid_resolution"] ** 2,
                }.get(rule, 1.0)
    if m == "hyperdiffusion" or rule.startswith("hd_"):
        hd = cfg["hyperdiffusion"]
        occ, f, g, ev = hd["occupancy"], hd["field"], hd["generator"], hd["evaluation"]
        pts = occ["near_points"] + occ["uniform_points"]
        n_train = max(1, round(n_shapes * (1 - 0.05 - 0.15)))
        eval_n = {"training": n_train, "generated": hd["sampling"]["n_samples"]}.get(
            s, hd["baselines"]["count"])
        return {"hd_occupancy": n_shapes / occ["shards"] * pts,
                "hd_field_init": f["init_epochs"] * pts,
                "hd_fields": n_shapes / occ["shards"] * f["max_epochs"] * pts,
                "hd_fit": g["epochs"] * n_train * RS.hd_params(g),
                "hd_sample": hd["sampling"]["n_samples"] * hd["sampling"]["sample_steps"] * RS.hd_params(g),
                "hd_clouds": eval_n * ev["resolution"] ** 3,
                "hd_table": eval_n * n_shapes,
                "hd_reference_clouds": n_shapes,
                "hd_summary": n_train * (n_train + 3 * hd["sampling"]["n_samples"]),
                "hd_figure_render_shapes": 6 * hd["figures"]["render_resolution"] ** 3,
                }.get(rule, 1.0)
    if m == "pdiff" or rule.startswith("pdiff"):
        p = cfg["pdiff"]
        img2 = p["base"]["image_size"] ** 2
        return {"pdiff_base": p["base"]["epochs"] * (ntrain("pdiff") + ntest("pdiff")) * img2,
                "pdiff_collect": (p["collect"]["checkpoints"] + 1) * p["collect"]["batch_size"] * img2,
                "pdiff_fit": p["generator"]["ae_steps"] * p["generator"]["ae_batch"]
                + p["generator"]["ddpm_steps"] * p["generator"]["ddpm_batch"],
                "pdiff_sample": p["sampling"]["n_samples"] * p["sampling"]["sample_steps"],
                "pdiff_behaviour": ntest("pdiff") * (img2 + set_size(cfg, "pdiff", s)),
                "pdiff_figure_decision_boundary": p["figures"]["grid_resolution"] ** 2 * img2,
                "table": set_size(cfg, "pdiff", s) * p["collect"]["checkpoints"] * (1 + ntest("pdiff") / 64),
                }.get(rule, 1.0)
    return 1.0


def gpu_hours(cfg: dict, rule: str, w: dict | None = None) -> float | None:
    """Arithmetic of the GPU-bound fits at paper scale (6 × parameters × tokens per example)."""
    cfg = RS._with_variant(cfg, rule, w or {})
    flops = None
    if rule == "gpt_fit":
        g = cfg["gpt"]["generator"]
        flops = 6 * RS.gpt_params(g, RS.mlp_dim(cfg)) * 26 * g["batch_size"] * g["steps"]
    elif rule == "hyperrep_fit":
        hr = cfg["hyperrep"]
        n_ck = hr["zoo"]["runs"] * hr["zoo"]["checkpoints_per_run"]
        flops = 6 * RS.hyperrep_params(hr["generator"]) * 48 * 2 * n_ck * hr["generator"]["epochs"]
    elif rule == "hd_fit":
        hd = cfg["hyperdiffusion"]
        n_train = round(RS.SHAPENET_AIRPLANES * 0.8)
        flops = 6 * RS.hd_params(hd["generator"]) * 9 * n_train * hd["generator"]["epochs"]
    return None if flops is None else flops / (RS.GPU_TFLOPS * 1e12) / 3600


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
        key = RS._base_key(r["rule"], r["wildcards"].get("method", "gpt"))
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
            ratio = (work(paper, rule, r["wildcards"], {}, RS.SHAPENET_AIRPLANES)
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
