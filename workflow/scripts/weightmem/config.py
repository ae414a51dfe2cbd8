"""Configuration checks, run when the Snakefile loads, before any job.

* :func:`validate`: every number finite; the JSON schema (config/schema.yaml, with upper bounds
  and duplicate-free lists; integers must be integers, not 3.0); then the cross-field rules a
  schema cannot express (sizes bounded by each other and by the datasets). It also applies
  ``<method>.run_factors`` (which modeling-factor variants run) to the config it returns.
* :func:`check_machine`: what follows from the machine: the largest in-memory arrays of a job
  (zoo tensors, decision-boundary grids, meshing grids) against the machine's memory. The workflow
  calls it when a local run starts (not for dry runs or cluster submission, where jobs run
  elsewhere).

Every message names the full key and the reason, e.g. ``data.digits.test_fraction: 1.5 is not
< 1`` or ``gpt.baselines.noise: [0.05, 0.05] has duplicate items (0.05)``.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import jsonschema
import yaml
from jsonschema import validators


class ConfigError(ValueError):
    pass


def _is_integer(checker, x) -> bool:  # 3.0 is not an integer here: range(3.0) fails later
    return isinstance(x, int) and not isinstance(x, bool)


_Validator = validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))

# generator defaults the cross checks need when a key is absent (tests/test_bad_inputs.py checks
# them against the generator dataclasses, which config.py does not import: that would load torch
# every time the Snakefile is parsed)
DEFAULTS = {
    "gpt": {"warmup_steps": 445, "diffusion_steps": 1000},
    "pdiff": {"diffusion_steps": 1000},
    "hyperdiffusion": {"diffusion_steps": 500},
}

# what each data source holds: training images (before any split), classes, channels, image side
_SOURCES = {
    "digits": (1797, 10, 1, 8),  # split below with the configured test_fraction
    "mnist": (60000, 10, 1, 28),
    "cifar100": (50000, 100, 3, 32),
    "svhn": (73257, 10, 1, 28),
}


def dataset_facts(spec: dict) -> dict:
    """Training images, classes and pixels per image of one ``data:`` entry."""
    n, classes, channels, side = _SOURCES[spec["source"]]
    if spec["source"] == "digits":  # sklearn's train_test_split: ceil(test_fraction × n) test
        n -= math.ceil(spec.get("test_fraction", 0.2) * n)
    side = spec.get("image_size", side)
    return {"n_train": n, "classes": classes, "channels": channels, "side": side,
            "pixels": channels * side * side}


# ---------------------------------------------------------------------------------- validate
def validate(config: dict, schema_path: str | Path) -> dict:
    """Validate in place (filling schema defaults, applying ``run_factors``) and return the
    config; a :class:`ConfigError` lists every problem found, one ``key: reason`` per line."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    _raise(_non_finite(config, ""))  # before the schema: NaN passes `minimum`/`maximum`
    errors = sorted(_Validator(schema).iter_errors(config),
                    key=lambda e: [str(p) for p in e.absolute_path])
    _raise([line for e in errors for line in _describe(e)])
    _fill_defaults(config, schema)
    _raise(_select_factors(config))
    _raise(_cross_checks(config))
    return config


def _raise(problems: list[str]) -> None:
    if problems:
        shown = problems[:12] + ([f"... and {len(problems) - 12} more"] if len(problems) > 12 else [])
        raise ConfigError("invalid configuration:\n" + "\n".join("  " + p for p in shown))


