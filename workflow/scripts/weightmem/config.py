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
    if config.get("data_size") and not any("data_size" in d.experiments for d in decls.values()):
        runs_it = [methods.get(n) for n in methods.BUILTIN]
        runs_it = [d for d in runs_it if "data_size" in d.experiments]
        problems.append(f"data_size: the data-size experiment retrains "
                        f"{', '.join(d.title or d.name for d in runs_it)}, but the config has no "
                        f"{' or '.join(f'{d.name}:' for d in runs_it)} section")
    if problems:
        return problems  # the checks below read the datasets
    for m, decl in decls.items():  # each method's own cross-field rules (its declaration)
        problems += decl.check(config, m)
    return problems


# top-level settings of the schema (every other top-level key is a method's section)
_TOP_LEVEL = ("results", "device", "seed", "threads", "scale", "methods", "data", "seeds",
              "data_size")

# what the shared rules read from every method's section (the contract's part of the config)
SHARED_SECTION = {
    "type": "object",
    "required": ["baselines", "figures"],
    "properties": {
        "module": {"type": "string",
                   "description": "the method's module: a dotted name or a .py path"},
        "dataset": {"type": "string", "description": "classifiers: the data set (a key of data:)"},
        "distance": {"enum": ["aligned", "plain", "matched"],
                     "description": "weight distance (default: the method's): aligned = exact "
                                    "permutation-aligned L2 (one-hidden-layer MLPs), matched = "
                                    "weight matching over a recognised chain (an upper bound), "
                                    "plain = L2"},
        "baselines": {
            "type": "object",
            "required": ["noise"],
            "description": "the noise baseline: Gaussian noise added to a weight set",
            "properties": {
                "noise": {"type": "array", "minItems": 1, "uniqueItems": True,
                          "items": {"type": "number", "exclusiveMinimum": 0},
                          "description": "the noise stds, one weight set each, in the method's "
                                         "noise units (its declaration: raw or normalised)"},
                "count": {"type": ["integer", "null"], "minimum": 1, "default": None,
                          "description": "source models perturbed, the same ones at every std "
                                         "(null = each source model once)"},
                "source": {"type": "string", "default": "training",
                           "description": "weight set the noise perturbs (a set the method "
                                          "writes under weights/)"},
            },
        },
        "figures": {
            "type": "object",
            "required": ["seed"],
            "description": "settings of the shared figures",
            "properties": {"seed": {"type": "integer", "minimum": 0,
                                    "description": "seed of the figures' random choices"},
                           "grid_resolution": {"type": "integer", "minimum": 8,
                                               "maximum": 4096, "default": 300,
                                               "description": "classifiers: decision-boundary "
                                                              "grid points per side"}},
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


def variant_problems(method: str, section: dict, rule) -> list[str]:
    """``rule(settings)`` → problems of each modeling-factor variant's generator settings (the
    generator section with the variant's overrides, weightmem.factors.variant_config), each
    message prefixed with the variant's full key, e.g. ``hyperdiffusion.modeling_factors.
    dim_head_up: width 80 is not divisible by heads 3``."""
    from weightmem.factors import variant_config

    out = []
    for name in section.get("modeling_factors") or {}:
        v = variant_config(section["generator"], section["modeling_factors"], name, method)
        out += [f"{method}.modeling_factors.{name}: {p}" for p in rule(v)]
    return out


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




def load_validated(path: str | Path | None = None) -> dict:
    """A config file (default: the embedded default, config/config.yaml) read and validated
    against the schema, for code that runs the library outside the workflow (benchmarks)."""
    root = Path(__file__).resolve().parents[3]
    config = yaml.safe_load(Path(path or root / "config" / "config.yaml").read_text())
    return validate(config, root / "config" / "schema.yaml")


def defaults(path: str, schema_path: str | Path | None = None) -> dict:
    """The schema's defaults of one section, e.g. ``defaults("gpt.generator")`` (for code that
    builds a section outside a validated config: tests, benchmarks)."""
    schema_path = schema_path or Path(__file__).resolve().parents[3] / "config" / "schema.yaml"
    node = yaml.safe_load(Path(schema_path).read_text())
    for key in path.split("."):
        node = node["properties"][key]
    return {k: v["default"] for k, v in node.get("properties", {}).items() if "default" in v}


# ------------------------------------------------------------------------------- config/README.md
_SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"
README_COMMAND = ("PYTHONPATH=workflow/scripts python -m weightmem.config --markdown "
                  "> config/README.md")

_README_INTRO = f"""\
<!-- Generated from config/schema.yaml and weightmem.config.SHARED_SECTION: do not edit by hand.
     After changing either, regenerate: {README_COMMAND}
     (tests/test_config_readme.py fails while this file is out of date.) -->
# Configuration

Every key the workflow reads, with its type, range, default and meaning. The schema
(`config/schema.yaml`) is where keys, bounds, defaults and these descriptions are written down;
this page is rendered from it.

## How configs work

* **The embedded default.** `config/config.yaml` is loaded by the Snakefile (`configfile:`), so a
  plain `snakemake` runs it: every method at a size a 2-core CPU finishes in minutes, no downloads.
  Its comments give the paper's value beside each reduced one.
* **Overlays.** `--configfile FILE` is merged over the default. Snakemake merges nested mappings
  key by key, so an overlay names only what it changes (`config/gpt-long.yaml` changes three keys);
  a list, in contrast, is replaced as a whole. `config/paper.yaml` restates everything at the
  study's scale (MNIST, CIFAR-100, SVHN, ShapeNet; used by `profiles/slurm`).
* **Checked before any job.** When the Snakefile loads, the merged config is validated
  (`weightmem.config.validate`): unknown keys, types, bounds (including upper bounds), numbers that
  must be finite, integers that must not be written as `3.0`, lists without duplicates, then the
  rules that tie keys together (batch sizes against the data set, sampling steps against diffusion
  steps, and so on). Every message names the full key, e.g. `gpt.zoo.runs_train: -1 is not >= 2`.
  Keys left out get the defaults listed below filled in, so every job sees them.
* **Modeling-factor variants.** `gpt.modeling_factors`, `hyperrep.modeling_factors` and
  `hyperdiffusion.modeling_factors` define each method's generator variants (study output 8; one
  table, `results/tables/modeling_factors.csv`). Because an overlay cannot delete entries of a
  mapping, `<method>.run_factors` chooses which of them run: a list, so an overlay replaces it
  (absent = all, `[]` = none), e.g. `gpt: {{run_factors: [epochs50]}}`. `<key>_fraction` (G.pt:
  `steps_fraction`; Hyper-Rep, HyperDiffusion: `epochs_fraction`) sets a training length relative
  to the default's.
* **Permutation augmentation.** `hyperdiffusion.permutation_augmentation` (study output 10) lists
  how many permuted copies of every training field the generator is retrained with (`[]` = off in
  the embedded default; `--configfile config/hd-permutation.yaml` runs `[0, 1, 3, 7]`).
* **Your own method.** Any other top-level key is a researcher's method section. It names its
  module with `module:` (a dotted module name or a path to a `.py` file) and is listed in
  `methods:`. It is checked twice: against the shared part every method section provides (the last
  table below) and against the schema its module's declaration carries (`Method(schema=...)`);
  the defaults of both are filled in. For example:

  ```yaml
  methods: [gaussian]
  gaussian:
    module: tests/methods/gaussian.py
    dataset: digits
    zoo: {{hidden: 10, runs: 24, epochs: 3}}   # the method's own keys (its schema)
    n_samples: 16
    baselines: {{noise: [0.02, 0.05], count: 24}}
    figures: {{seed: 0, grid_resolution: 60}}
  ```

In the tables, *key* is the full dotted path (`<name>` stands for a name you choose), *type /
range* uses interval notation (`[1, 4096]` includes both ends, `(0, 1)` neither), and *default*
is the value used when the key is left out; *required* keys have none and must be given,
*optional* ones may simply be absent.
"""


def markdown(schema_path: str | Path | None = None) -> str:
    """config/README.md: how configs work, then one table per section of the schema (key, type /
    range, default, description) and one for :data:`SHARED_SECTION`."""
    schema = yaml.safe_load(Path(schema_path or _SCHEMA).read_text(encoding="utf-8"))
    props = schema["properties"]
    required = set(schema.get("required", []))
    methods = [k for k in props if k not in _TOP_LEVEL]
    parts = [_README_INTRO]
    parts.append("## Sections\n\n" + "\n".join(
        f"* [`{k}`](#{k}): {_cell(props[k].get('description', ''), code=False)}"
        for k in ["data", *methods]) + "\n* [a researcher's method section](#shared)\n")
    rows = []
    for key in _TOP_LEVEL:
        if key != "data":
            rows += _rows(key, props[key], key in required, [])
    parts.append(_table_section("Top-level settings", "top-level", "", rows, []))
    for key in ["data", *methods]:
        branches: list = []
        rows = _rows(key, props[key], key in required, branches)
        parts.append(_table_section(f"`{key}`", key, props[key].get("description", ""),
                                    rows, branches))
    extra = schema.get("additionalProperties", {})
    shared = {**SHARED_SECTION, "required": [*extra.get("required", []),
                                             *SHARED_SECTION.get("required", [])]}
    rows = _rows("<name>", {**shared, "description": extra.get("description", "")}, None, [])
    parts.append(_table_section(
        "A researcher's method section: the shared part", "shared",
        "What every method section that names a `module:` must provide (`SHARED_SECTION` in "
        "`weightmem.config`); the shared rules (baselines, tables, figures, report) read these "
        "keys. The rest of the section is the method's own, checked by its declaration's schema.",
        rows, []))
    return "\n".join(parts)


def _rows(path: str, node: dict, required: bool, branches: list) -> list[tuple]:
    """(key, type / range, default, description) of ``node`` and of everything below it; the
    keys of if/then branches go to ``branches`` as (condition, rows), one table each.
    ``required`` None: an entry of a mapping whose names you choose (no default to speak of)."""
    rows = [(path, _type(node), _default(node, required), node.get("description", ""))]
    need = set(node.get("required", []))
    for key, sub in node.get("properties", {}).items():
        rows += _rows(f"{path}.{key}", sub, key in need, branches)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        name = "<variant>" if "propertyNames" in node else "<name>"
        rows += _rows(f"{path}.{name}", extra, None, branches)
    for branch in node.get("allOf", []):
        if "if" in branch and "then" in branch:
            cond = ", ".join(f"`{k}: {' or '.join(_values(v))}`"
                             for k, v in branch["if"].get("properties", {}).items())
            then, sub_rows = branch["then"], []
            need_then = need | set(then.get("required", []))
            for key, sub in then.get("properties", {}).items():
                sub_rows += _rows(f"{path}.{key}", sub, key in need_then, branches)
            branches.append((f"`{path}` with {cond}", sub_rows))
    return rows


def _values(node: dict) -> list[str]:
    return [str(node["const"])] if "const" in node else [str(v) for v in node.get("enum", [])]


def _num(v) -> str:
    return str(v) if not isinstance(v, float) or v != int(v) or abs(v) < 1e4 else f"{v:g}"


def _type(node: dict) -> str:
    if "const" in node:
        return f"always `{_json(node['const'])}`"
    if "enum" in node:
        return "one of " + ", ".join(f"`{_json(v)}`" for v in node["enum"])
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    words = {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean",
             "null": "null", "array": "list", "object": "section"}
    text = " or ".join(words.get(t, t) for t in types)
    lo = [("[", node["minimum"])] if "minimum" in node else \
        [("(", node["exclusiveMinimum"])] if "exclusiveMinimum" in node else []
    hi = [("]", node["maximum"])] if "maximum" in node else \
        [(")", node["exclusiveMaximum"])] if "exclusiveMaximum" in node else []
    if lo and hi:
        text += f" in {lo[0][0]}{_num(lo[0][1])}, {_num(hi[0][1])}{hi[0][0]}"
    elif lo:
        text += f" {'≥' if lo[0][0] == '[' else '>'} {_num(lo[0][1])}"
    elif hi:
        text += f" {'≤' if hi[0][0] == ']' else '<'} {_num(hi[0][1])}"
    if node.get("minLength"):
        text = "non-empty " + text
    if "pattern" in node:
        text += f" matching `{node['pattern']}`"
    if "array" in types:
        items = node.get("items")
        if items and ("enum" in items or "const" in items):
            text += ", each " + _type(items)
        elif items:
            text += " of " + _type(items).replace("integer", "integers", 1) \
                .replace("number", "numbers", 1).replace("string", "strings", 1)
        n, m = node.get("minItems"), node.get("maxItems")
        if n is not None and n == m:
            text += f", exactly {n}"
        elif n or m:
            bounds = (n and f"at least {n}", m and f"at most {m}")
            text += ", " + " and ".join(x for x in bounds if x)
        if node.get("uniqueItems"):
            text += ", no duplicates"
        if "contains" in node:
            text += f", must include {_type(node['contains']).replace('always ', '')}"
    if "object" in types:
        if "propertyNames" in node:
            text += "; keys: " + ", ".join(f"`{v}`" for v in _values(node["propertyNames"]))
        if node.get("minProperties"):
            text += f", at least {node['minProperties']} " + \
                ("entry" if node["minProperties"] == 1 else "entries")
    return text or "any"


def _json(v) -> str:
    """A value as YAML shows it: strings bare, null / true / false, flow lists."""
    import json

    return v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)


def _default(node: dict, required: bool | None) -> str:
    if "default" in node:
        return f"`{_json(node['default'])}`"
    return "—" if required is None else "required" if required else "optional"


def _cell(text: str, code: bool = False) -> str:
    """One table cell: one line, pipes escaped; in prose also `<`, `*` and word-edge `_`."""
    import re

    text = " ".join(str(text).split()).replace("|", "\\|")
    if not code:
        text = text.replace("<", "&lt;").replace("*", "\\*")
        text = re.sub(r"(?<![\w\\])_|_(?!\w)", r"\\_", text)
    return text


def _table_section(title: str, anchor: str, intro: str, rows: list, branches: list) -> str:
    out = [f'<a id="{anchor}"></a>\n\n## {title}\n']
    if intro:
        out.append(_cell(intro) + "\n")
    out.append(_table(rows))
    for cond, sub_rows in branches:
        out.append(f"### {cond}\n\n" + _table(sub_rows))
    return "\n".join(out)


def _table(rows: list) -> str:
    lines = ["| key | type / range | default | description |", "|---|---|---|---|"]
    for key, typ, default, desc in rows:
        lines.append(f"| `{_cell(key, code=True)}` | {_cell(typ, code=True)} | "
                     f"{_cell(default, code=True)} | {_cell(desc)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--markdown"]:
        sys.exit(f"usage: {README_COMMAND}")
    sys.stdout.write(markdown())
