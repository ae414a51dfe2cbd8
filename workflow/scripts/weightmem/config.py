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
    from weightmem import methods

    problems = []
    for key, value in config.items():
        if key not in _TOP_LEVEL and key not in methods.BUILTIN and not (
                isinstance(value, dict) and "module" in value):
            problems.append(f"{key}: unknown key (not a setting, and not a method section with "
                            f"a 'module:')")
    for m in config["methods"]:
        if m not in config:
            problems.append(f"methods: '{m}' is listed but there is no '{m}:' section")
    if problems:
        return problems
    decls = {}
    for m in methods.configured(config):
        try:
            decls[m] = methods.get(m, config)
        except (ImportError, ValueError, SyntaxError) as e:
            problems.append(f"{m}.module: {e}")
            continue
        section = config[m]
        if m not in methods.BUILTIN:  # a researcher's method: the shared part and its own schema
            problems += _plugin_section(m, section, decls[m])
        if "dataset" in section and section["dataset"] not in config["data"]:
            problems.append(f"{m}.dataset: '{section['dataset']}' is not defined under data: "
                            f"(defined: {', '.join(config['data'])})")
    if problems:
        return problems  # the checks below read the datasets
    for m, decl in decls.items():  # each method's own cross-field rules (its declaration)
        problems += decl.check(config, m)
    return problems


# top-level settings of the schema (every other top-level key is a method's section)
_TOP_LEVEL = ("results", "device", "seed", "threads", "scale", "methods", "data")

# what the shared rules read from every method's section (the contract's part of the config)
SHARED_SECTION = {
    "type": "object",
    "required": ["baselines", "figures"],
    "properties": {
        "module": {"type": "string",
                   "description": "the method's module: a dotted name or a .py path"},
        "dataset": {"type": "string", "description": "classifiers: the data set (a key of data:)"},
        "distance": {"enum": ["aligned", "plain"],
                     "description": "weight distance (default: the method's)"},
        "baselines": {
            "type": "object",
            "required": ["noise"],
            "properties": {
                "noise": {"type": "array", "minItems": 1, "uniqueItems": True,
                          "items": {"type": "number", "exclusiveMinimum": 0}},
                "count": {"type": ["integer", "null"], "minimum": 1, "default": None},
                "source": {"type": "string", "default": "training"},
            },
        },
        "figures": {
            "type": "object",
            "required": ["seed"],
            "properties": {"seed": {"type": "integer", "minimum": 0},
                           "grid_resolution": {"type": "integer", "minimum": 8,
                                               "maximum": 4096, "default": 300}},
        },
    },
}


def _plugin_section(name: str, section: dict, decl) -> list[str]:
    """Validate (and fill defaults of) a researcher's method section: the shared part, then the
    schema its declaration carries."""
    out = []
    for schema in (SHARED_SECTION, decl.schema or {}):
        for e in _Validator(schema).iter_errors(section):
            out += [f"{name}.{line}" if not line.startswith("(top level)") else
                    f"{name}{line[len('(top level)'):]}" for line in _describe(e)]
        if not out:
            _fill_defaults(section, schema)
    return out


# ------------------------------------------------- helpers of the methods' own cross checks
def facts(config: dict, method: str) -> dict:
    """The facts of a method's dataset (dataset_facts) plus its config name."""
    return {**dataset_facts(config["data"][config[method]["dataset"]]),
            "name": config[method]["dataset"]}


def batch_fits(key: str, batch: int, data: dict) -> list[str]:
    if batch > data["n_train"]:
        return [f"{key}: {batch} is more than the {data['n_train']} training images of "
                f"data.{data['name']}"]
    return []


def sample_steps_fit(method: str, section: dict, gen_key: str = "generator") -> list[str]:
    steps = section["sampling"]["sample_steps"]
    T = section[gen_key]["diffusion_steps"]
    if steps > T:
        return [f"{method}.sampling.sample_steps: {steps} is more than "
                f"{method}.{gen_key}.diffusion_steps {T} (the sampler respaces the trained steps)"]
    return []


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
    """(key to blame, bytes, what) for the largest arrays a job holds at once, from the
    declaration of every method with a section (any of them can be targeted): lower bounds, so
    a config over the machine's memory cannot run."""
    from weightmem import methods

    return [e for m in methods.configured(config) for e in methods.get(m, config).memory(config, m)]


def grid_bytes(method: str, res: int, pixels: int) -> tuple[str, float, str]:
    return (f"{method}.figures.grid_resolution", res * res * pixels * 12,
            f"the decision-boundary grid ({res}² images of {pixels} pixels, float64 then float32)")


def check_machine(config: dict, memory_bytes: int | None = None, fraction: float = 0.8) -> None:
    """Refuse a config whose largest arrays exceed ``fraction`` of this machine's memory."""
    memory = machine_memory() if memory_bytes is None else memory_bytes
    gib = 1 << 30
    _raise([f"{key}: needs at least {need / gib:.1f} GiB for {what}, more than "
            f"{fraction:.0%} of this machine's {memory / gib:.1f} GiB memory"
            for key, need, what in memory_estimates(config) if need > fraction * memory])
def shards_and_heads(method: str, shards: int, runs: int, width_key: str,
                      gen: dict) -> list[str]:
    out = []
    if shards > runs:
        out.append(f"{method}.zoo.shards: {shards} shards are more than the {runs} runs")
    if gen[width_key] % gen["heads"]:
        out.append(f"{method}.generator.{width_key}: {gen[width_key]} is not divisible by heads "
                   f"{gen['heads']}")
    return out




def defaults(path: str, schema_path: str | Path | None = None) -> dict:
    """The schema's defaults of one section, e.g. ``defaults("gpt.generator")`` (for code that
    builds a section outside a validated config: tests, benchmarks)."""
    schema_path = schema_path or Path(__file__).resolve().parents[3] / "config" / "schema.yaml"
    node = yaml.safe_load(Path(schema_path).read_text())
    for key in path.split("."):
        node = node["properties"][key]
    return {k: v["default"] for k, v in node.get("properties", {}).items() if "default" in v}
