# Helpers shared by all .smk files: config validation, the methods' declarations, paths, targets.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))
from weightmem.config import validate as _validate  # noqa: E402
from weightmem import factors as _factors  # noqa: E402
from weightmem import methods as _methods  # noqa: E402
from weightmem.seeds import seed_for as _seed_for  # noqa: E402

from snakemake.utils import validate  # noqa: E402
from weightmem import locks as _locks  # noqa: E402
from weightmem.config import check_machine as _check_machine  # noqa: E402

_SCHEMA = Path(workflow.basedir) / "config" / "schema.yaml"
_validate(config, _SCHEMA)  # messages naming the key, cross-field rules, researchers' sections
validate(config, str(_SCHEMA))  # Snakemake's own check (defaults are already filled in)

R = config["results"]

if workflow.is_main_process:  # a killed run's locks and partial files, only if it is dead
    _locks.clear_stale_locks(Path.cwd(), log=lambda m: print(m, file=sys.stderr), results=R)

# the declaration (weightmem.methods.Method) of every method with a config section: its rules can
# be targeted; the default target builds those listed in `methods` (LISTED)
LISTED = config["methods"]
METHODS = {m: _methods.get(m, config) for m in _methods.configured(config)}


def M(method):
    return METHODS[method]


def logs(path):
    """The rule's log file: results/logs/<path>.log."""
    return f"{R}/logs/{path}.log"


def bench(path):
    """The rule's benchmark record: results/benchmarks/<path>.tsv."""
    return f"{R}/benchmarks/{path}.tsv"


def seed(stage):
    """The seed of one stage: config seed + the stage's offset (weightmem.seeds.OFFSETS)."""
    return _seed_for(config["seed"], stage)


def dataset_of(method):
    return f"{R}/data/{config[method]['dataset']}.npz"


def gpu_if_cuda():
    # a GPU is requested only where the config could use one (device auto/cuda at paper scale)
    return 0 if config["device"] == "cpu" else 1


def method_rule_files():
    """Each method's own rule file (its zoo, fit and sample stages)."""
    return [str(Path(workflow.basedir) / d.rules) for d in METHODS.values() if d.rules]


# ---- weight sets, baselines and tables
def noise_sets(method):
    return [f"noise{a:g}" for a in config[method]["baselines"]["noise"]]


def noise_source(method):
    """Weight set the noise baselines perturb (Hyper-Rep: reconstructions of the top 30%)."""
    return f"{R}/{method}/weights/{config[method]['baselines']['source']}.safetensors"


def noise_params(method):
    return {"count": config[method]["baselines"]["count"], "units": M(method).noise_units}


def distance_of(method):
    """The weight distance: the config's choice where the method offers one, else its own."""
    return config[method].get("distance", M(method).distance)


def in_method(method, paths):
    return {k: f"{R}/{method}/{v}" for k, v in paths.items()}


def behaviour_inputs(w):
    """The weights, plus the dataset (classifiers) and the method's declared context."""
    d = M(w.method)
    out = {"weights": f"{R}/{w.method}/weights/{w.set}.safetensors"}
    if d.behaviour == "classifier":
        out["data"] = dataset_of(w.method)
    return {**out, **in_method(w.method, d.context)}


def table_inputs(w):
    d = M(w.method)
    own = d.reference_suffix(w.set)  # '' or the generator variant whose training set scores it
    out = {
        "weights": f"{R}/{w.method}/weights/{w.set}.safetensors",
        "train_weights": f"{R}/{w.method}/weights/training{own}.safetensors",
    }
    if d.behaviour != "none":  # behaviour kind none: weight-space tables only
        out["behaviour"] = f"{R}/{w.method}/behaviour/{w.set}.safetensors"
        out["train_behaviour"] = f"{R}/{w.method}/behaviour/training{own}.safetensors"
    if d.histogram_reference:
        out["reference"] = f"{R}/{w.method}/weights/{d.histogram_reference}{own}.safetensors"
    return {**out, **in_method(w.method, d.table_inputs)}


def model_figure_inputs(w):
    d = M(w.method)
    out = {
        "generated": f"{R}/{w.method}/weights/generated.safetensors",
        "training": f"{R}/{w.method}/weights/training.safetensors",
        "table": f"{R}/{w.method}/tables/generated.csv",
    }
    if d.behaviour == "classifier":
        out["data"] = dataset_of(w.method)
    return {**out, **in_method(w.method, d.context)}


# ---- targets
def method_figures(method):
    return [f"{R}/figures/{method}/{f}.png" for f in M(method).figures_for(config[method])]


# the study's four-panel figures: one panel per listed method (rules/figures.smk)
STUDY_FIGURES = ["heatmap", "min_distance_to_training", "model_outputs", "performance_vs_novelty"]


def study_panel(method, figure):
    """A method's own figure that is its panel of the study figure ``figure`` (None: it has
    none, e.g. a weight-space-only audit has no model outputs)."""
    own = M(method).model_figure if figure == "model_outputs" else figure
    return own if own in M(method).figures else None


def study_methods(figure):
    """The listed methods that have a panel in the study figure ``figure``."""
    return [m for m in LISTED if study_panel(m, figure)]


def study_figures():
    return [f"{R}/figures/{f}.png" for f in STUDY_FIGURES if study_methods(f)]


