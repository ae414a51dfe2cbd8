"""Hyper-Representations (Schürholt et al. 2022): a transformer autoencoder over CNN checkpoints,
sampled by a per-dimension KDE of the top-30% latents (docs/hyperrep.md). Its "training" set is
the autoencoder's reconstructions; the min-L2 histogram uses one final-epoch reconstruction per
run. Rules: rules/hyperrep.smk.

Modeling factors (study output 8, docs/hyperrep.md §6.1): each variant is a retrained autoencoder
followed by the study's KDE sampler; its samples (``generated-<variant>``) are scored against
*that autoencoder's* reconstructions (``training-<variant>``, ``training-final-<variant>``), as
re-running the study's evaluation (reconstruct, sample, evaluate) with the variant's checkpoint
would: the reconstructions isolate what sampling adds from the autoencoder's own reconstruction
error (§4), which differs between variants. The table's training row is the default
autoencoder's reconstructions among themselves (one final-epoch model per run, self excluded).
"""
from weightmem import config as C
from weightmem.factors import FACTORS
from weightmem.methods import ACCURACY, MAX_SIMILARITY, Method
from weightmem.methods.hyperrep.resources import RESOURCES


def sample_plan(set_name: str, section: dict) -> tuple[str, str]:
    """(generator variant, KDE sampler) of a generated weight set: 'generated' = the default
    autoencoder with the study's sampler, 'generated-<sampler>' another sampler of the default
    autoencoder, 'generated-<variant>' a modeling-factor variant with the study's sampler."""
    if set_name == "generated":
        return "default", "study"
    suffix = set_name.removeprefix("generated-")
    samplers = section["sampling"]["samplers"]
    variants = section.get("modeling_factors") or {}
    if suffix in variants and suffix not in samplers:
        return suffix, "study"
    if suffix in samplers and suffix not in variants:
        return "default", suffix
    raise ValueError(f"hyperrep: weight set '{set_name}' is neither a sampler of "
                     f"hyperrep.sampling.samplers ({', '.join(samplers)}) nor a variant of "
                     f"hyperrep.modeling_factors ({', '.join(variants) or 'none'}), or both")


def reference_suffix(set_name: str) -> str:
    """A modeling-factor variant's samples are scored against its own reconstructions."""
    suffix = set_name.removeprefix("generated-")
    return f"-{suffix}" if set_name.startswith("generated-") and suffix in FACTORS else ""


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
    problems += C.variant_problems(
        name, hr, lambda v: [f"d_model {v['d_model']} is not divisible by heads {v['heads']}"]
        if v["d_model"] % v["heads"] else [])
    clash = set(hr["sampling"]["samplers"]) & set(hr.get("modeling_factors") or {})
    if clash:
        problems.append(f"hyperrep.sampling.samplers: {sorted(clash)} also name modeling-factor "
                        f"variants (hyperrep.modeling_factors); 'generated-<name>' would be "
                        f"ambiguous")
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
    resources=RESOURCES,
    reference_suffix=reference_suffix,  # a variant's samples against its own reconstructions
)
