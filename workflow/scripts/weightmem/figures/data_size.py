"""The data-size experiment's figure (weightmem.datasize): four panels over the number of
training runs."""
from __future__ import annotations

from statistics import NormalDist

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from weightmem.evaluation import copying  # noqa: E402


def draw(df: pd.DataFrame, alpha: float = copying.ALPHA, title: str = "G.pt"):
    """Four panels over the number of training runs: min L2 to the size's training set
    (generated, held-out, training among themselves; bars = interquartile range), the min-L2
    ratio, Z_U with the copying region, and the generated models' accuracy. Returns the figure."""
    x = df.training_runs.to_numpy()
    fig, ax = plt.subplots(2, 2, figsize=(10, 7.5))
    a = ax[0, 0]
    style = {"generated": ("tab:red", "o", "generated → its training set"),
             "heldout": ("tab:blue", "s", "held-out runs → its training set"),
             "training": ("tab:gray", "^", "training models → each other")}
    for name, (c, m, label) in style.items():
        y = df[f"median_min_l2_{name}"].to_numpy()
        if name != "training":
            err = np.vstack([y - df[f"q25_min_l2_{name}"], df[f"q75_min_l2_{name}"] - y])
            a.errorbar(x, y, yerr=err, color=c, marker=m, capsize=3, label=label)
        else:
            a.plot(x, y, color=c, marker=m, ls="--", label=label)
    a.set_ylabel("median min L2 (IQR bars)")
    a.set_title("distance to the nearest training model")
    a.legend(fontsize=7, framealpha=0.85)
    a = ax[0, 1]
    a.plot(x, df.min_l2_ratio, color="tab:purple", marker="o")
    a.axhline(1.0, color="k", lw=0.8, ls=":")
    a.text(x[0], 1.0, " 1 = as far as new models", va="bottom", fontsize=8)
    a.set_ylabel("median generated / median held-out")
    a.set_title("min-L2 ratio (< 1: closer to training than new models)")
    a = ax[1, 0]
    z_crit = NormalDist().inv_cdf(alpha)
    a.plot(x, df.z_u, color="tab:green", marker="o")
    a.axhline(z_crit, color="tab:red", lw=0.8, ls="--")
    a.axhline(0.0, color="k", lw=0.8, ls=":")
    lo = min(float(np.nanmin(df.z_u)) if np.isfinite(df.z_u).any() else z_crit, z_crit) - 1.0
    a.axhspan(lo, z_crit, color="tab:red", alpha=0.08)
    a.text(x[0], z_crit, f" significant at α = {alpha:g}", va="top", fontsize=8, color="tab:red")
    for j, (xi, z, v, c) in enumerate(zip(x, df.z_u, df.verdict, df.closer_chance)):
        if np.isfinite(z):  # the outer labels lean inwards: centred, they cross the frame
            ha = "left" if j == 0 and len(x) > 1 else "right" if j == len(x) - 1 else "center"
            a.annotate(f"{v}\nA = {c:.2f}", (xi, z), textcoords="offset points", xytext=(0, 8),
                       ha=ha, fontsize=7)
    span = max(float(np.nanmax(df.z_u)) if np.isfinite(df.z_u).any() else 0.0, 0.0) - lo
    hi = lo + span * 1.25 + 1.0
    a.set_ylim(lo, hi)  # room for the labels above the points
    a.set_ylabel("Z_U (generated vs held-out)")
    a.set_title("data-copying test (negative = closer than new models)")
    a = ax[1, 1]
    a.plot(x, df.accuracy_generated, color="tab:red", marker="o", label="generated")
    a.plot(x, df.accuracy_heldout, color="tab:blue", marker="s", label="held-out runs")
    a.set_ylabel("mean test accuracy (%)")
    a.set_title("accuracy")
    a.legend(fontsize=8)
    for a in ax.flat:
        a.set_xscale("log", base=2)
        a.set_xticks(x)
        a.set_xticklabels([f"{n}\n({float(s):.0%})" for n, s in zip(x, df["size"])], fontsize=8)
        a.minorticks_off()
        a.set_xlabel("training runs (fraction of the zoo)")
        a.grid(alpha=0.3)
    fig.suptitle(f"{title}: more training runs, less copying? (same steps, seed and prompts)")
    fig.tight_layout()
    return fig
