"""What each rule asks of a cluster (``mem_mb``, ``runtime``), computed from the config.

Memory model (issue 16): peak RSS of a job = ``BASE_MB[rule]`` + the arrays whose size the config
sets (zoo checkpoints, data sets, generator state, grids …), each counted as often as the job
holds it at once (e.g. loaded + concatenated = 2 copies). ``BASE_MB`` is the measured peak of
the paper-shape smoke run (tests/config/paper-shapes.yaml, logged by every job at exit as
"peak memory") minus what these terms give at the smoke run's own sizes, so the model reproduces
the smoke measurement and extrapolates the size-dependent part to the paper's counts.

A rule's ask is ``ASK_FACTOR`` × that estimate, rounded up to 100 MB (and never below 500 MB):
at least the extrapolated peak, at most 4× of it (tests/test_resources.py). Runtimes are the
extrapolated CPU time of ``per_unit_s`` × work units (from the same smoke run) with a floor, or,
for rules that want a GPU at paper scale, an estimate from their arithmetic (``GPU_TFLOPS``).
These are plans for a scheduler, not promises: bench/compute_plan.py prints the table.
"""
from __future__ import annotations

import math

MB = 2 ** 20
F32 = 4
ASK_FACTOR = 1.5
GPU_TFLOPS = 8.0   # assumed sustained fp32 throughput of one data-centre GPU (e.g. A100 ≈40% of peak)

# published sizes (train, test) of the data sets; the smoke run passes its synthetic sizes
DATA_SIZES = {"mnist": (60_000, 10_000), "svhn": (73_257, 26_032), "cifar100": (50_000, 10_000),
              "digits": (1_437, 360), "digits50": (898, 899)}
SHAPENET_AIRPLANES = 4_045  # hyperdiffusion.md §1.1 (the directory is only read at run time)

# Measured on the paper-shape smoke run (2-core CPU), MB: peak RSS minus the size terms at the
# smoke sizes (bench/compute_plan.py --calibrate prints these). Rules not listed use DEFAULT_BASE.
BASE_MB: dict[str, float] = {  # smoke run of 2026-12-02 (138 jobs, 2-core CPU, torch 2.13)
    "behaviour:gpt": 303,
    "behaviour:hyperrep": 357,
    "dataset": 245,
    "figure_decision_boundary:gpt": 647,
    "figure_decision_boundary:hyperrep": 1485,
    "figure_heatmap:gpt": 394,
    "figure_heatmap:hyperrep": 391,
    "figure_heatmap:pdiff": 392,
    "figure_min_distance:gpt": 371,
    "figure_min_distance:hyperrep": 372,
    "figure_min_distance:pdiff": 371,
    "figure_performance_vs_novelty:gpt": 371,
    "figure_performance_vs_novelty:hyperrep": 371,
    "figure_performance_vs_novelty:pdiff": 371,
    "gpt_fit": 492,
    "gpt_sample": 256,
    "gpt_training_set": 232,
    "gpt_zoo_merge": 232,
    "gpt_zoo_shard": 242,
    "hd_clouds": 1380,
    "hd_field_init": 376,
    "hd_fields": 414,
    "hd_figure_heatmap": 391,
    "hd_figure_min_distance": 371,
    "hd_figure_performance_vs_novelty": 349,
    "hd_figure_render_shapes": 949,
    "hd_fit": 440,
    "hd_noise_baseline": 233,
    "hd_occupancy": 356,
    "hd_reference_clouds": 341,
    "hd_sample": 339,
    "hd_split": 316,
    "hd_summary": 324,
    "hd_table": 331,
    "hd_training_set": 322,
    "hyperrep_fit": 669,
    "hyperrep_invariance": 1165,
    "hyperrep_reference": 1111,
    "hyperrep_sample": 1213,
    "hyperrep_zoo_merge": 230,
    "hyperrep_zoo_shard": 351,
    "modeling_factors": 271,
    "noise_baseline:gpt": 231,
    "noise_baseline:hyperrep": 230,
    "noise_baseline:pdiff": 230,
    "pdiff_base": 550,
    "pdiff_behaviour": 824,
    "pdiff_collect": 698,
    "pdiff_figure_decision_boundary": 1124,
    "pdiff_figure_interpolate": 371,
    "pdiff_figure_param_distribution": 364,
    "pdiff_figure_tsne": 379,
    "pdiff_fit": 543,
    "pdiff_interpolation_baseline": 230,
    "pdiff_sample": 405,
    "report": 258,
    "table:gpt": 306,
    "table:hyperrep": 305,
    "table:pdiff": 304,
}
DEFAULT_BASE = 600.0


