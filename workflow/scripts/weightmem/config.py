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
    from weightmem import methods

    problems = []
    for key in config:
        if key not in _TOP_LEVEL and key not in methods.BUILTIN and not (
                isinstance(config[key], dict) and "module" in config[key]):
            problems.append(f"{key}: unknown key (not a setting, and not a method section with "
                            f"a 'module:')")
    for m in config["methods"]:
        if m not in config:
            problems.append(f"methods: '{m}' is listed but there is no '{m}:' section")
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join("  " + p for p in problems))
    for m in methods.configured(config):
        try:
            decl = methods.get(m, config)
        except (ImportError, ValueError) as e:
            problems.append(f"{m}.module: {e}")
            continue
        section = config[m]
        if m not in methods.BUILTIN:  # a researcher's method: its own schema
            problems += _plugin_section(m, section, decl)
        if "dataset" in section and section["dataset"] not in config["data"]:
            problems.append(f"{m}.dataset: '{section['dataset']}' is not defined under data:")
        if not problems:
            problems += [f"{m}.{p}" for p in decl.check(section)]
    if problems:
        raise ConfigError("invalid configuration:\n" + "\n".join("  " + p for p in problems))


# top-level settings of the schema (every other top-level key is a method's section)
_TOP_LEVEL = ("results", "device", "seed", "threads", "methods", "data")

# what the shared rules read from every method's section (the contract's config part)
SHARED_SECTION = {
    "type": "object",
    "required": ["baselines", "figures"],
    "properties": {
        "module": {"type": "string", "description": "the method's module: a dotted name or a .py path"},
        "dataset": {"type": "string", "description": "classifiers: the data set (a key of data:)"},
        "distance": {"enum": ["aligned", "plain"], "description": "weight distance (default: the method's)"},
        "baselines": {
            "type": "object",
            "required": ["noise"],
            "properties": {
                "noise": {"type": "array", "minItems": 1, "items": {"type": "number", "exclusiveMinimum": 0}},
                "count": {"type": ["integer", "null"], "minimum": 1, "default": None},
                "source": {"type": "string", "default": "training"},
            },
        },
        "figures": {
            "type": "object",
            "required": ["seed"],
            "properties": {"seed": {"type": "integer", "minimum": 0},
                           "grid_resolution": {"type": "integer", "minimum": 8, "default": 300}},
        },
    },
}


def _plugin_section(name: str, section: dict, decl) -> list[str]:
    """Validate (and fill defaults of) a researcher's method section: the shared part, then the
    schema its declaration carries."""
    out = []
    for schema in (SHARED_SECTION, decl.schema or {}):
        for e in jsonschema.Draft202012Validator(schema).iter_errors(section):
            where = ".".join(str(p) for p in e.absolute_path)
            out.append(f"{name}{'.' + where if where else ''}: {e.message}")
        if not out:
            _fill_defaults(section, schema)
    return out


def defaults(path: str, schema_path: str | Path | None = None) -> dict:
    """The schema's defaults of one section, e.g. ``defaults("gpt.generator")`` (for code that
    builds a section outside a validated config: tests, benchmarks)."""
    schema_path = schema_path or Path(__file__).resolve().parents[3] / "config" / "schema.yaml"
    node = yaml.safe_load(Path(schema_path).read_text())
    for key in path.split("."):
        node = node["properties"][key]
    return {k: v["default"] for k, v in node.get("properties", {}).items() if "default" in v}
