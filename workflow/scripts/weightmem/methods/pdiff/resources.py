"""P-diff's part of the cluster resource model (weightmem.resources) and of
bench/compute_plan.py: the arrays its jobs hold, which of them each rule holds at once and its
work units. Torch-free (read when the Snakefile loads)."""
from __future__ import annotations

from weightmem.methods import Resources
from weightmem.resources import F32, Sizing, set_size


def sizes(config: dict, name: str, z: Sizing) -> dict[str, float]:
    pd_ = config[name]
    img = pd_["base"]["image_size"]
    nte = z.images(pd_["dataset"])[1]
    return {
        "test224": nte * 3 * img * img * F32,  # the test set resized to the input size
        "batch_act": pd_["base"]["batch_size"] * 3 * img * img * F32 * 40,  # ResNet-18 train
        "cache": nte * 2 * 8 * pd_["base"]["width"] * (img // 32) ** 2 * F32,
        "grid": pd_["figures"]["grid_resolution"] ** 2 * 3 * 32 * 32 * F32,
    }


# rule → [(size key, copies held at once)]; "data" = its data set
TERMS = {
    "pdiff_base": [("data", 1.0), ("test224", 1.0), ("batch_act", 1.0)],
    "pdiff_collect": [("data", 1.0), ("batch_act", 0.3)],  # only layer4 keeps activations
    "pdiff_behaviour": [("data", 1.0), ("test224", 1.0), ("cache", 1.0)],
    "pdiff_figure_decision_boundary": [("data", 1.0), ("test224", 1.0), ("cache", 1.0),
                                       ("grid", 2.0)],
}

# Its jobs of the shared rules over {method} that were measured as its own rules before the
# method contract (rules/evaluate.smk, rules/figures.smk) are sized as those.
SHARED_AS = {"behaviour": "pdiff_behaviour",
             "figure_model_outputs": "pdiff_figure_decision_boundary"}


def work(cfg: dict, name: str, rule: str, w: dict, z: Sizing) -> float:
    """A job's dominant amount of work (arbitrary units; bench/compute_plan.py uses ratios)."""
    p = cfg[name]
    ntrain, ntest = z.images(p["dataset"])
    img2 = p["base"]["image_size"] ** 2
    n = set_size(p, w.get("set", ""), p["collect"]["checkpoints"])
    return {"pdiff_base": p["base"]["epochs"] * (ntrain + ntest) * img2,
            "pdiff_collect": (p["collect"]["checkpoints"] + 1) * p["collect"]["batch_size"] * img2,
            "pdiff_fit": p["generator"]["ae_steps"] * p["generator"]["ae_batch"]
            + p["generator"]["ddpm_steps"] * p["generator"]["ddpm_batch"],
            "pdiff_sample": p["sampling"]["n_samples"] * p["sampling"]["sample_steps"],
            "pdiff_behaviour": ntest * (img2 + n),
            "pdiff_figure_decision_boundary": p["figures"]["grid_resolution"] ** 2 * img2,
            "table": n * p["collect"]["checkpoints"] * (1 + ntest / 64),
            }.get(rule, 1.0)


RESOURCES = Resources(sizes=sizes, terms=TERMS, shared_as=SHARED_AS, work=work)