def _non_finite(node, where: str) -> list[str]:
    if isinstance(node, float) and not math.isfinite(node):
        return [f"{where or '(top level)'}: {node} is not a finite number"]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _non_finite(v, f"{where}.{k}" if where else str(k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _non_finite(v, f"{where}.{i}")]
    return []


def _where(err: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in err.absolute_path) or "(top level)"


def _join(where: str, key: str) -> str:
    return key if where == "(top level)" else f"{where}.{key}"


def _describe(err: jsonschema.ValidationError) -> list[str]:
    """One line per problem, naming the full key; plainer than jsonschema's own messages."""
    if err.validator in ("oneOf", "anyOf") and err.context:
        err = jsonschema.exceptions.best_match(err.context)
    where, kind, v, inst = _where(err), err.validator, err.validator_value, err.instance
    if kind == "additionalProperties" and isinstance(inst, dict):
        known = set(err.schema.get("properties", {}))
        return [f"{_join(where, k)}: not allowed here (known keys: {', '.join(sorted(known))})"
                for k in inst if k not in known]
    if kind == "required" and isinstance(inst, dict):
        return [f"{_join(where, k)}: required, but missing" for k in v if k not in inst]
    bound = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    if kind in bound:
        return [f"{where}: {inst!r} is not {bound[kind]} {v}"]
    if kind == "uniqueItems":
        seen, dups = [], []
        for x in inst:
            (dups if x in seen else seen).append(x)
        return [f"{where}: {inst!r} has duplicate items ({', '.join(map(repr, dups))})"]
    if kind == "propertyNames":
        return [f"{where}: {err.message}"]
    return [f"{where}: {err.message}"]


def _fill_defaults(instance, schema) -> None:
    if not isinstance(instance, dict):
        return
    props = schema.get("properties", {})
    for key, sub in props.items():
        if "default" in sub and key not in instance:
            instance[key] = sub["default"]
        if key in instance:
            _fill_defaults(instance[key], sub)
    for branch in schema.get("allOf", []):  # if/then branches (data sources): the one that applies
        if "if" in branch and _Validator(branch["if"]).is_valid(instance):
            _fill_defaults(instance, branch.get("then", {}))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, val in instance.items():
            if key not in props:
                _fill_defaults(val, extra)


# ---------------------------------------------------------------------------------- variants
def _select_factors(config: dict) -> list[str]:
    """``<method>.run_factors`` names the modeling-factor variants that run (absent = all): the
    returned config keeps only those under ``modeling_factors``, so every rule sees one list."""
    problems = []
    for m, section in config.items():
        if not isinstance(section, dict) or "run_factors" not in section:
            continue
        defined = section.get("modeling_factors") or {}
        chosen = section["run_factors"]
        for name in chosen:
            if name not in defined:
                problems.append(f"{m}.run_factors: '{name}' is not defined under "
                                f"{m}.modeling_factors (defined: {', '.join(defined) or 'none'})")
        section["modeling_factors"] = {k: v for k, v in defined.items() if k in chosen}
    return problems


# ---------------------------------------------------------------------------------- cross checks
def _cross_checks(config: dict) -> list[str]:
    problems = []
    for m in config["methods"]:
        if m not in config:
            problems.append(f"methods: '{m}' is listed but there is no '{m}:' section")
    for m in ("gpt", "hyperrep", "pdiff"):  # the image-classifier methods name a dataset
        if m in config and config[m]["dataset"] not in config["data"]:
            problems.append(f"{m}.dataset: '{config[m]['dataset']}' is not defined under data: "
                            f"(defined: {', '.join(config['data'])})")
    if problems:
        return problems  # the checks below read the dataset
    problems += _gpt_checks(config)
    problems += _pdiff_checks(config)
    problems += _hyperrep_checks(config)
    problems += _hyperdiffusion_checks(config.get("hyperdiffusion"))
    return problems


def _facts(config: dict, method: str) -> dict:
    return {**dataset_facts(config["data"][config[method]["dataset"]]),
            "name": config[method]["dataset"]}


def _batch(key: str, batch: int, data: dict) -> list[str]:
    if batch > data["n_train"]:
        return [f"{key}: {batch} is more than the {data['n_train']} training images of "
                f"data.{data['name']}"]
    return []


def _sample_steps(method: str, section: dict, gen_key: str = "generator") -> list[str]:
    steps = section["sampling"]["sample_steps"]
    T = section[gen_key].get("diffusion_steps", DEFAULTS[method]["diffusion_steps"])
    if steps > T:
        return [f"{method}.sampling.sample_steps: {steps} is more than "
                f"{method}.{gen_key}.diffusion_steps {T} (the sampler respaces the trained steps)"]
    return []


def _gpt_checks(config: dict) -> list[str]:
    gpt = config.get("gpt")
    if not gpt:
        return []
    problems = []
    z, s, g = gpt["zoo"], gpt["sampling"], gpt["generator"]
    data = _facts(config, "gpt")
    if s["n_samples"] > z["runs_heldout"]:
        problems.append(f"gpt.sampling.n_samples: {s['n_samples']} prompts need as many "
                        f"held-out runs, but gpt.zoo.runs_heldout is {z['runs_heldout']}")
    problems += _shards_and_heads("gpt", z["shards"], z["runs_train"] + z["runs_heldout"],
                                  "width", g)
    problems += _batch("gpt.zoo.batch_size", z["batch_size"], data)
    iters = z["epochs"] * (data["n_train"] // z["batch_size"])
    if z["batch_size"] <= data["n_train"] and z["checkpoints_per_run"] > iters + 1:
        problems.append(f"gpt.zoo.checkpoints_per_run: {z['checkpoints_per_run']} checkpoints "
                        f"(init, random iterations, final) do not fit the {iters} iterations of "
                        f"a run (gpt.zoo.epochs × {data['n_train']} training images // "
                        f"batch_size); at most {iters + 1}")
    if g["chunk_size"] > g["width"]:
        problems.append(f"gpt.generator.chunk_size: {g['chunk_size']} is wider than "
                        f"gpt.generator.width {g['width']} (a token must carry its whole chunk)")
    warm = g.get("warmup_steps", DEFAULTS["gpt"]["warmup_steps"])
    if warm >= g["steps"]:
        problems.append(f"gpt.generator.warmup_steps: {warm} is not below gpt.generator.steps "
                        f"{g['steps']} (the learning rate would never reach its peak)")
    for name, over in gpt.get("modeling_factors", {}).items():
        v = {**g, **over}
        if "steps_fraction" in over:
            v["steps"] = max(1, round(g["steps"] * over["steps_fraction"]))
        key = f"gpt.modeling_factors.{name}"
        if v["width"] % v["heads"]:
            problems.append(f"{key}: width {v['width']} is not divisible by heads {v['heads']}")
        if g["chunk_size"] > v["width"]:
            problems.append(f"{key}: width {v['width']} is narrower than gpt.generator.chunk_size "
                            f"{g['chunk_size']}")
        if "warmup_steps" in over or "steps" in over or "steps_fraction" in over:
            w = v.get("warmup_steps", DEFAULTS["gpt"]["warmup_steps"])
            if w >= v["steps"]:
                problems.append(f"{key}: warmup_steps {w} is not below its {v['steps']} steps")
    problems += _sample_steps("gpt", gpt)
    return problems


def _shards_and_heads(method: str, shards: int, runs: int, width_key: str,
                      gen: dict) -> list[str]:
    out = []
    if shards > runs:
        out.append(f"{method}.zoo.shards: {shards} shards are more than the {runs} runs")
    if gen[width_key] % gen["heads"]:
        out.append(f"{method}.generator.{width_key}: {gen[width_key]} is not divisible by heads "
                   f"{gen['heads']}")
    return out


def _pdiff_checks(config: dict) -> list[str]:
    pd = config.get("pdiff")
    if not pd:
        return []
    problems = []
    b = pd["base"]
    data = _facts(config, "pdiff")
    if b["image_size"] > b["resize"]:
        problems.append(f"pdiff.base.image_size: centre crop {b['image_size']} is larger than "
                        f"resize {b['resize']}")
    if b["crop_scale"][0] > b["crop_scale"][1]:
        problems.append("pdiff.base.crop_scale: lower bound above upper bound")
    if pd["baselines"]["average_k"] > pd["collect"]["checkpoints"]:
        problems.append(f"pdiff.baselines.average_k: {pd['baselines']['average_k']} is more than "
                        f"the {pd['collect']['checkpoints']} checkpoints")
    problems += _batch("pdiff.base.batch_size", b["batch_size"], data)
    problems += _batch("pdiff.collect.batch_size", pd["collect"]["batch_size"], data)
    k = pd["figures"]["boundary_classes"]
    if k > data["classes"]:
        problems.append(f"pdiff.figures.boundary_classes: {k} is more than the "
                        f"{data['classes']} classes of data.{data['name']}")
    problems += _sample_steps("pdiff", pd)
    return problems


def _hyperrep_checks(config: dict) -> list[str]:
    hr = config.get("hyperrep")
    if not hr:
        return []
    problems = []
    z, g = hr["zoo"], hr["generator"]
    lo, hi = hr.get("invariance", {}).get("scale_range", (1.0, 1.0))
    if lo > hi:
        problems.append(f"hyperrep.invariance.scale_range: lower bound {lo} above upper {hi}")
    if z["checkpoints_per_run"] > z["epochs"]:
        problems.append(f"hyperrep.zoo.checkpoints_per_run: {z['checkpoints_per_run']} "
                        f"checkpoints need as many epochs, but epochs is {z['epochs']}")
    problems += _shards_and_heads("hyperrep", z["shards"], z["runs"], "d_model", g)
    problems += _batch("hyperrep.zoo.batch_size", z["batch_size"], _facts(config, "hyperrep"))
    ckpts = z["runs"] * min(z["checkpoints_per_run"], z["epochs"])
    models = hr.get("invariance", {}).get("models", 0)
    if models > ckpts:
        problems.append(f"hyperrep.invariance.models: {models} is more than the {ckpts} zoo "
                        f"checkpoints (hyperrep.zoo.runs × checkpoints_per_run)")
    return problems


def _hyperdiffusion_checks(hd: dict | None) -> list[str]:
    if not hd:
        return []
    problems = []
    sh = hd["shapes"]
    if sh["source"] == "airplanes" and "count" not in sh:
        problems.append("hyperdiffusion.shapes.count: needed when source is 'airplanes'")
    if sh["source"] == "directory" and "root" not in sh:
        problems.append("hyperdiffusion.shapes.root: needed when source is 'directory'")
    if sh["val_fraction"] + sh["test_fraction"] >= 1:
        problems.append("hyperdiffusion.shapes: val_fraction + test_fraction leave no training shapes")
    g = hd["generator"]
    if g["width"] % g["heads"]:
        problems.append(f"hyperdiffusion.generator.width: {g['width']} is not divisible by heads "
                        f"{g['heads']}")
    occ = hd["occupancy"]
    points = occ["near_points"] + occ["uniform_points"]
    if hd["field"]["batch_points"] > points:
        problems.append(f"hyperdiffusion.field.batch_points: {hd['field']['batch_points']} is more "
                        f"than the {points} supervision points per shape")
    problems += _sample_steps("hyperdiffusion", hd)
    return problems


# ---------------------------------------------------------------------------------- the machine
def machine_memory() -> int:
    """Bytes of memory this process may use: physical memory, or a smaller cgroup limit."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def memory_estimates(config: dict) -> list[tuple[str, float, str]]:
    """(key to blame, bytes, what) for the largest arrays a job holds at once: lower bounds,
    so a config over the machine's memory cannot run, whatever else the job needs."""
    out = []
    gpt = config.get("gpt")
    if gpt:
        d = _facts(config, "gpt")
        h = gpt["zoo"]["hidden"]
        D = (d["pixels"] + 1) * h + (h + 1) * d["classes"]
        runs = gpt["zoo"]["runs_train"] + gpt["zoo"]["runs_heldout"]
        out.append(("gpt.zoo.runs_train", 2 * runs * gpt["zoo"]["checkpoints_per_run"] * D * 4,
                    f"the merged zoo (runs × checkpoints_per_run × {D} weights, float32, twice "
                    f"while merging)"))
        out.append(_grid("gpt", gpt["figures"]["grid_resolution"], d["pixels"]))
    hr = config.get("hyperrep")
    if hr:
        d = _facts(config, "hyperrep")
        z = hr["zoo"]
        out.append(("hyperrep.zoo.runs", 2 * z["runs"] * z["checkpoints_per_run"] * 2464 * 4,
                    "the merged zoo (runs × checkpoints_per_run × 2,464 weights, twice while "
                    "merging)"))
        out.append(_grid("hyperrep", hr["figures"]["grid_resolution"], d["pixels"]))
    pd = config.get("pdiff")
    if pd:
        d = _facts(config, "pdiff")
        res, side = pd["figures"]["grid_resolution"], pd["base"]["image_size"]
        key, raw, _ = _grid("pdiff", res, d["pixels"])
        out.append((key, raw + res * res * d["channels"] * side * side * 4,
                    f"the decision-boundary grid ({res}² images, also resized to {side}×{side})"))
    hd = config.get("hyperdiffusion")
    if hd:
        r = hd["evaluation"]["resolution"]
        out.append(("hyperdiffusion.evaluation.resolution", r ** 3 * 40,
                    f"the meshing grid ({r}³ points: coordinates, and logits of 4 fields)"))
    return out


def _grid(method: str, res: int, pixels: int) -> tuple[str, float, str]:
    return (f"{method}.figures.grid_resolution", res * res * pixels * 12,
            f"the decision-boundary grid ({res}² images of {pixels} pixels, float64 then float32)")


def check_machine(config: dict, memory_bytes: int | None = None, fraction: float = 0.8) -> None:
    """Refuse a config whose largest arrays exceed ``fraction`` of this machine's memory."""
    memory = machine_memory() if memory_bytes is None else memory_bytes
    gib = 1 << 30
    _raise([f"{key}: needs at least {need / gib:.1f} GiB for {what}, more than "
            f"{fraction:.0%} of this machine's {memory / gib:.1f} GiB memory"
            for key, need, what in memory_estimates(config) if need > fraction * memory])
