"""Hyper-Representations (Schürholt et al. 2022): a transformer autoencoder over CNN checkpoints,
sampled by a per-dimension KDE of the top-30% latents (docs/hyperrep.md). Its "training" set is
the autoencoder's reconstructions; the min-L2 histogram uses one final-epoch reconstruction per
run. Rules: rules/hyperrep.smk."""
from weightmem.methods import Column, Method, shards_and_heads


def _more_tables(section: dict) -> list[str]:
    """Tables of the samplers other than the study's ('generated-<sampler>')."""
    return [f"tables/generated-{s}.csv" for s in section["sampling"]["samplers"] if s != "study"]


def _invariance(section: dict) -> list[str]:
    return ["invariance"] if section.get("invariance") else []


def check(section: dict) -> list[str]:
    """Cross-field rules of its config section (weightmem.config runs them)."""
    problems = []
    z, g = section["zoo"], section["generator"]
    lo, hi = section.get("invariance", {}).get("scale_range", (1.0, 1.0))
    if lo > hi:
        problems.append(f"invariance.scale_range: lower bound {lo} above upper {hi}")
    if z["checkpoints_per_run"] > z["epochs"]:
        problems.append(f"zoo.checkpoints_per_run: {z['checkpoints_per_run']} checkpoints need as "
                        f"many epochs, but epochs is {z['epochs']}")
    return problems + shards_and_heads(z["shards"], z["runs"], "d_model", g)


METHOD = Method(
    name="hyperrep",
    title="Hyper-Representations",
    behaviour="classifier",
    quality=Column("accuracy", "test accuracy (%)"),
    novelty=Column("max_similarity", "maximum similarity to training", "one_minus",
                   short="max similarity"),
    histogram_reference="training-final",
    rules="rules/hyperrep.smk",
    stages="weightmem.methods.hyperrep.stages",
    targets=_more_tables,
    analysis=_invariance,
    check=check,
)