def _pixels(config, name) -> tuple[int, int]:
    """(channels, pixels per channel) of a configured data set after loading."""
    spec = config["data"][name]
    src = spec["source"]
    if src == "mnist":
        return 1, 28 * 28
    if src == "svhn":
        return 1, spec.get("image_size", 28) ** 2
    if src == "cifar100":
        return 3, 32 * 32
    return 1, spec.get("image_size", 8) ** 2


def _n_images(config, name, data_sizes) -> tuple[int, int]:
    src = config["data"][name]["source"]
    return data_sizes.get(name) or data_sizes.get(src) or DATA_SIZES.get(src, DATA_SIZES["digits"])


def mlp_dim(config) -> int:
    c, p = _pixels(config, config["gpt"]["dataset"])
    h = config["gpt"]["zoo"]["hidden"]
    return c * p * h + h + h * 10 + 10


def gpt_params(g: dict, dim: int, n_layers: int = 4) -> int:
    """G.pt denoiser parameters (gpt.md §2.2) from the generator settings."""
    w, chunk = g["width"], g["chunk_size"]
    n_chunks = 2 * (math.ceil((dim - 130) / chunk) + 3)  # fc1.weight in chunks + 3 small layers
    block = 12 * w * w + 13 * w
    tokens = n_chunks + 4
    emb = 2 * dim * w + 4 * 257 * w  # input projections of x_t, x_prev and the 4 scalars
    return g["depth"] * block + emb + dim * w + tokens * w + 4 * w


def hyperrep_params(g: dict) -> int:
    """Hyper-Rep autoencoder parameters (without the projection head): the CNN's 48 neuron
    tokens of 26/201/25/37/21 values (hyperrep.md §2.1), per-layer embedders and debedders,
    learned positions, ``blocks`` pre-norm blocks per side and the linear bottleneck."""
    d, ff, blocks, lat, n_tok, values = g["d_model"], g["ff"], g["blocks"], g["latent"], 48, 310
    per_block = 4 * (d * d + d) + 2 * d * ff + ff + d + 4 * d
    bottleneck = 2 * n_tok * d * lat + lat + n_tok * d
    return 2 * blocks * per_block + bottleneck + (values + 5) * d + values * d + values + 2 * n_tok * d


def hd_params(g: dict, dim: int = 36_737) -> int:
    w = g["width"]
    return g["depth"] * (12 * w * w + 13 * w) + 2 * dim * w + 257 * w + 13 * w


