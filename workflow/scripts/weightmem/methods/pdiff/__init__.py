"""P-diff (Wang et al. 2024): a parameter autoencoder + latent DDPM over 300 consecutive
checkpoints of a ResNet-18's last BatchNorm layers; behaviour = the vector inside the frozen base
network (docs/pdiff.md). Rules: rules/pdiff.smk."""
from weightmem import config as C
from weightmem.methods import ACCURACY, MAX_SIMILARITY, Method
from weightmem.methods.pdiff.resources import RESOURCES


def check(config: dict, name: str) -> list[str]:
    """Cross-field rules of its section (weightmem.config runs them before any job)."""
    pd = config[name]
    problems = []
    b = pd["base"]
    data = C.facts(config, "pdiff")
    if b["image_size"] > b["resize"]:
        problems.append(f"pdiff.base.image_size: centre crop {b['image_size']} is larger than "
                        f"resize {b['resize']}")
    if b["crop_scale"][0] > b["crop_scale"][1]:
        problems.append("pdiff.base.crop_scale: lower bound above upper bound")
    if pd["baselines"]["average_k"] > pd["collect"]["checkpoints"]:
        problems.append(f"pdiff.baselines.average_k: {pd['baselines']['average_k']} is more than "
                        f"the {pd['collect']['checkpoints']} checkpoints")
    problems += C.batch_fits("pdiff.base.batch_size", b["batch_size"], data)
    problems += C.batch_fits("pdiff.collect.batch_size", pd["collect"]["batch_size"], data)
    k = pd["figures"]["boundary_classes"]
    if k > data["classes"]:
        problems.append(f"pdiff.figures.boundary_classes: {k} is more than the "
                        f"{data['classes']} classes of data.{data['name']}")
    problems += C.sample_steps_fit("pdiff", pd)
    return problems


def memory(config: dict, name: str) -> list[tuple[str, float, str]]:
    """Its largest in-memory arrays (weightmem.config.check_machine)."""
    pd = config[name]
    d = C.facts(config, name)
    res, side = pd["figures"]["grid_resolution"], pd["base"]["image_size"]
    key, raw, _ = C.grid_bytes("pdiff", res, d["pixels"])
    return [(key, raw + res * res * d["channels"] * side * side * 4,
             f"the decision-boundary grid ({res}² images, also resized to {side}×{side})")]


METHOD = Method(
    name="pdiff",
    behaviour="classifier",
    quality=ACCURACY,
    novelty=MAX_SIMILARITY,
    title="P-diff",
    claim="interpolates",  # the study's F2: new, but near interpolations of the checkpoints
    extra_sets=("average", "gaussian"),
    extra_figures=("param_value_distribution", "performance_vs_novelty_interpolate",
                   "tsne_interpolate"),
    context={"base": "base/model.safetensors"},  # the frozen network the BN vectors go into
    rules="rules/pdiff.smk",
    stages="weightmem.methods.pdiff.stages",
    check=check,
    memory=memory,
    resources=RESOURCES,
)
