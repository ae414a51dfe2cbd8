"""Measurement: G.pt's scaling curve on the CPU — does more training move its samples onto the
training models?

For each step count asked for, trains the embedded G.pt generator (config/config.yaml's
gpt.generator with that many steps, same code and seed as rule gpt_fit; the warm-up + cosine
schedule spans the whole run, so every step count is its own run), prompts it as rule gpt_sample
does, and appends one row to the output CSV: loss over the last 100 steps, generated models'
mean test accuracy and their median / mean permutation-aligned min L2 to the training set, beside
the training models' own (leave-one-out) median. Then it fits the trend of the generated median
against log10(steps) over every row in the CSV (also rows measured earlier) and prints where the
line would cross the training models' own median, if it falls at all.

Usage (after a run that built results/gpt):
  python bench/gpt_curve.py [--results results] [--steps 80000] [--out gpt_curve.csv]
                            [--threads 1]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from weightmem.config import load_validated
from weightmem.data.images import load_npz
from weightmem.evaluation.behaviour import evaluate_classifiers
from weightmem.evaluation.weights import aligned_nearest
from weightmem.io import load_weightset
from weightmem.methods.gpt import stages as gpt
from weightmem.nets import get as get_arch
from weightmem.seeds import seed_for


def crossing(df: pd.DataFrame) -> str:
    """Least-squares line of the generated median min L2 against log10(steps); where it meets
    the training models' own median."""
    if len(df) < 2:
        return "need two step counts for a trend"
    x, y = np.log10(df["steps"].to_numpy(float)), df["gen_median_min_l2"].to_numpy(float)
    slope, icpt = np.polyfit(x, y, 1)
    target = float(df["train_median_min_l2"].iloc[-1])
    per = f"{slope:+.3f} per tenfold steps"
    if slope >= 0:
        return f"trend {per}: the generated models do not approach the training models"
    at = 10 ** ((target - icpt) / slope)
    return f"trend {per}: would reach the training models' own median {target:.3f} at ≈{at:,.0f} steps"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--steps", default="80000")
    ap.add_argument("--out", default="gpt_curve.csv")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = load_validated()
    c = config["gpt"]
    R = Path(args.results)
    zoo = load_weightset(R / "gpt" / "zoo" / "checkpoints.safetensors").finite_runs()
    training = load_weightset(R / "gpt" / "weights" / "training.safetensors")
    scale = training.provenance["normalisation_scale"]
    data = load_npz(R / "data" / f"{c['dataset']}.npz")
    arch = get_arch(zoo.arch)
    own, _, _ = aligned_nearest(arch, training.weights, training.weights, exclude_self=True)
    own_median = float(own[:, 0].median())
    x = torch.from_numpy(data.x_test).reshape(len(data.x_test), -1)
    y = torch.from_numpy(data.y_test)
    out = Path(args.out)
    for steps in (int(s) for s in args.steps.split(",")):
        gen = {**c["generator"], "steps": steps}
        t0 = time.perf_counter()
        model, rows = gpt.fit(zoo, scale, gen, seed_for(config["seed"], "gpt.fit"),
                              torch.device("cpu"))
        fit_s = time.perf_counter() - t0
        s = c["sampling"]
        ws = gpt.generate(model, zoo, data, scale, s["n_samples"], s["target_loss"],
                          s["sample_steps"], seed_for(config["seed"], "gpt.sample"),
                          torch.device("cpu"))
        d, _, _ = aligned_nearest(arch, ws.weights, training.weights)
        acc = evaluate_classifiers(arch.forward, ws.weights, x, y)["accuracy"]
        row = {"steps": steps, "fit_seconds": round(fit_s, 1),
               "loss_last100": float(np.mean([r["loss"] for r in rows[-100:]])),
               "gen_accuracy": float(acc.mean()), "gen_median_min_l2": float(d[:, 0].median()),
               "gen_mean_min_l2": float(d[:, 0].mean()), "train_median_min_l2": own_median}
        print(row, flush=True)
        df = pd.concat([pd.read_csv(out), pd.DataFrame([row])]) if out.exists() \
            else pd.DataFrame([row])
        df = df.drop_duplicates("steps", keep="last").sort_values("steps")
        df.to_csv(out, index=False)
    df = pd.read_csv(out)
    print(df.to_string(index=False))
    print(crossing(df))


if __name__ == "__main__":
    main()
