"""P-diff (Wang et al. 2024): a parameter autoencoder + latent DDPM over 300 consecutive
checkpoints of a ResNet-18's last BatchNorm layers; behaviour = the vector inside the frozen base
network (docs/pdiff.md). Rules: rules/pdiff.smk."""
from weightmem.methods import Column, Method


def check(section: dict) -> list[str]:
    """Cross-field rules of its config section (weightmem.config runs them)."""
    problems = []
    b = section["base"]
    if b["image_size"] > b["resize"]:
        problems.append(f"base.image_size: centre crop {b['image_size']} is larger than resize "
                        f"{b['resize']}")
    if b["crop_scale"][0] > b["crop_scale"][1]:
        problems.append("base.crop_scale: lower bound above upper bound")
    if section["baselines"]["average_k"] > section["collect"]["checkpoints"]:
        problems.append("baselines.average_k: more than there are checkpoints")
    return problems


METHOD = Method(
    name="pdiff",
    behaviour="classifier",
    quality=Column("accuracy", "test accuracy (%)"),
    novelty=Column("max_similarity", "maximum similarity to training", "one_minus",
                   short="max similarity"),
    title="P-diff",
    claim="interpolates",  # the study's F2: new, but near interpolations of the checkpoints
    extra_sets=("average", "gaussian"),
    extra_figures=("param_value_distribution", "performance_vs_novelty_interpolate",
                   "tsne_interpolate"),
    context={"base": "base/model.safetensors"},  # the frozen network the BN vectors go into
    rules="rules/pdiff.smk",
    stages="weightmem.methods.pdiff.stages",
    check=check,
)
