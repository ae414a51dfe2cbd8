# Helpers shared by all .smk files -- config validation, paths, targets, resources.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))
from weightmem.config import validate as _validate  # noqa: E402
from weightmem import factors as _factors  # noqa: E402

_validate(config, Path(workflow.basedir) / "config" / "schema.yaml")

R = config["results"]
FIGURES = ["heatmap", "min_distance_to_training", "decision_boundary", "performance_vs_novelty"]
CLASSIFIER_METHODS = ["gpt", "hyperrep", "pdiff"]


def all_figures():
    return [f"{R}/figures/{m}/{f}.png" for m in config["methods"]
            for f in FIGURES_OF.get(m, FIGURES) + EXTRA_FIGURES.get(m, [])]


def dataset_of(method):
    return f"{R}/data/{config[method]['dataset']}.npz"


def noise_sets(method):
    return [f"noise{a:g}" for a in config[method]["baselines"]["noise"]]


def gpu_if_cuda():
    # a GPU is requested only where the config could use one (device auto/cuda at paper scale)
    return 0 if config["device"] == "cpu" else 1


def generator_config(method, variant):
    """The generator settings of a variant ('default' = the config's generator section, others
    = it with the overrides of <method>.modeling_factors.<variant>)."""
    c = config[method]
    return _factors.variant_config(c["generator"], c.get("modeling_factors"), variant, method)


def factor_variants(method):
    """'default' and every configured modeling-factor variant of a method."""
    return ["default", *config.get(method, {}).get("modeling_factors", {})]


def noise_params(method):
    b = config[method]["baselines"]
    return {"count": b.get("count"), "units": "normalised" if method == "gpt" else "raw"}


# figures only one method has (study.md outputs 5-7)
EXTRA_FIGURES = {
    "pdiff": ["param_value_distribution", "performance_vs_novelty_interpolate", "tsne_interpolate"]
}


def noise_source(method):
    """Weight set the noise baselines perturb (hyperrep: reconstructions of the top 30%)."""
    return f"{R}/{method}/weights/{config[method]['baselines'].get('source', 'training')}.safetensors"


def histogram_reference(method):
    """Optional separate reference set for the min-L2 histogram (hyperrep: one final-epoch
    reconstruction per run); [] = the training set itself."""
    ref = config[method].get("histogram_reference")
    return [f"{R}/{method}/weights/{ref}.safetensors"] if ref else []


def extra_targets():
    """Outputs beyond the four figures that `rule all` builds (tables the report will read)."""
    out = [*analysis_tables(), f"{R}/report.html"]
    if "hyperrep" in config["methods"]:
        out += [f"{R}/hyperrep/tables/{s}.csv" for s in hyperrep_generated_sets()]
    return out


def hyperrep_generated_sets():
    """'generated' = the study's sampler; every other sampler gets 'generated-<sampler>'."""
    return ["generated" if s == "study" else f"generated-{s}"
            for s in config["hyperrep"]["sampling"]["samplers"]]
# ---- HyperDiffusion (rules/hyperdiffusion.smk)
HD = f"{R}/hyperdiffusion"
HD_FIGURES = ["heatmap", "min_distance_to_training", "render_shapes", "performance_vs_novelty"]
FIGURES_OF = {"hyperdiffusion": HD_FIGURES}


def hd_cfg():
    return config.get("hyperdiffusion", {})


def hd_mesh_dir():
    """The generated airplanes (embedded) or the user's mesh directory (e.g. ShapeNet 02691156)."""
    s = hd_cfg().get("shapes", {})
    return f"{HD}/shapes/meshes" if s.get("source") == "airplanes" else s.get("root", "")


def hd_shards():
    return range(hd_cfg().get("occupancy", {}).get("shards", 1))


def hd_eval_sets():
    """Weight sets that get meshed and scored: generated and the two noise baselines."""
    return ["generated"] + (noise_sets("hyperdiffusion") if "hyperdiffusion" in config else [])


# ---- analysis (rules/analysis.smk)
def factor_methods():
    return [m for m in config["methods"] if config[m].get("modeling_factors")]


def factor_tables():
    return [f"{R}/{m}/tables/{_factors.set_name(v)}.csv"
            for m in factor_methods() for v in factor_variants(m)]


def factor_models():
    return [f"{R}/{m}/generator/{v}/model.safetensors"
            for m in factor_methods() for v in factor_variants(m)]


def report_sets():
    """method -> the weight sets whose tables the report reads."""
    out = {}
    for m in config["methods"]:
        sets = ["training", "generated", *noise_sets(m)]
        if m == "pdiff":
            sets += ["average", "gaussian"]
        out[m] = sets
    return out


def report_inputs(wildcards):
    tables = [f"{R}/{m}/tables/{s}.csv" for m, sets in report_sets().items() for s in sets]
    return {"tables": tables, "extra": analysis_tables(), "figures": all_figures()}


def analysis_tables():
    """The study's analysis tables this config asks for (study.md outputs 8-9)."""
    out = [f"{R}/tables/modeling_factors.csv"] if factor_methods() else []
    if "hyperrep" in config["methods"] and config["hyperrep"].get("invariance"):
        out.append(f"{R}/tables/invariance.csv")
    return out


# ---- resources (issue 16): memory asks computed from the config (weightmem.resources)
from weightmem.resources import need as _need  # noqa: E402


def need(rule, key="mem_mb"):
    """``resources: mem_mb=need("<rule>")``: 1.5× the extrapolated peak of that rule's job."""
    return _need(config, rule, key)
