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

from weightmem import methods

MB = 2 ** 20
GRID_BLOCK = 4096  # grid images per forward pass of a decision-boundary map (figures.classifier)
F32 = 4
ASK_FACTOR = 1.5
GPU_TFLOPS = 8.0   # assumed sustained fp32 throughput of one data-centre GPU (e.g. A100 ≈40% of peak)

# published sizes (train, test) of the data sets; the smoke run passes its synthetic sizes
DATA_SIZES = {"mnist": (60_000, 10_000), "svhn": (73_257, 26_032), "cifar100": (50_000, 10_000),
              "digits": (1_437, 360), "digits50": (898, 899)}

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
# Rules whose peak is set by fixed buffers, not by the config's sizes, and that the smoke run does
# not calibrate: audit_tables holds 256 MB of float64 and twice 128 MB of float32 column chunks
# whatever the set (measured: 794 MB on bench/audit.py --scale 1, 9.36 GB of models)
FIXED_MB: dict[str, float] = {"audit_tables": 850.0}

# The memory model's shared part. Each method's part — the arrays its jobs hold, which of them
# each of its rules holds at once, the rules its jobs are sized as — is its declaration's
# ``resources`` (weightmem.methods.Resources; the built-in ones in methods/<name>/resources.py).

# the shared rules' terms: the dataset rule holds its data set ({dataset}) three times
SHARED_TERMS: dict[str, list[tuple[str, float]]] = {"dataset": [("data:*", 3.0)]}
# the rules that serve every method ({method}); their terms and measured base are per method
GENERIC = {"behaviour", "table", "figure_decision_boundary", "figure_heatmap", "noise_baseline",
           "figure_min_distance", "figure_performance_vs_novelty"}


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


class Sizing:
    """What a method's ``resources`` hooks may ask of the data: a configured data set's
    (channels, pixels per channel) and (train, test) image counts, and ``shapes``, the shape
    count of a method over a shape collection (None: its own default). The smoke run passes its
    synthetic sizes."""

    def __init__(self, config: dict, data_sizes: dict | None = None, n_shapes: int | None = None):
        self.config, self.data_sizes, self.shapes = config, data_sizes or {}, n_shapes

    def pixels(self, dataset: str) -> tuple[int, int]:
        return _pixels(self.config, dataset)

    def images(self, dataset: str) -> tuple[int, int]:
        return _n_images(self.config, dataset, self.data_sizes)


def set_size(section: dict, name: str, training: int, noise: int | None = None) -> int:
    """Models in weight set ``name`` of a method's ``section``: its samples, its noise baselines
    (``baselines.count``, else ``noise``, else as many as ``training``), its interpolation
    baselines, else ``training`` (what a method counts as its training set)."""
    if name.startswith("generated") or name == "sample":
        return section["sampling"]["n_samples"]
    if name.startswith("noise"):
        if noise is not None:
            return noise
        return section["baselines"].get("count") or training
    if name in ("average", "gaussian"):
        return section["baselines"]["interpolation_count"]
    return training


def declared(config: dict) -> dict:
    """The configured methods' resource declarations, in the config's order."""
    return {m: methods.get(m, config).resources for m in methods.configured(config)}


def sizes(config: dict, data_sizes: dict | None = None, n_shapes: int | None = None) -> dict:
    """Byte counts of the arrays the jobs hold, for this config: ``data:<set>``/``test:<set>`` of
    every data set, ``<method>:<key>`` of every configured method's sizes."""
    z = Sizing(config, data_sizes, n_shapes)
    s: dict[str, float] = {}
    for name in config["data"]:
        c, p = z.pixels(name)
        ntr, nte = z.images(name)
        s[f"data:{name}"] = (ntr + nte) * c * p * F32
        s[f"test:{name}"] = nte * c * p * F32
    for m, res in declared(config).items():
        s.update({f"{m}:{k}": v for k, v in res.sizes(config, m, z).items()})
    return s


