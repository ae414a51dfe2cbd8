"""A fifth generator, added as a researcher would add theirs: this file, its rule file
(gaussian.smk), one config section (tests/config/tiny-gaussian.yaml) and its test — no shared
file of the workflow is touched.

The generator: a per-coordinate Gaussian fitted to the final checkpoints of a small MLP zoo
(mean and std of every weight), sampled independently per coordinate. It ignores the weights'
permutation symmetry, so its samples mix neurons of different runs: new, and mostly broken —
a real generator with a known answer for the shared tests (it does not copy).
"""
from weightmem.methods import ACCURACY, MAX_SIMILARITY, Method

SCHEMA = {
    "type": "object",
    "required": ["dataset", "zoo", "n_samples"],
    "properties": {
        "zoo": {
            "type": "object",
            "required": ["hidden", "runs", "epochs"],
            "properties": {"hidden": {"type": "integer", "minimum": 1},
                           "runs": {"type": "integer", "minimum": 2},
                           "epochs": {"type": "integer", "minimum": 1},
                           "batch_size": {"type": "integer", "minimum": 1, "default": 32},
                           "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.1}},
        },
        "n_samples": {"type": "integer", "minimum": 1},
        "shrink": {"type": "number", "minimum": 0, "maximum": 1, "default": 1.0,
                   "description": "std multiplier of the fitted Gaussian"},
    },
}

METHOD = Method(
    name="gaussian",
    title="per-coordinate Gaussian",
    behaviour="classifier",
    quality=ACCURACY,
    novelty=MAX_SIMILARITY,
    distance="aligned",
    rules="tests/methods/gaussian.smk",
    schema=SCHEMA,
)


# ---------------------------------------------------------------- its stages (torch on demand)
def train_zoo(data, zoo: dict, seed: int):
    """Final checkpoints of ``runs`` one-hidden-layer MLPs, trained batched (the library's zoo)."""
    import torch

    from weightmem.nets.mlp import MLPArch
    from weightmem.zoo.mlp import SGDRecipe, train_mlp_zoo

    arch = MLPArch(data.n_features, zoo["hidden"], data.n_classes)
    recipe = SGDRecipe(epochs=zoo["epochs"], batch_size=zoo["batch_size"], lr=zoo["lr"],
                       momentum=0.9, weight_decay=5e-4, checkpoints_per_run=2)
    t = torch.from_numpy
    ws = train_mlp_zoo(arch, t(data.x_train), t(data.y_train), t(data.x_test), t(data.y_test),
                       [seed + r for r in range(zoo["runs"])], recipe, show_progress=False)
    final = [i for i, s in enumerate(ws.rows["step"]) if s == max(ws.rows["step"])]
    out = ws.subset(final)
    out.rows = {"run": [ws.rows["run"][i] for i in final], "role": ["training"] * len(final)}
    out.provenance = {**out.provenance, "stage": "training", "method": "gaussian"}
    return out


def sample(training, n: int, shrink: float, seed: int):
    """n independent draws of N(mean, (shrink·std)²) per coordinate of the training set."""
    import torch

    from weightmem.io import WeightSet

    g = torch.Generator().manual_seed(seed)
    w = training.weights.double()
    mean, std = w.mean(0), w.std(0)
    out = mean + shrink * std * torch.randn(n, w.shape[1], generator=g, dtype=torch.float64)
    return WeightSet(out.float(), training.layout, training.arch, {"role": ["generated"] * n},
                     {**training.provenance, "stage": "generated", "seed": seed,
                      "shrink": shrink})
