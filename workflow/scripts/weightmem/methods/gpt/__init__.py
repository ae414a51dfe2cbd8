"""G.pt (Peebles et al. 2022): a loss-conditioned diffusion transformer over checkpoints of
MLPs, prompted with held-out random inits (docs/gpt.md). Stages: ``stages``; network:
``generator``; rules: rules/gpt.smk."""
from weightmem.methods import Column, Method, shards_and_heads


def check(section: dict) -> list[str]:
    """Cross-field rules of its config section (weightmem.config runs them)."""
    problems = []
    z, s, g = section["zoo"], section["sampling"], section["generator"]
    if s["n_samples"] > z["runs_heldout"]:
        problems.append(f"sampling.n_samples: {s['n_samples']} prompts need as many held-out runs, "
                        f"but zoo.runs_heldout is {z['runs_heldout']}")
    problems += shards_and_heads(z["shards"], z["runs_train"] + z["runs_heldout"], "width", g)
    for name, over in section.get("modeling_factors", {}).items():
        v = {**g, **over}
        if v["width"] % v["heads"]:
            problems.append(f"modeling_factors.{name}: width {v['width']} is not divisible by "
                            f"heads {v['heads']}")
    return problems


METHOD = Method(
    name="gpt",
    title="G.pt",
    behaviour="classifier",
    quality=Column("accuracy", "test accuracy (%)"),
    novelty=Column("max_similarity", "maximum similarity to training", "one_minus",
                   short="max similarity"),
    distance="aligned",  # one-hidden-layer MLPs: hidden-neuron permutations are exact symmetries
    noise_units="normalised",  # the study's amplitudes are in G.pt's normalised units (docs/gpt.md §4)
    rules="rules/gpt.smk",
    stages="weightmem.methods.gpt.stages",
    check=check,
)