def _calibrated_rule(rule: str, w: dict, decls: dict) -> tuple[str, str | None]:
    """(the rule a job is sized as, the method it is sized for): a rule another method's
    declaration sizes as one of its own (``same_as``), a method's job of a shared rule measured
    under another name (``shared_as``), and the classifiers' model-outputs figure, measured as
    figure_decision_boundary."""
    method = w.get("method")
    for m, res in decls.items():
        if rule in res.same_as:
            return res.same_as[rule], method or m
    if method in decls and rule in decls[method].shared_as:
        return decls[method].shared_as[rule], method
    return ("figure_decision_boundary" if rule == "figure_model_outputs" else rule), method


def _terms(rule: str, method: str | None, decls: dict) -> list[tuple[str | None, str, float]]:
    """[(method whose sizes the key names, key, copies)] of a calibrated rule."""
    if rule in GENERIC:
        own = decls[method].terms.get(rule, []) if method in decls else []
        return [(method, k, c) for k, c in own]
    for m, res in decls.items():
        if rule in res.terms:
            return [(m, k, c) for k, c in res.terms[rule]]
    return [(None, k, c) for k, c in SHARED_TERMS.get(rule, [])]


def _size_key(config: dict, method: str | None, key: str, w: dict) -> str | None:
    if key == "data:*":
        name = w.get("dataset")
        return f"data:{name}" if name else None
    if key in ("data", "test"):
        ds = config[method].get("dataset")
        return f"{key}:{ds}" if ds else None
    return f"{method}:{key}"


def estimate_mb(config: dict, rule: str, wildcards=None, data_sizes=None, n_shapes=None,
                base: dict | None = None) -> float:
    """Extrapolated peak RSS (MB) of one job of ``rule`` under ``config``."""
    w = dict(wildcards.items()) if hasattr(wildcards, "items") else dict(wildcards or {})
    decls = declared(config)
    rule, method = _calibrated_rule(rule, w, decls)
    config = _with_variant(config, rule, w)
    s = sizes(config, data_sizes, n_shapes)
    total = 0.0
    for m, key, copies in _terms(rule, method, decls):
        key = _size_key(config, m, key, w)
        if key and key in s:
            total += copies * s[key]
    base_mb = (base if base is not None else BASE_MB).get(_base_key(rule, method),
                                                          FIXED_MB.get(rule, DEFAULT_BASE))
    return base_mb + total / MB


def _with_variant(config: dict, rule: str, w: dict) -> dict:
    """A modeling-factor variant's job (``{variant}`` of a fit, ``generated-<variant>`` of a
    sample) is sized with that variant's generator settings."""
    method = next((m for m, res in declared(config).items() if rule in res.variant_rules), None)
    variant = (w.get("variant") or (w.get("generated", "").partition("-")[2] or None)
               or (w.get("gen", "").partition("-")[2] or None))
    if not method or not variant or variant == "default":
        return config
    from .factors import variant_config

    c = config[method]
    if variant not in (c.get("modeling_factors") or {}):  # a sampler, a permutation variant
        return config
    gen = variant_config(c["generator"], c.get("modeling_factors"), variant, method)
    return {**config, method: {**c, "generator": gen}}


def _base_key(rule: str, method: str | None) -> str:
    return f"{rule}:{method}" if rule in GENERIC else rule


def ask_mb(config: dict, rule: str, wildcards=None, **kw) -> int:
    est = estimate_mb(config, rule, wildcards, **kw)
    return int(max(500, math.ceil(ASK_FACTOR * est / 100) * 100))


def need(config: dict, rule: str, key: str):
    """For ``resources:`` in the rules: ``mem_mb=need(config, "gpt_fit", "mem_mb")``."""
    if key == "mem_mb":
        return lambda wildcards: ask_mb(config, rule, wildcards)
    raise KeyError(key)
