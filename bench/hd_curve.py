"""Measurement: does HyperDiffusion's generator leave the predict-the-mean plateau with more steps?

Trains the HyperDiffusion denoiser on an embedded run's training fields (the same code and seed
as rule hd_fit) for the largest step count asked for, and at each listed step count samples the
model as rule hd_sample does, then reports per snapshot: the training loss (mean of the last 50
steps), the samples' mean min L2 to the training fields (and the training fields' own
leave-one-out value), the spread of the samples among themselves (mean pairwise L2; 0 = one
blob), the fraction of empty meshes, and the mean min Chamfer distance of their meshes to the
training shapes (and the training fields' own). The StepLR schedule does not depend on the total
number of epochs, so a snapshot at step s is the model a run of s steps would have produced.

Usage (after `make run`, or any run that built results/hyperdiffusion):
  python bench/hd_curve.py [--results results] [--steps 800,2000,5000,10000,20000]
                           [--set key=value ...] [--out hd_curve.csv] [--threads 1]
                           [--render DIR]
``--set`` overrides generator settings (e.g. ``--set lr=2e-3``); ``--render DIR`` saves, per
snapshot, three generated shapes beside their nearest training shape (DIR/step<s>.png).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from weightmem.config import load_validated
from weightmem.evaluation import shapes as S
from weightmem.evaluation.fields import load_clouds, set_clouds
from weightmem.evaluation.weights import nearest
from weightmem.io import WeightSet, load_weightset
from weightmem.methods.hyperdiffusion import generator as G
from weightmem.seeds import seed_for


def spread(w: torch.Tensor) -> float:
    """Mean pairwise L2 among the rows (0 when every sample is the same vector)."""
    d = torch.cdist(w.double(), w.double())
    n = len(w)
    return float(d.sum() / (n * (n - 1)))


def evaluate(w: torch.Tensor, train: WeightSet, train_ref: np.ndarray, eval_cfg: dict,
             seed: int) -> dict:
    finite = torch.isfinite(w).all(1)
    ws = WeightSet(w[finite], train.layout, train.arch, {"role": ["generated"] * int(finite.sum())})
    l2, _ = nearest(ws.weights, train.weights)
    clouds = set_clouds(ws, eval_cfg, seed, "cpu")
    cd = S.chamfer_matrix(clouds["clouds"].numpy(), train_ref)
    d, _ = S.nearest_chamfer(cd)
    return {"diverged": int((~finite).sum()), "mean_min_l2": float(l2[:, 0].mean()),
            "spread_l2": spread(ws.weights), "empty": float(clouds["empty"].float().mean()),
            "mean_min_cd_train": float(np.nanmean(np.where(np.isfinite(d), d, np.nan))),
            "mmd_train": S.mmd(cd), "cov_train": S.coverage(cd)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default="results")
    ap.add_argument("--steps", default="800,2000,5000,10000,20000")
    ap.add_argument("--set", action="append", default=[], help="generator override key=value")
    ap.add_argument("--out", default="hd_curve.csv")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--render", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = load_validated()
    hd = config["hyperdiffusion"]
    gen = dict(hd["generator"])
    for kv in args.set:
        k, v = kv.split("=", 1)
        gen[k] = yaml.safe_load(v)
    R = Path(args.results) / "hyperdiffusion"
    train = load_weightset(R / "weights" / "training.safetensors")
    train_ref = load_clouds(R / "clouds" / "reference_train.safetensors")["clouds"].numpy()
    steps = sorted(int(s) for s in args.steps.split(","))
    N = len(train)
    per_epoch = -(-N // gen["batch_size"])
    gen["epochs"] = -(-steps[-1] // per_epoch)
    cfg = G.config_from_dict(gen)
    fit_seed = seed_for(config["seed"], "hyperdiffusion.fit")
    sample_seed = seed_for(config["seed"], "hyperdiffusion.sample")
    s = hd["sampling"]

    # the training fields against themselves: the reference the generated numbers are read against
    l2_tt, _ = nearest(train.weights, train.weights, exclude_self=True)
    ref = {"step": "training", "loss": float("nan"), "diverged": 0,
           "mean_min_l2": float(l2_tt[:, 0].mean()), "spread_l2": spread(train.weights)}
    print(f"training fields: {N}, mean min L2 to another training field {ref['mean_min_l2']:.3f}, "
          f"spread {ref['spread_l2']:.3f}; {per_epoch} steps/epoch, {gen['epochs']} epochs",
          flush=True)
    rows, losses, t0 = [ref], [], time.perf_counter()

    def render(w, done):
        from weightmem.figures.shapes import render_shapes

        ws = WeightSet(w, train.layout, train.arch, {"role": ["generated"] * len(w)})
        l2, idx = nearest(ws.weights, train.weights)
        tab = pd.DataFrame({"nearest_by_l2": idx[:, 0].numpy(), "min_l2": l2[:, 0].numpy()})
        fig = render_shapes(ws, train, tab, hd["figures"]["render_resolution"],
                            hd["evaluation"]["level"], f"HyperDiffusion after {done} steps")
        Path(args.render).mkdir(parents=True, exist_ok=True)
        fig.savefig(Path(args.render) / f"step{done}.png", dpi=80)

    wanted = set(steps)

    def after_step(done, model):
        if done in wanted:
            w = G.sample(model, s["n_samples"], s["sample_steps"], sample_seed, "cpu",
                         s["batch_size"])
            row = {"step": done, "loss": float("nan"), "fit_seconds": time.perf_counter() - t0,
                   **evaluate(w, train, train_ref, hd["evaluation"], sample_seed)}
            rows.append(row)
            if args.render:
                render(w, done)
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in row.items()), flush=True)

    model, log_rows = G.fit(train.weights, train.layout, cfg, fit_seed, torch.device("cpu"),
                            after_step=after_step)
    loss = np.array([r["loss"] for r in log_rows])
    for r in rows[1:]:
        r["loss"] = float(loss[max(0, r["step"] - 50):r["step"]].mean())
    # the training set's own Chamfer reference (each training field's mesh vs the other shapes)
    tr_clouds = set_clouds(train, hd["evaluation"], sample_seed, "cpu")
    cd = S.chamfer_matrix(tr_clouds["clouds"].numpy(), train_ref, exclude_self=True)
    d, _ = S.nearest_chamfer(cd)
    rows[0]["mean_min_cd_train"] = float(np.nanmean(np.where(np.isfinite(d), d, np.nan)))
    rows[0]["empty"] = float(tr_clouds["empty"].float().mean())
    df = pd.DataFrame(rows)
    df.to_csv(args.out, index=False)
    print(df.to_string(index=False))


if __name__ == "__main__":
    main()
