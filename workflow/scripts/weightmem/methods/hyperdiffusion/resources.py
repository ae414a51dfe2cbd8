"""HyperDiffusion's part of the cluster resource model (weightmem.resources) and of
bench/compute_plan.py: the arrays its jobs hold, which of them each rule holds at once, its work
units and GPU arithmetic. Torch-free (read when the Snakefile loads)."""
from __future__ import annotations

import math

from weightmem.methods import Resources
from weightmem.resources import F32, Sizing

SHAPENET_AIRPLANES = 4_045  # hyperdiffusion.md §1.1 (the directory is only read at run time)
FIELD_WEIGHTS = 36_737  # one occupancy MLP


def hd_params(g: dict, dim: int = FIELD_WEIGHTS) -> int:
    w = g["width"]
    return g["depth"] * (12 * w * w + 13 * w) + 2 * dim * w + 257 * w + 13 * w


def sizes(config: dict, name: str, z: Sizing) -> dict[str, float]:
    hd = config[name]
    n = z.shapes or SHAPENET_AIRPLANES
    occ = hd["occupancy"]
    pts = occ["near_points"] + occ["uniform_points"]
    fields = n * FIELD_WEIGHTS * F32
    return {
        "occ_shard": math.ceil(n / occ["shards"]) * pts * 4 * F32,
        "fields": fields,
        # the fields with their permuted copies (study output 10: up to max copies + 1 times)
        "fields_aug": fields * (1 + max(hd.get("permutation_augmentation") or [0])),
        "model": hd_params(hd["generator"]) * F32,
        "grid": 4 * hd["evaluation"]["resolution"] ** 3 * F32,  # a batch of 4 fields
        "render": hd["figures"]["render_resolution"] ** 3 * F32,
    }


# rule → [(size key, copies held at once)]
TERMS = {
    "hd_occupancy": [("occ_shard", 2.0)],
    "hd_field_init": [("occ_shard", 1.0)],
    "hd_fields": [("occ_shard", 2.0)],
    "hd_training_set": [("fields", 2.0)],
    "hd_fit": [("model", 4.0), ("fields", 1.0)],  # fused AdamW: weights, grads, 2 moments
    # the loaded fields and the augmented set (the fields and their permuted copies)
    "hd_fit_permuted": [("model", 4.0), ("fields", 1.0), ("fields_aug", 1.0)],
    "hd_sample": [("model", 2.0), ("fields", 1.0)],
    "hd_clouds": [("grid", 3.0)],
    "hd_figure_render_shapes": [("render", 3.0)],
}

# Its jobs of the shared rules over {method} were measured as its own rules before the method
# contract (rules/evaluate.smk, rules/figures.smk); they are sized as those.
SHARED_AS = {
    "behaviour": "hd_clouds",
    "table": "hd_table",
    "noise_baseline": "hd_noise_baseline",
    "figure_heatmap": "hd_figure_heatmap",
    "figure_min_distance": "hd_figure_min_distance",
    "figure_performance_vs_novelty": "hd_figure_performance_vs_novelty",
    "figure_model_outputs": "hd_figure_render_shapes",
}


def work(cfg: dict, name: str, rule: str, w: dict, z: Sizing) -> float:
    """A job's dominant amount of work (arbitrary units; bench/compute_plan.py uses ratios)."""
    hd = cfg[name]
    n_shapes = z.shapes or SHAPENET_AIRPLANES
    occ, f, g, ev = hd["occupancy"], hd["field"], hd["generator"], hd["evaluation"]
    pts = occ["near_points"] + occ["uniform_points"]
    n_train = max(1, round(n_shapes * (1 - 0.05 - 0.15)))
    eval_n = {"training": n_train, "generated": hd["sampling"]["n_samples"]}.get(
        w.get("set", ""), hd["baselines"]["count"])
    return {"hd_occupancy": n_shapes / occ["shards"] * pts,
            "hd_field_init": f["init_epochs"] * pts,
            "hd_fields": n_shapes / occ["shards"] * f["max_epochs"] * pts,
            "hd_fit": g["epochs"] * n_train * hd_params(g),
            "hd_sample": (hd["sampling"]["n_samples"] * hd["sampling"]["sample_steps"]
                          * hd_params(g)),
            "hd_clouds": eval_n * ev["resolution"] ** 3,
            "hd_table": eval_n * n_shapes,
            "hd_reference_clouds": n_shapes,
            "hd_summary": n_train * (n_train + 3 * hd["sampling"]["n_samples"]),
            "hd_figure_render_shapes": 6 * hd["figures"]["render_resolution"] ** 3,
            }.get(rule, 1.0)


def gpu_flops(cfg: dict, name: str, rule: str) -> float | None:
    """Arithmetic of its fit at the paper's shape count (6 × parameters × 9 tokens per field)."""
    if rule != "hd_fit":
        return None
    hd = cfg[name]
    n_train = round(SHAPENET_AIRPLANES * 0.8)
    return 6 * hd_params(hd["generator"]) * 9 * n_train * hd["generator"]["epochs"]


RESOURCES = Resources(sizes=sizes, terms=TERMS, shared_as=SHARED_AS,
                      variant_rules=("hd_fit", "hd_sample"), prefix="hd_", work=work,
                      gpu_flops=gpu_flops)
