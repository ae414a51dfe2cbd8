"""Configuration checks: the JSON schema (config/schema.yaml) plus the cross-field rules a schema
cannot express. Errors name the offending key, e.g. ``gpt.zoo.runs_train: -1 is less than ...``."""
from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


def _fill_defaults(instance, schema) -> None:
    if not isinstance(instance, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if "default" in sub and key not in instance:
            instance[key] = sub["default"]
        if key in instance:
            _fill_defaults(instance[key], sub)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key, val in instance.items():
            if key not in schema.get("properties", {}):
                for alt in extra.get("oneOf", [extra]):
                    try:
                        jsonschema.validate(val, alt)
                    except jsonschema.ValidationError:
                        continue
                    _fill_defaults(val, alt)
                    break


def _where(err: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in err.absolute_path) or "(top level)"


def validate(config: dict, schema_path: str | Path) -> dict:
    """Validate in place (filling schema defaults) and return the config."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors[:10]:
            best = jsonschema.exceptions.best_match([e] + list(e.context or []))
            lines.append(f"  {_where(best)}: {best.message}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines))
    _fill_defaults(config, schema)
    _cross_checks(config)
    return config


def _cross_checks(config: dict) -> None:
    problems = []
    for m in config["methods"]:
        if m not in config:
            problems.append(f"methods: '{m}' is listed but there is no '{m}:' section")
    for m in ("gpt", "hyperrep", "pdiff"):  # the image-classifier methods name a dataset
        if m in config and config[m]["dataset"] not in config["data"]:
            problems.append(f"{m}.dataset: '{config[m]['dataset']}' is not defined under data:")
    gpt = config.get("gpt")
    if gpt:
        z, s = gpt["zoo"], gpt["sampling"]
        if s["n_samples"] > z["runs_heldout"]:
            problems.append(f"gpt.sampling.n_samples: {s['n_samples']} prompts need as many "
                            f"held-out runs, but gpt.zoo.runs_heldout is {z['runs_heldout']}")
        problems += _shards_and_heads("gpt", z["shards"], z["runs_train"] + z["runs_heldout"],
                                      "width", gpt["generator"])
        for name, over in gpt.get("modeling_factors", {}).items():
            g = {**gpt["generator"], **over}
            if g["width"] % g["heads"]:
                problems.append(f"gpt.modeling_factors.{name}: width {g['width']} is not "
                                f"divisible by heads {g['heads']}")
    problems += _pdiff_checks(config)
    hr = config.get("hyperrep")
    if hr:
        z, g = hr["zoo"], hr["generator"]
        lo, hi = hr.get("invariance", {}).get("scale_range", (1.0, 1.0))
        if lo > hi:
            problems.append(f"hyperrep.invariance.scale_range: lower bound {lo} above upper {hi}")
        if z["checkpoints_per_run"] > z["epochs"]:
            problems.append(f"hyperrep.zoo.checkpoints_per_run: {z['checkpoints_per_run']} "
                            f"checkpoints need as many epochs, but epochs is {z['epochs']}")
        problems += _shards_and_heads("hyperrep", z["shards"], z["runs"], "d_model", g)
    problems += _hyperdiffusion_checks(config.get("hyperdiffusion"))
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join("  " + p for p in problems))


def _shards_and_heads(method: str, shards: int, runs: int, width_key: str,
                      gen: dict) -> list[str]:
    out = []
    if shards > runs:
        out.append(f"{method}.zoo.shards: more shards than runs")
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
    if b["image_size"] > b["resize"]:
        problems.append(f"pdiff.base.image_size: centre crop {b['image_size']} is larger than "
                        f"resize {b['resize']}")
    if b["crop_scale"][0] > b["crop_scale"][1]:
        problems.append("pdiff.base.crop_scale: lower bound above upper bound")
    if pd["baselines"]["average_k"] > pd["collect"]["checkpoints"]:
        problems.append("pdiff.baselines.average_k: more than there are checkpoints")
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
    if hd["field"]["batch_points"] > hd["occupancy"]["near_points"] + hd["occupancy"]["uniform_points"]:
        problems.append("hyperdiffusion.field.batch_points: more than the supervision points per shape")
    return problems
