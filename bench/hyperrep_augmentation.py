"""Measurement: Hyper-Rep's autoencoder with its permutation augmentation, within a CPU budget.

The study trains the Hyper-Representations autoencoder with 25,000 pre-computed function-preserving
permutations of the zoo's checkpoints (docs/hyperrep.md §2.4). This script trains the embedded
autoencoder (config/config.yaml's hyperrep.generator, same code and seed as rule hyperrep_fit)
on an embedded run's zoo for each setting asked for — number of permutations and epochs — and
reports the fit's wall time and how useful its reconstructions are: mean test accuracy of the
decoded checkpoints against the originals' (the "≥ 80% of the originals'" criterion), and the
mean relative reconstruction error.

Usage (after a run that built results/hyperrep/zoo):
  python bench/hyperrep_augmentation.py [--results results] \
      [--settings 0:20,1000:20,1000:60] [--threads 2] [--out hyperrep_augmentation.csv]
A setting is PERMUTATIONS:EPOCHS.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch

from weightmem.config import load_validated
from weightmem.data.images import load_npz
from weightmem.evaluation.behaviour import evaluate_classifiers
from weightmem.io import load_weightset
from weightmem.methods.hyperrep import stages as HR
from weightmem.nets import get as get_arch
from weightmem.seeds import seed_for


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--settings", default="0:20,1000:20,1000:60")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="hyperrep_augmentation.csv")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = load_validated()
    hr = config["hyperrep"]
    R = Path(args.results)
    zoo = load_weightset(R / "hyperrep" / "zoo" / "checkpoints.safetensors", require_finite=True)
    data = load_npz(R / "data" / f"{hr['dataset']}.npz")
    arch = get_arch(zoo.arch)
    x = torch.from_numpy(data.x_test)
    y = torch.from_numpy(data.y_test)
    acc = lambda w: float(evaluate_classifiers(arch.forward, w, x, y)["accuracy"].mean())
    original = acc(zoo.weights)
    print(f"zoo: {len(zoo)} checkpoints, mean test accuracy {original:.2f}%", flush=True)
    seed = seed_for(config["seed"], "hyperrep.fit")
    rows = []
    for setting in args.settings.split(","):
        perms, epochs = (int(v) for v in setting.split(":"))
        gen = {**hr["generator"], "permutations": perms, "epochs": epochs}
        t0 = time.perf_counter()
        model, _, curve = HR.fit(zoo, gen, seed, torch.device("cpu"))
        fit_s = time.perf_counter() - t0
        rec = HR.reconstruct(model, zoo).weights
        err = float(((rec - zoo.weights).norm(dim=1) / zoo.weights.norm(dim=1)).mean())
        a = acc(rec)
        row = {"permutations": perms, "epochs": epochs, "fit_seconds": round(fit_s, 1),
               "final_loss": curve[-1]["loss"], "reconstruction_accuracy": a,
               "original_accuracy": original, "fraction_of_original": a / original,
               "relative_l2_error": err}
        rows.append(row)
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in row.items()), flush=True)
    df = pd.DataFrame(rows)
    df.to_csv(args.out, index=False)
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
