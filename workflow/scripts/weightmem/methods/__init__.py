"""The method contract: what a generator of weights declares, and how shared code finds it.

A method is one package (or, for a researcher's own generator, one file) holding

* ``METHOD``, a :class:`Method` — the facts shared code needs (this file, torch-free, read when
  the Snakefile loads);
* its stages (zoo, fit, sample; ``stages.py`` for the built-in methods) and, where its behaviour is
  not the default of its kind, the hooks ``behaviour``, ``table`` and ``model_figure``;
* one rule file (``rules/<method>.smk`` for the built-in methods) with only its own stages: it must
  write ``results/<method>/weights/training.safetensors`` and ``.../generated.safetensors`` plus
  whatever its declaration names (context, table inputs, extra sets, extra and section figures);
* optionally, its part of the cluster resource model (``Method.resources``, a :class:`Resources`;
  ``resources.py`` for the built-in methods): without it its jobs get the default asks.

Everything else — noise baselines, behaviour, per-model tables, the weight-space figures,
performance vs novelty, the report and the modeling-factors table — is the shared DAG, driven by
the declaration. The built-in methods are found as ``weightmem.methods.<name>``; any other as the
module (a dotted name or a ``.py`` path) given by ``<name>.module`` in the config.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# image classifier on a dataset; neural field → shape; none: weight space only (an audit without
# --behaviour: no behaviour files, weight-space tables, no model-outputs or quality figures)
BEHAVIOUR_KINDS = ("classifier", "field", "none")
ORIENTS = ("mean", "negate", "one_minus")  # how a column's mean becomes "higher = better / newer"
BUILTIN = ("gpt", "hyperrep", "hyperdiffusion", "pdiff")


def _nothing(*args) -> list:
    return []


def _training(set_name: str) -> str:
    return ""


@dataclass(frozen=True)
class Column:
    """A per-model table column used as quality or novelty."""

    name: str
    label: str  # axis label of the performance-vs-novelty figure
    orient: str = "mean"
    short: str = ""  # how the report's evidence names it (default: the column name)

    def oriented(self, mean: float) -> float:
        """The column's mean turned so that higher = better (quality) / newer (novelty)."""
        return {"mean": mean, "negate": -mean, "one_minus": 1.0 - mean}[self.orient]


@dataclass(frozen=True)
class FactorColumn:
    """What a method's rows of the modeling-factors table (study output 8) report as performance:
    its column there (the name the paper's numbers use, config/paper_numbers.yaml), read either as
    the mean of a per-model table column over the usable models (``per="model"``) or as a
    set-level statistic from a one-row table per weight set in the method's folder
    (``per="set"``, ``set_table`` with ``{set}``, e.g. HyperDiffusion's MMD of a whole set of
    clouds to the training shapes). ``higher_is_better`` orients the figure and finding F5;
    ``tolerance`` is how far from the training row a variant may fall and still count as "good"
    (points of the column, or a fraction of the training value with ``relative``)."""

    name: str
    source: str = ""  # the column it is read from (default: name)
    per: str = "model"  # model | set
    set_table: str = ""  # per == "set": path in the method's folder, with {set}
    label: str = ""  # axis label (default: name)
    higher_is_better: bool = True
    tolerance: float = 2.0
    relative: bool = False

    @property
    def column(self) -> str:
        return self.source or self.name

    def good(self, value: float, training: float) -> bool:
        """Within ``tolerance`` of the training row, or better."""
        slack = self.tolerance * abs(training) if self.relative else self.tolerance
        if self.higher_is_better:
            return value >= training - slack
        return value <= training + slack

    def within(self) -> str:
        """The F5 criterion in words."""
        amount = (f"{100 * self.tolerance:g}%" if self.relative else f"{self.tolerance:g} points")
        side = "below" if self.higher_is_better else "above"
        return f"at most {amount} {side} training's"


# the classifiers' quality and novelty (study.md): test accuracy, and maximum error-IoU similarity
# to the training models (1 − it = novelty)
ACCURACY = Column("accuracy", "test accuracy (%)")
MAX_SIMILARITY = Column("max_similarity", "maximum similarity to training", "one_minus",
                        short="max similarity")
