"""G.pt's part of the cluster resource model (weightmem.resources) and of bench/compute_plan.py:
the arrays its jobs hold, which of them each rule holds at once, its work units and GPU
arithmetic. Torch-free (read when the Snakefile loads)."""
from __future__ import annotations

import math

from weightmem.methods import Resources
from weightmem.resources import F32, Sizing, set_size


def mlp_dim(config: dict, name: str = "gpt") -> int:
    """Weights of one zoo MLP (one hidden layer, 10 classes)."""
    c, p = Sizing(config).pixels(config[name]["dataset"])
    h = config[name]["zoo"]["hidden"]
    return c * p * h + h + h * 10 + 10


def gpt_params(g: dict, dim: int, n_layers: int = 4) -> int:
    """G.pt denoiser parameters (gpt.md §2.2) from the generator settings."""
    w, chunk = g["width"], g["chunk_size"]
    n_chunks = 2 * (math.ceil((dim - 130) / chunk) + 3)  # fc1.weight in chunks + 3 small layers
    block = 12 * w * w + 13 * w
    tokens = n_chunks + 4
    emb = 2 * dim * w + 4 * 257 * w  # input projections of x_t, x_prev and the 4 scalars
    return g["depth"] * block + emb + dim * w + tokens * w + 4 * w


def sizes(config: dict, name: str, z: Sizing) -> dict[str, float]:
    gp = config[name]
    zoo, D = gp["zoo"], mlp_dim(config, name)
    runs = zoo["runs_train"] + zoo["runs_heldout"]
    return {
        "zoo": runs * zoo["checkpoints_per_run"] * D * F32,
        "shard": math.ceil(runs / zoo["shards"]) * zoo["checkpoints_per_run"] * D * F32,
        "train": zoo["runs_train"] * D * F32,
        "model": gpt_params(gp["generator"], D) * F32,
        # bool error masks of the training set
        "masks": zoo["runs_train"] * z.images(gp["dataset"])[1],
        "sim": zoo["runs_train"] ** 2 * F32,
        "grid": gp["figures"]["grid_resolution"] ** 2 * z.pixels(gp["dataset"])[1] * F32,
    }


# rule → [(size key, copies held at once)]; "data" = its data set
TERMS = {
    "gpt_zoo_shard": [("shard", 2.0), ("data", 1.0)],
    "gpt_zoo_merge": [("zoo", 2.0)],
    "gpt_training_set": [("zoo", 1.0)],
    "gpt_fit": [("zoo", 3.0), ("model", 6.0)],  # zoo, its train split, × scale;
    # weights, grads, 2 AdamW moments, EMA and one transient copy (measured: 5.9-6.1 copies)
    "gpt_sample": [("zoo", 1.0), ("model", 2.0), ("data", 1.0)],
    "behaviour": [("masks", 2.0), ("data", 1.0)],
    "table": [("masks", 8.0), ("sim", 2.0)],
    "figure_decision_boundary": [("grid", 3.0), ("data", 1.0)],
}

# The data-size experiment's rules (rules/data_size.smk) hold what the G.pt rule whose work they
# repeat holds (a subset of the zoo is never larger than the zoo).
SAME_AS = {"data_size_fit": "gpt_fit", "data_size_sample": "gpt_sample", "data_size_eval": "table"}


def work(cfg: dict, name: str, rule: str, w: dict, z: Sizing) -> float:
    """A job's dominant amount of work (arbitrary units; bench/compute_plan.py uses ratios)."""
    gp = cfg[name]
    g, zoo, s = gp["generator"], gp["zoo"], w.get("set", "")
    ntrain, ntest = z.images(gp["dataset"])
    D = mlp_dim(cfg, name)
    P = gpt_params(g, D)
    runs = zoo["runs_train"] + zoo["runs_heldout"]
    n = lambda set_name: set_size(gp, set_name, zoo["runs_train"])  # noqa: E731
    return {"gpt_zoo_shard": runs / zoo["shards"] * zoo["epochs"] * ntrain,
            "gpt_zoo_merge": runs * zoo["checkpoints_per_run"],
            "gpt_training_set": runs * zoo["checkpoints_per_run"],
            "gpt_fit": g["steps"] * g["batch_size"] * P,
            "gpt_sample": n("generated") * gp["sampling"]["sample_steps"] * P,
            "behaviour": n(s) * ntest * D,
            # aligned distances (pairs) + similarity (pairs × test images / 64-bit words)
            "table": n(s) * zoo["runs_train"] * (1 + ntest / 64),
            "figure_decision_boundary": gp["figures"]["grid_resolution"] ** 2,
            }.get(rule, 1.0)


def gpu_flops(cfg: dict, name: str, rule: str) -> float | None:
    """Arithmetic of its fit (6 × parameters × tokens per example)."""
    if rule != "gpt_fit":
        return None
    g = cfg[name]["generator"]
    return 6 * gpt_params(g, mlp_dim(cfg, name)) * 26 * g["batch_size"] * g["steps"]


RESOURCES = Resources(sizes=sizes, terms=TERMS, same_as=SAME_AS,
                      variant_rules=("gpt_fit", "gpt_sample"), work=work, gpu_flops=gpu_flops)