def sizes(config: dict, data_sizes: dict | None = None, n_shapes: int | None = None) -> dict:
    """Byte counts of the arrays the jobs hold, for this config."""
    data_sizes = data_sizes or {}
    s: dict[str, float] = {}
    for name in config["data"]:
        c, p = _pixels(config, name)
        ntr, nte = _n_images(config, name, data_sizes)
        s[f"data:{name}"] = (ntr + nte) * c * p * F32
        s[f"test:{name}"] = nte * c * p * F32
    if "gpt" in config:
        gp = config["gpt"]
        z, D = gp["zoo"], mlp_dim(config)
        runs = z["runs_train"] + z["runs_heldout"]
        s["gpt:zoo"] = runs * z["checkpoints_per_run"] * D * F32
        s["gpt:shard"] = math.ceil(runs / z["shards"]) * z["checkpoints_per_run"] * D * F32
        s["gpt:train"] = z["runs_train"] * D * F32
        s["gpt:model"] = gpt_params(gp["generator"], D) * F32
        ntest = _n_images(config, gp["dataset"], data_sizes)[1]
        s["gpt:masks"] = z["runs_train"] * ntest  # bool error masks of the training set
        s["gpt:sim"] = z["runs_train"] ** 2 * F32
        s["gpt:grid"] = gp["figures"]["grid_resolution"] ** 2 * _pixels(config, gp["dataset"])[1] * F32
    if "hyperrep" in config:
        hr = config["hyperrep"]
        n_ck = hr["zoo"]["runs"] * hr["zoo"]["checkpoints_per_run"]
        s["hyperrep:zoo"] = n_ck * 2464 * F32
        s["hyperrep:model"] = hyperrep_params(hr["generator"]) * F32
        s["hyperrep:perms"] = hr["generator"]["permutations"] * 2464 * 8  # int64 index bank
        ntest = _n_images(config, hr["dataset"], data_sizes)[1]
        s["hyperrep:masks"] = n_ck * ntest
        s["hyperrep:grid"] = hr["figures"]["grid_resolution"] ** 2 * _pixels(config, hr["dataset"])[1] * F32
        # the CNN's first activation (8 × 24 × 24 per 28×28 image) for every grid image at once
        s["hyperrep:grid_act"] = hr["figures"]["grid_resolution"] ** 2 * 8 * 24 * 24 * F32
    if "hyperdiffusion" in config:
        hd = config["hyperdiffusion"]
        n = n_shapes or SHAPENET_AIRPLANES
        occ = hd["occupancy"]
        pts = occ["near_points"] + occ["uniform_points"]
        s["hd:occ_shard"] = math.ceil(n / occ["shards"]) * pts * 4 * F32
        s["hd:fields"] = n * 36_737 * F32
        # the fields with their permuted copies (study output 10: up to max copies + 1 times)
        s["hd:fields_aug"] = s["hd:fields"] * (1 + max(hd.get("permutation_augmentation") or [0]))
        s["hd:model"] = hd_params(hd["generator"]) * F32
        s["hd:grid"] = 4 * hd["evaluation"]["resolution"] ** 3 * F32  # a batch of 4 fields
        s["hd:render"] = hd["figures"]["render_resolution"] ** 3 * F32
    if "pdiff" in config:
        pd_ = config["pdiff"]
        img = pd_["base"]["image_size"]
        ntr, nte = _n_images(config, pd_["dataset"], data_sizes)
        s["pdiff:test224"] = nte * 3 * img * img * F32  # the test set resized to the input size
        s["pdiff:batch_act"] = pd_["base"]["batch_size"] * 3 * img * img * F32 * 40  # ResNet-18 train
        s["pdiff:cache"] = nte * 2 * 8 * pd_["base"]["width"] * (img // 32) ** 2 * F32
        s["pdiff:grid"] = pd_["figures"]["grid_resolution"] ** 2 * 3 * 32 * 32 * F32
    return s


# rule → [(size key, copies held at once)]; "data:<method>"/"test:<method>" mean that method's set
TERMS: dict[str, list[tuple[str, float]]] = {
    "dataset": [("data:*", 3.0)],
    "gpt_zoo_shard": [("gpt:shard", 2.0), ("data:gpt", 1.0)],
    "gpt_zoo_merge": [("gpt:zoo", 2.0)],
    "gpt_training_set": [("gpt:zoo", 1.0)],
    "gpt_fit": [("gpt:zoo", 3.0), ("gpt:model", 6.0)],  # zoo, its train split, × scale;
    # weights, grads, 2 AdamW moments, EMA and one transient copy (measured: 5.9-6.1 copies)
    "gpt_sample": [("gpt:zoo", 1.0), ("gpt:model", 2.0), ("data:gpt", 1.0)],
    "behaviour": [("gpt:masks", 2.0), ("data:gpt", 1.0)],
    "table": [("gpt:masks", 8.0), ("gpt:sim", 2.0)],
    "figure_decision_boundary": [("gpt:grid", 3.0), ("data:gpt", 1.0)],
    "hyperrep_zoo_shard": [("data:hyperrep", 1.0)],
    "hyperrep_fit": [("hyperrep:model", 5.0), ("hyperrep:zoo", 4.0), ("hyperrep:perms", 1.0)],
    "hyperrep_reference": [("hyperrep:model", 1.0), ("hyperrep:zoo", 4.0)],
    "hyperrep_sample": [("hyperrep:model", 1.0), ("hyperrep:zoo", 2.0)],
    "hyperrep_invariance": [("hyperrep:model", 1.0), ("data:hyperrep", 1.0)],
    "hd_occupancy": [("hd:occ_shard", 2.0)],
    "hd_field_init": [("hd:occ_shard", 1.0)],
    "hd_fields": [("hd:occ_shard", 2.0)],
    "hd_training_set": [("hd:fields", 2.0)],
    "hd_fit": [("hd:model", 4.0), ("hd:fields", 1.0)],  # fused AdamW: weights, grads, 2 moments
    # the loaded fields and the augmented set (the fields and their permuted copies)
    "hd_fit_permuted": [("hd:model", 4.0), ("hd:fields", 1.0), ("hd:fields_aug", 1.0)],
    "hd_sample": [("hd:model", 2.0), ("hd:fields", 1.0)],
    "hd_clouds": [("hd:grid", 3.0)],
    "hd_figure_render_shapes": [("hd:render", 3.0)],
    "pdiff_base": [("data:pdiff", 1.0), ("pdiff:test224", 1.0), ("pdiff:batch_act", 1.0)],
    "pdiff_collect": [("data:pdiff", 1.0), ("pdiff:batch_act", 0.3)],  # only layer4 keeps activations
    "pdiff_behaviour": [("data:pdiff", 1.0), ("pdiff:test224", 1.0), ("pdiff:cache", 1.0)],
    "pdiff_figure_decision_boundary": [("data:pdiff", 1.0), ("pdiff:test224", 1.0),
                                       ("pdiff:cache", 1.0), ("pdiff:grid", 2.0)],
}
# the generic rules serve several methods; their terms are per method
GENERIC = {"behaviour", "table", "figure_decision_boundary", "figure_heatmap", "noise_baseline",
           "figure_min_distance", "figure_performance_vs_novelty"}
GENERIC_TERMS = {
    "hyperrep": {"behaviour": [("hyperrep:masks", 2.0), ("data:hyperrep", 1.0)],
                 "table": [("hyperrep:masks", 8.0)],
                 "figure_decision_boundary": [("hyperrep:grid", 3.0), ("hyperrep:grid_act", 3.0),
                                              ("data:hyperrep", 1.0)]},
    "pdiff": {"table": []},
}


def _dataset_of(config, method):
    return config.get(method, {}).get("dataset")


# The calibration above was measured with one rule per method stage; the method contract serves
# some of them with one shared rule over {method} (see rules/evaluate.smk, rules/figures.smk).
# A shared rule's job is sized as the rule it replaced for that kind of method (to be moved into
# the methods' declarations with the next calibration).
_SHARED_AS = {
    ("behaviour", "hyperdiffusion"): "hd_clouds", ("behaviour", "pdiff"): "pdiff_behaviour",
    ("table", "hyperdiffusion"): "hd_table",
    ("noise_baseline", "hyperdiffusion"): "hd_noise_baseline",
    ("figure_heatmap", "hyperdiffusion"): "hd_figure_heatmap",
    ("figure_min_distance", "hyperdiffusion"): "hd_figure_min_distance",
    ("figure_performance_vs_novelty", "hyperdiffusion"): "hd_figure_performance_vs_novelty",
    ("figure_model_outputs", "hyperdiffusion"): "hd_figure_render_shapes",
    ("figure_model_outputs", "pdiff"): "pdiff_figure_decision_boundary",
}


# Rules of the experiments beyond the default (rules/data_size.smk) hold what the G.pt rule whose
# work they repeat holds (a subset of the zoo is never larger than the zoo).
_SAME_AS = {"data_size_fit": "gpt_fit", "data_size_sample": "gpt_sample", "data_size_eval": "table"}


def _calibrated_rule(rule: str, w: dict) -> str:
    method = w.get("method")
    if rule in _SAME_AS:
        return _SAME_AS[rule]
    if (rule, method) in _SHARED_AS:
        return _SHARED_AS[rule, method]
    return "figure_decision_boundary" if rule == "figure_model_outputs" else rule


def estimate_mb(config: dict, rule: str, wildcards=None, data_sizes=None, n_shapes=None,
                base: dict | None = None) -> float:
    """Extrapolated peak RSS (MB) of one job of ``rule`` under ``config``."""
    w = dict(wildcards.items()) if hasattr(wildcards, "items") else dict(wildcards or {})
    rule = _calibrated_rule(rule, w)
    config = _with_variant(config, rule, w)
    s = sizes(config, data_sizes, n_shapes)
    method = w.get("method", "gpt")
    terms = TERMS.get(rule, [])
    if rule in GENERIC and method != "gpt":
        terms = GENERIC_TERMS.get(method, {}).get(rule, [])
    total = 0.0
    for key, copies in terms:
        if key == "data:*":
            name = w.get("dataset")
            key = f"data:{name}" if name else None
        elif key.startswith(("data:", "test:")) and key.split(":")[1] in ("gpt", "hyperrep", "pdiff"):
            ds = _dataset_of(config, key.split(":")[1])
            key = f"{key.split(':')[0]}:{ds}" if ds else None
        if key and key in s:
            total += copies * s[key]
    base_mb = (base if base is not None else BASE_MB).get(_base_key(rule, method), DEFAULT_BASE)
    return base_mb + total / MB


def _with_variant(config: dict, rule: str, w: dict) -> dict:
    """A modeling-factor variant's job (``{variant}`` of a fit, ``generated-<variant>`` of a
    sample) is sized with that variant's generator settings."""
    method = {"gpt_fit": "gpt", "gpt_sample": "gpt", "hyperrep_fit": "hyperrep",
              "hyperrep_sample": "hyperrep", "hyperrep_reference": "hyperrep", "hd_fit": "hyperdiffusion",
              "hd_sample": "hyperdiffusion"}.get(rule)
    variant = (w.get("variant") or (w.get("generated", "").partition("-")[2] or None)
               or (w.get("gen", "").partition("-")[2] or None))
    if not method or not variant or variant == "default" or method not in config:
        return config
    from .factors import variant_config

    c = config[method]
    if variant not in (c.get("modeling_factors") or {}):  # a sampler, a permutation variant
        return config
    gen = variant_config(c["generator"], c.get("modeling_factors"), variant, method)
    return {**config, method: {**c, "generator": gen}}


def _base_key(rule: str, method: str) -> str:
    return f"{rule}:{method}" if rule in GENERIC else rule


def ask_mb(config: dict, rule: str, wildcards=None, **kw) -> int:
    est = estimate_mb(config, rule, wildcards, **kw)
    return int(max(500, math.ceil(ASK_FACTOR * est / 100) * 100))


def need(config: dict, rule: str, key: str):
    """For ``resources:`` in the rules: ``mem_mb=need(config, "gpt_fit", "mem_mb")``."""
    if key == "mem_mb":
        return lambda wildcards: ask_mb(config, rule, wildcards)
    raise KeyError(key)