# the classifiers' modeling-factors performance: mean test accuracy of the generated models
FACTOR_ACCURACY = FactorColumn("accuracy", label="mean test accuracy (%)")


def _no_sizes(config: dict, name: str, sizing) -> dict:
    return {}


def _unit_work(config: dict, name: str, rule: str, wildcards: dict, sizing) -> float:
    return 1.0


def _no_flops(config: dict, name: str, rule: str) -> None:
    return None


@dataclass(frozen=True)
class Resources:
    """What the cluster resource model (weightmem.resources) and bench/compute_plan.py know of a
    method's jobs. A method that declares nothing gets every rule's default: the measured base of
    the rule (``weightmem.resources.BASE_MB``, else ``DEFAULT_BASE``) without size terms."""

    # (config, its name, weightmem.resources.Sizing) → {key: bytes} of the arrays its jobs hold
    sizes: Callable[[dict, str, object], dict] = _no_sizes
    # rule → [(size key, copies held at once)] for its own rules and its jobs of the shared rules;
    # a key is one of its sizes, or "data" / "test" (its data set: train + test, test images)
    terms: dict = field(default_factory=dict)
    # shared rule → the rule its jobs of it are sized as (where they were measured under that
    # name: BASE_MB holds the measured base per calibrated rule)
    shared_as: dict = field(default_factory=dict)
    # rule of another rule file that repeats its work (no {method}) → its rule sized the same
    same_as: dict = field(default_factory=dict)
    # rules whose {variant} / generated-<variant> jobs run with that modeling-factor variant
    variant_rules: tuple[str, ...] = ()
    prefix: str = ""  # how its rules' names begin (default "<name>_")
    # (config, its name, rule, wildcards, sizing) → a job's work units (bench/compute_plan.py)
    work: Callable[[dict, str, str, dict, object], float] = _unit_work
    # (config, its name, rule) → floating-point operations of a GPU-bound job, else None
    gpu_flops: Callable[[dict, str, str], float | None] = _no_flops


