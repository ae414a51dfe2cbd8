"""Hyper-Rep's part of the cluster resource model (weightmem.resources) and of
bench/compute_plan.py: the arrays its jobs hold, which of them each rule holds at once, its work
units and GPU arithmetic. Torch-free (read when the Snakefile loads)."""
from __future__ import annotations

from weightmem.methods import Resources
from weightmem.resources import F32, GRID_BLOCK, Sizing, set_size

CNN_WEIGHTS = 2464  # one zoo CNN (hyperrep.md §2.1)


def hyperrep_params(g: dict) -> int:
    """Hyper-Rep autoencoder parameters (without the projection head): the CNN's 48 neuron
    tokens of 26/201/25/37/21 values (hyperrep.md §2.1), per-layer embedders and debedders,
    learned positions, ``blocks`` pre-norm blocks per side and the linear bottleneck."""
    d, ff, blocks, lat, n_tok, values = g["d_model"], g["ff"], g["blocks"], g["latent"], 48, 310
    per_block = 4 * (d * d + d) + 2 * d * ff + ff + d + 4 * d
    bottleneck = 2 * n_tok * d * lat + lat + n_tok * d
    return 2 * blocks * per_block + bottleneck + (values + 5) * d + values * d + values + 2 * n_tok * d


def sizes(config: dict, name: str, z: Sizing) -> dict[str, float]:
    hr = config[name]
    n_ck = hr["zoo"]["runs"] * hr["zoo"]["checkpoints_per_run"]
    grid = hr["figures"]["grid_resolution"] ** 2
    return {
        "zoo": n_ck * CNN_WEIGHTS * F32,
        "model": hyperrep_params(hr["generator"]) * F32,
        "perms": hr["generator"]["permutations"] * CNN_WEIGHTS * 8,  # int64 index bank
        "masks": n_ck * z.images(hr["dataset"])[1],
        "grid": grid * z.pixels(hr["dataset"])[1] * F32,
        # the CNN's first activation (8 × 24 × 24 per 28×28 image) for a block of grid images
        "grid_act": min(grid, GRID_BLOCK) * 8 * 24 * 24 * F32,
    }


# rule → [(size key, copies held at once)]; "data" = its data set
TERMS = {
    "hyperrep_zoo_shard": [("data", 1.0)],
    "hyperrep_fit": [("model", 5.0), ("zoo", 4.0), ("perms", 1.0)],
    "hyperrep_reference": [("model", 1.0), ("zoo", 4.0)],
    "hyperrep_sample": [("model", 1.0), ("zoo", 2.0)],
    "hyperrep_invariance": [("model", 1.0), ("data", 1.0)],
    "behaviour": [("masks", 2.0), ("data", 1.0)],
    "table": [("masks", 8.0)],
    "figure_decision_boundary": [("grid", 3.0), ("grid_act", 3.0), ("data", 1.0)],
}


def work(cfg: dict, name: str, rule: str, w: dict, z: Sizing) -> float:
    """A job's dominant amount of work (arbitrary units; bench/compute_plan.py uses ratios)."""
    hr = cfg[name]
    zoo, g, s = hr["zoo"], hr["generator"], w.get("set", "")
    ntrain, ntest = z.images(hr["dataset"])
    n_ck = zoo["runs"] * zoo["checkpoints_per_run"]
    P = hyperrep_params(g)
    n = lambda set_name: set_size(hr, set_name, n_ck, noise=max(1, round(0.3 * n_ck)))  # noqa: E731
    return {"hyperrep_zoo_shard": zoo["runs"] / zoo["shards"] * zoo["epochs"] * ntrain,
            "hyperrep_zoo_merge": n_ck,
            "hyperrep_fit": g["epochs"] * n_ck * P,
            "hyperrep_reference": n_ck * P,
            "hyperrep_sample": (n_ck + hr["sampling"]["n_samples"]) * P,
            "hyperrep_invariance": hr["invariance"]["models"] * (P + ntest),
            "behaviour": n(s) * ntest,
            "table": n(s) * n_ck * (1 + ntest / 64),
            "figure_decision_boundary": hr["figures"]["grid_resolution"] ** 2,
            }.get(rule, 1.0)


def gpu_flops(cfg: dict, name: str, rule: str) -> float | None:
    """Arithmetic of its fit (6 × parameters × 48 tokens × 2 views per checkpoint and epoch)."""
    if rule != "hyperrep_fit":
        return None
    hr = cfg[name]
    n_ck = hr["zoo"]["runs"] * hr["zoo"]["checkpoints_per_run"]
    return 6 * hyperrep_params(hr["generator"]) * 48 * 2 * n_ck * hr["generator"]["epochs"]


RESOURCES = Resources(sizes=sizes, terms=TERMS,
                      variant_rules=("hyperrep_fit", "hyperrep_sample", "hyperrep_reference"),
                      work=work, gpu_flops=gpu_flops)
