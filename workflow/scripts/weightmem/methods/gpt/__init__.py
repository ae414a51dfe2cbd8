"""G.pt (Peebles et al. 2022): a loss-conditioned diffusion transformer over checkpoints of
MLPs, prompted with held-out random inits (docs/gpt.md). Stages: ``stages``; network:
``generator``; rules: rules/gpt.smk."""
from weightmem import config as C
from weightmem.methods import ACCURACY, MAX_SIMILARITY, Method
from weightmem.methods.gpt.resources import RESOURCES


def check(config: dict, name: str) -> list[str]:
    """Cross-field rules of its section (weightmem.config runs them before any job)."""
    gpt = config[name]
    problems = []
    z, s, g = gpt["zoo"], gpt["sampling"], gpt["generator"]
    data = C.facts(config, "gpt")
    if s["n_samples"] > z["runs_heldout"]:
        problems.append(f"gpt.sampling.n_samples: {s['n_samples']} prompts need as many "
                        f"held-out runs, but gpt.zoo.runs_heldout is {z['runs_heldout']}")
    problems += C.shards_and_heads("gpt", z["shards"], z["runs_train"] + z["runs_heldout"],
                                  "width", g)
    problems += C.batch_fits("gpt.zoo.batch_size", z["batch_size"], data)
    iters = z["epochs"] * (data["n_train"] // z["batch_size"])
    if z["batch_size"] <= data["n_train"] and z["checkpoints_per_run"] > iters + 1:
        problems.append(f"gpt.zoo.checkpoints_per_run: {z['checkpoints_per_run']} checkpoints "
                        f"(init, random iterations, final) do not fit the {iters} iterations of "
                        f"a run (gpt.zoo.epochs × {data['n_train']} training images // "
                        f"batch_size); at most {iters + 1}")
    if g["chunk_size"] > g["width"]:
        problems.append(f"gpt.generator.chunk_size: {g['chunk_size']} is wider than "
                        f"gpt.generator.width {g['width']} (a token must carry its whole chunk)")
    warm = g["warmup_steps"]
    if warm >= g["steps"]:
        problems.append(f"gpt.generator.warmup_steps: {warm} is not below gpt.generator.steps "
                        f"{g['steps']} (the learning rate would never reach its peak)")
    problems += C.variant_problems("gpt", gpt, lambda v: _variant_problems(v, g))
    problems += C.sample_steps_fit("gpt", gpt)
    return problems


def _variant_problems(v: dict, g: dict) -> list[str]:
    """A variant's generator settings ``v`` against the default ``g`` (its warm-up is checked
    only where the variant changes the training length or the warm-up)."""
    out = []
    if v["width"] % v["heads"]:
        out.append(f"width {v['width']} is not divisible by heads {v['heads']}")
    if g["chunk_size"] > v["width"]:
        out.append(f"width {v['width']} is narrower than gpt.generator.chunk_size "
                   f"{g['chunk_size']}")
    changed = (v["steps"], v["warmup_steps"]) != (g["steps"], g["warmup_steps"])
    if changed and v["warmup_steps"] >= v["steps"]:
        out.append(f"warmup_steps {v['warmup_steps']} is not below its {v['steps']} steps")
    return out


def memory(config: dict, name: str) -> list[tuple[str, float, str]]:
    """Its largest in-memory arrays (weightmem.config.check_machine)."""
    gpt = config[name]
    d = C.facts(config, name)
    h = gpt["zoo"]["hidden"]
    D = (d["pixels"] + 1) * h + (h + 1) * d["classes"]
    runs = gpt["zoo"]["runs_train"] + gpt["zoo"]["runs_heldout"]
    return [("gpt.zoo.runs_train", 2 * runs * gpt["zoo"]["checkpoints_per_run"] * D * 4,
             f"the merged zoo (runs × checkpoints_per_run × {D} weights, float32, twice "
             f"while merging)"),
            C.grid_bytes("gpt", gpt["figures"]["grid_resolution"], d["pixels"])]


METHOD = Method(
    name="gpt",
    title="G.pt",
    behaviour="classifier",
    quality=ACCURACY,
    novelty=MAX_SIMILARITY,
    distance="aligned",  # one-hidden-layer MLPs: hidden-neuron permutations are exact symmetries
    noise_units="normalised",  # the study's amplitudes are in G.pt's normalised units (docs/gpt.md §4)
    heldout="heldout",  # final checkpoints of the held-out runs (the Z_U test's H)
    rules="rules/gpt.smk",
    stages="weightmem.methods.gpt.stages",
    check=check,
    memory=memory,
    resources=RESOURCES,
    experiments=("data_size",),  # rules/data_size.smk retrains it on subsets of its runs
)