@dataclass(frozen=True)
class Method:
    """The facts of one method that the shared DAG reads (see the module docstring)."""

    name: str
    behaviour: str  # one of BEHAVIOUR_KINDS
    quality: Column
    novelty: Column
    distance: str = "plain"  # default weight distance: plain L2 or permutation-aligned L2
    noise_units: str = "raw"  # raw | normalised (÷ the training set's normalisation_scale)
    claim: str = "copies"  # the study's claim for it: "copies" (F1, F3) or "interpolates" (F2)
    histogram_reference: str | None = None  # weight set of the min-L2 histogram (None = training)
    # weight set of real models from runs the generator never saw (the Z_U test's held-out set,
    # weightmem.evaluation.copying); None: F1/F3 are inconclusive by that test
    heldout: str | None = None
    extra_sets: tuple[str, ...] = ()  # weight sets the report reads beside training/generated/noise
    extra_figures: tuple[str, ...] = ()  # figures its own rule file makes
    # section → more figures its rule file makes when the section asks for them (e.g. Hyper-Rep's
    # invariance bars, only with an invariance section)
    section_figures: Callable[[dict], list[str]] = _nothing
    context: dict = field(default_factory=dict)  # extra behaviour inputs: name → path in its folder
    table_inputs: dict = field(default_factory=dict)  # extra table inputs: name → path in its folder
    noun: str = "model"  # what one row is, in figure titles
    title: str = ""  # its name in prose (default: name)
    env: str = "eval"  # conda env (envs/<env>.yaml) of its behaviour jobs
    rules: str | None = None  # its rule file, relative to the repository root
    stages: str | None = None  # module with its hooks (default: the declaring module)
    targets: Callable[[dict], list[str]] = _nothing  # section → more outputs in its folder
    analysis: Callable[[dict], list[str]] = _nothing  # section → results/tables/<name>.csv it adds
    # (config, its name) → problems naming the full key: cross-field rules of its section
    check: Callable[[dict, str], list[str]] = _nothing
    # (config, its name) → [(key, bytes, what)]: its largest in-memory arrays (check_machine)
    memory: Callable[[dict, str], list] = _nothing
    schema: dict | None = None  # JSON schema of its section (researchers' methods; the built-in
    #                             ones are in config/schema.yaml)
    # what its rows of the modeling-factors table report as performance (study output 8)
    factor_performance: FactorColumn = FACTOR_ACCURACY
    # weight set → suffix of the sets it is scored against ('' = training and the histogram
    # reference as named): a method whose "training" set is made by the generator (Hyper-Rep:
    # autoencoder reconstructions) scores a variant's samples against that variant's own, e.g.
    # generated-epochs33 against training-epochs33 and training-final-epochs33
    reference_suffix: Callable[[str], str] = _training
    resources: Resources = Resources()  # its jobs' memory model and work units (cluster asks)
    experiments: tuple[str, ...] = ()  # top-level experiments it runs (config keys: data_size)

    def __post_init__(self):
        if self.behaviour not in BEHAVIOUR_KINDS:
            raise ValueError(f"method {self.name}: behaviour '{self.behaviour}' is not one of "
                             f"{BEHAVIOUR_KINDS}")
        for c in (self.quality, self.novelty):
            if c.orient not in ORIENTS:
                raise ValueError(f"method {self.name}: column {c.name} orient '{c.orient}'")
        if self.factor_performance.per not in ("model", "set") or (
                self.factor_performance.per == "set"
                and "{set}" not in self.factor_performance.set_table):
            raise ValueError(f"method {self.name}: factor_performance per model|set (set: a "
                             f"set_table path with {{set}})")
        if self.noise_units not in ("raw", "normalised") or self.claim not in ("copies",
                                                                               "interpolates"):
            raise ValueError(f"method {self.name}: noise_units raw|normalised, claim "
                             f"copies|interpolates")

    @property
    def model_figure(self) -> str | None:
        """Its 'model outputs' panel: decision boundaries (classifiers) or rendered shapes."""
        return {"classifier": "decision_boundary", "field": "render_shapes"}.get(self.behaviour)

    @property
    def figures(self) -> list[str]:
        if self.behaviour == "none":  # weight space only
            return ["heatmap", "min_distance_to_training", *self.extra_figures]
        return ["heatmap", "min_distance_to_training", self.model_figure,
                "performance_vs_novelty", *self.extra_figures]

    def figures_for(self, section: dict) -> list[str]:
        """Its figures under a config section: the fixed ones and those the section asks for."""
        return [*self.figures, *self.section_figures(section)]

    def hooks(self):
        """The module holding its stage functions and hooks (imported on demand: torch)."""
        return importlib.import_module(self.stages) if self.stages else _MODULES[self.name]


_MODULES: dict = {}


def _import(name: str, module: str | None):
    if module is None:
        if name not in BUILTIN:
            raise ValueError(f"method '{name}' is not built in; give its module as "
                             f"'{name}.module' (a dotted name or a .py file)")
        module = f"weightmem.methods.{name}"
    if module.endswith(".py"):
        path = Path(module).resolve()
        if not path.exists():
            raise ValueError(f"{name}.module: no file {module}")
        key = f"weightmem_method_{name}"
        if key in sys.modules:
            return sys.modules[key]
        spec = importlib.util.spec_from_file_location(key, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[key] = mod
        spec.loader.exec_module(mod)
        return mod
    return importlib.import_module(module)


def get(name: str, config: dict | None = None) -> Method:
    """The declaration of method ``name`` (its module from ``config[name]['module']`` if set):
    the module's ``METHOD``, or ``declare(section)`` where its facts depend on its config section
    (the audit: behaviour only when asked)."""
    section = (config or {}).get(name) or {}
    mod = _import(name, section.get("module"))
    declare = getattr(mod, "declare", None)
    decl = declare(section) if callable(declare) else getattr(mod, "METHOD", None)
    if not isinstance(decl, Method) or decl.name != name:
        raise ValueError(f"method '{name}': its module {mod.__name__} has no METHOD = "
                         f"Method(name='{name}', ...)")
    _MODULES[name] = mod
    return decl


def configured(config: dict) -> list[str]:
    """Methods with a section in the config: the listed ones, then every other built-in one
    present and every other section that names its module."""
    out = list(config["methods"])
    out += [k for k, v in config.items() if k not in out and isinstance(v, dict)
            and (k in BUILTIN or "module" in v)]
    return out


def hooks(name: str, config: dict | None = None):
    return get(name, config).hooks()