def all_figures():
    return [f for m in LISTED for f in method_figures(m)] + study_figures() + analysis_figures()


def report_sets():
    """method -> the weight sets whose tables the report reads."""
    return {m: ["training", "generated", *noise_sets(m), *M(m).extra_sets,
                *([M(m).heldout] if M(m).heldout else [])] for m in LISTED}


def method_targets():
    """Outputs a method's declaration adds to `rule all` beyond figures and report tables."""
    return [f"{R}/{m}/{p}" for m in LISTED for p in M(m).targets(config[m])]


# ---- analysis
def generator_config(method, variant):
    """The generator settings of a variant ('default' = the config's generator section, others
    = it with the overrides of <method>.modeling_factors.<variant>)."""
    c = config[method]
    return _factors.variant_config(c["generator"], c.get("modeling_factors"), variant, method)


def factor_variants(method):
    """'default' and every configured modeling-factor variant of a method."""
    return ["default", *config[method].get("modeling_factors", {})]


def factor_methods():
    return [m for m in LISTED if config[m].get("modeling_factors")]


def factor_tables():
    return [f"{R}/{m}/tables/{_factors.set_name(v)}.csv"
            for m in factor_methods() for v in factor_variants(m)]


def factor_models():
    return [f"{R}/{m}/generator/{v}/model.safetensors"
            for m in factor_methods() for v in factor_variants(m)]


def factor_set_rows():
    """(method, 'training' or variant) of every method whose factor rows report a set-level
    performance (its declaration's factor_performance, e.g. HyperDiffusion's MMD)."""
    return [[m, v] for m in factor_methods() if M(m).factor_performance.per == "set"
            for v in ["training", *factor_variants(m)]]


def factor_set_tables():
    out = []
    for m, v in factor_set_rows():
        table = M(m).factor_performance.set_table.format(
            set="training" if v == "training" else _factors.set_name(v))
        out.append(f"{R}/{m}/{table}")
    return out


def analysis_figures():
    """The modeling-factors figure (performance against novelty per variant, a panel per method)
    and, with the data-size overlay (config/data-size.yaml), its figure."""
    out = [f"{R}/figures/modeling_factors.png"] if factor_methods() else []
    return out + [f for f in data_size_targets() if f.endswith(".png")]


def analysis_tables():
    """The study's analysis tables this config asks for (docs/study.md outputs 8-9)."""
    out = [f"{R}/tables/modeling_factors.csv"] if factor_methods() else []
    out += [f for f in data_size_targets() if f.endswith(".csv")]
    return out + [f"{R}/tables/{t}.csv" for m in LISTED for t in M(m).analysis(config[m])]


# the paper's numbers the report and some figures set beside this run's (weightmem.paper)
PAPER_NUMBERS = "config/paper_numbers.yaml"


def report_inputs(wildcards):
    tables = [f"{R}/{m}/tables/{s}.csv" for m, sets in report_sets().items() for s in sets]
    # an audit's verdict (rules/audit.smk) heads its report page
    verdict = [f"{R}/verdict.json"] if "audit" in LISTED else []
    return {"tables": tables, "extra": analysis_tables(), "figures": all_figures(),
            "verdict": verdict}


# ---- resources: memory asks computed from the config (weightmem.resources, calibrated on the
# paper-shape smoke run; docs in README "Compute plan")
from weightmem.resources import need as _need  # noqa: E402


def need(rule, key="mem_mb"):
    """``resources: mem_mb=need("<rule>")``: 1.5× the extrapolated peak of that rule's job."""
    return _need(config, rule, key)


# ---- the data-size experiment (config/data-size.yaml, weightmem.datasize): only when configured
from weightmem import datasize as _datasize  # noqa: E402


def data_sizes():
    """The ``{size}`` names of the configured fractions (none without ``data_size:``)."""
    return [_datasize.size_name(f) for f in (config.get("data_size") or {}).get("fractions", [])]


def size_generated(w):
    """One size's generated models; the full zoo's are the default generator's own samples."""
    if _datasize.is_full(w.size):
        return f"{R}/gpt/weights/generated.safetensors"
    return f"{R}/gpt/data_size/{w.size}/generated.safetensors"


def data_size_targets():
    if not data_sizes():
        return []
    return [f"{R}/tables/data_size.csv", f"{R}/figures/gpt/data_size.png"]


# ---- the robustness check over seeds (config/seeds.yaml, weightmem.seedreport)
def seed_results(s):
    """The results folder of one seed's run of the whole DAG (``weightmem seeds``)."""
    return f"{R}/seed{s}"


def per_seed_tables(name):
    """Each seed's tables/<name>.csv; a clear error naming the command when a seed has not run."""
    seeds = config.get("seeds") or []
    if not seeds:
        raise ValueError("no seeds configured: add --configfile config/seeds.yaml (seeds: [0, 1, 2])")
    paths = [f"{seed_results(s)}/tables/{name}.csv" for s in seeds]
    missing = [s for s, p in zip(seeds, paths) if not Path(p).exists()]
    if missing:
        raise ValueError(
            f"seed(s) {', '.join(map(str, missing))} have not run: `weightmem seeds` (with the same "
            f"--configfile list) runs every seed and then this report; or run each by hand: "
            f"snakemake -c2 --configfile ... --config seed=N results={R}/seedN")
    return paths
