"""Hyper-Representations (Schürholt et al. 2022): a transformer autoencoder over CNN checkpoints,
sampled by a per-dimension KDE of the top-30% latents (docs/hyperrep.md). Its "training" set is
the autoencoder's reconstructions; the min-L2 histogram uses one final-epoch reconstruction per
run. Rules: rules/hyperrep.smk."""
from weightmem import config as C
from weightmem.methods import ACCURACY, MAX_SIMILARITY, Method


def _more_tables(section: dict) -> list[str]:
    """Tables of the samplers other than the study's ('generated-<sampler>')."""
    return [f"tables/generated-{s}.csv" for s in section["sampling"]["samplers"] if s != "study"]


def _invariance(section: dict) -> list[str]:
    return ["invariance"] if section.get("invariance") else []


def check(config: dict, name: str) -> list[str]:
    """Cross-field rules of its section (weightmem.config runs them before any job)."""
    hr = config[name]
    problems = []
    z, g = hr["zoo"], hr["generator"]
    lo, hi = hr.get("invariance", {}).get("scale_range", (1.0, 1.0))
    if lo > hi:
        problems.append(f"hyperrep.invariance.scale_range: lower bound {lo} above upper {hi}")
    if z["checkpoints_per_run"] > z["epochs"]:
        problems.append(f"hyperrep.zoo.checkpoints_per_run: {z['checkpoints_per_run']} "
                        f"checkpoints need as many epochs, but epochs is {z['epochs']}")
    problems += C.shards_and_heads("hyperrep", z["shards"], z["runs"], "d_model", g)
    problems += C.batch_fits("hyperrep.zoo.batch_size", z["batch_size"], C.facts(config, "hyperrep"))
    ckpts = z["runs"] * min(z["checkpoints_per_run"], z["epochs"])
    models = hr.get("invariance", {}).get("models", 0)
    if models > ckpts:
        problems.append(f"hyperrep.invariance.models: {models} is more than the {ckpts} zoo "
                        f"checkpoints (hyperrep.zoo.runs × checkpoints_per_run)")
    return problems


def memory(config: dict, name: str) -> list[tuple[str, float, str]]:
    """Its largest in-memory arrays (weightmem.config.check_machine)."""
    hr = config[name]
    d = C.facts(config, name)
    z = hr["zoo"]
    return [("hyperrep.zoo.runs", 2 * z["runs"] * z["checkpoints_per_run"] * 2464 * 4,
             "the merged zoo (runs × checkpoints_per_run × 2,464 weights, twice while merging)"),
            C.grid_bytes("hyperrep", hr["figures"]["grid_resolution"], d["pixels"])]


METHOD = Method(
    name="hyperrep",
    title="Hyper-Representations",
    behaviour="classifier",
    quality=ACCURACY,
    novelty=MAX_SIMILARITY,
    histogram_reference="training-final",
    rules="rules/hyperrep.smk",
    stages="weightmem.methods.hyperrep.stages",
    targets=_more_tables,
    analysis=_invariance,
    section_figures=_invariance,  # its bars beside the paper's (rules/hyperrep.smk)
    check=check,
    memory=memory,
)
