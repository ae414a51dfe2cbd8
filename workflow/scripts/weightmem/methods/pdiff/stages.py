"""P-diff stages (docs/pdiff.md): base ResNet-18 → the "extra epoch" of 300 consecutive BN
checkpoints (both in weightmem.zoo.bn) → generator → samples; its hooks: behaviour of BN vectors
inside the frozen base network, decision boundaries over 10 random classes."""
from __future__ import annotations

import random

import numpy as np
import torch

from weightmem.data.images import ImageData
from weightmem.data.transforms import resize_center_crop
from weightmem.methods.pdiff import generator as G
from weightmem.io import WeightSet, provenance
from weightmem.nets.resnet import FrozenTail, ResNet18
from weightmem.figures.pca_grid import pca_grid
from weightmem.evaluation.behaviour import tail_predictions
# its checkpoint zoo (the base network, the "extra epoch" of BN checkpoints): weightmem.zoo.bn
from weightmem.zoo.bn import _test_inputs, load_base


# ------------------------------------------------------------------------ generator (§2-3)
def fit_generator(train: WeightSet, gcfg: dict, seed: int, device, progress=None, log=None):
    cfg = G.config_from_dict(gcfg)
    sizes = [int(np.prod(s)) for _, s in train.layout]
    stats = G.tensor_stats(train.weights, sizes)
    x = G.normalise(train.weights, stats, sizes)
    ae, den, rows = G.fit(x, cfg, seed, device, progress=progress, log=log)
    state = {**{f"ae.{k}": v for k, v in ae.state_dict().items()},
             **{f"den.{k}": v for k, v in den.state_dict().items()}, "stats": stats}
    meta = {"generator": G.config_to_dict(cfg), "arch": train.arch, "length": x.shape[1],
            "layout": [[n, list(s)] for n, s in train.layout],
            "provenance": provenance(gcfg, seed, "pdiff-generator")}
    return state, meta, rows


def generate(state: dict, meta: dict, n: int, steps: int | None, seed: int, device,
             progress=None) -> WeightSet:
    cfg = G.config_from_dict(meta["generator"])
    ae = G.ParamAutoencoder(meta["length"], cfg)
    ae.load_state_dict({k[3:]: v for k, v in state.items() if k.startswith("ae.")})
    den = G.LatentDenoiser(cfg.latent, cfg.ddpm_channels)
    den.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("den.")})
    layout = [(n_, tuple(s)) for n_, s in meta["layout"]]
    sizes = [int(np.prod(s)) for _, s in layout]
    z = G.sample(ae.to(device), den.to(device), n, cfg, seed, device, steps=steps,
                 progress=progress)
    w = G.denormalise(z, state["stats"], sizes)
    return WeightSet(w, layout, meta["arch"], {"sample": list(range(n)),
                                               "role": ["generated"] * n},
                     provenance(meta["generator"], seed, "pdiff-generated", sample_steps=steps))


def behaviour(ws: WeightSet, model: ResNet18, meta: dict, data: ImageData, device,
              progress=None) -> dict:
    """Accuracy (%), error masks and divergence flags with the base network's frozen weights and
    running statistics (docs/pdiff.md §5.1)."""
    if ws.arch != model.cfg.tag:
        raise ValueError(f"weights are for '{ws.arch}' but the base model is '{model.cfg.tag}'")
    tail = FrozenTail(model.to(device))
    preds, bad = tail_predictions(tail, ws.weights, _test_inputs(data, meta["base"]), device,
                                  progress=progress)
    masks = preds != torch.from_numpy(data.y_test)[None]
    return {"accuracy": 100.0 * (1.0 - masks.float().mean(1)), "masks": masks, "diverged": bad}


def boundary_classes(n_classes: int, k: int, seed: int) -> list[int]:
    """The study's choice: python ``random.seed(seed); random.sample(range(n), k)`` (§5.4)."""
    random.seed(seed)
    return sorted(random.sample(range(n_classes), min(k, n_classes)))


def decision_maps(gen: WeightSet, train: WeightSet, nearest: np.ndarray, model: ResNet18,
                  meta: dict, data: ImageData, res: int, classes: list[int], device,
                  n_gen: int = 3):
    """Label maps on the PCA grid of the selected classes' raw test images, for generated models
    0..n−1 and their nearest training checkpoints; argmax over the selected classes' logits.
    Synthetic images are clamped to the data's value range (the original casts unclamped)."""
    sel = np.isin(data.y_test, classes)
    imgs = data.x_test[sel]
    grid, extent = pca_grid(imgs, res, clip=(float(imgs.min()), float(imgs.max())))
    x = resize_center_crop(torch.from_numpy(grid), meta["base"]["resize"],
                           meta["base"]["image_size"])
    n_gen = min(n_gen, len(gen))
    flat = torch.cat([gen.weights[:n_gen], train.weights[torch.as_tensor(nearest[:n_gen])]])
    preds, _ = tail_predictions(FrozenTail(model.to(device)), flat, x, device, classes=classes)
    maps = preds.reshape(2 * n_gen, res, res).numpy()
    return maps[:n_gen], maps[n_gen:], extent


# ------------------------------------------------------------------ hooks of the shared rules
def evaluate_behaviour(inputs, output: str, params, ctx) -> None:
    """Behaviour of BN vectors inside the frozen base network (the method's declared context)."""
    from weightmem.data.images import load_npz
    from weightmem.evaluation.classifier import log_behaviour, save_behaviour
    from weightmem.io import load_weightset
    from weightmem.runtime import progress

    model, meta = load_base(inputs.base)
    beh = behaviour(load_weightset(inputs.weights), model, meta, load_npz(inputs.data), ctx.device,
                    progress=progress)
    log_behaviour(beh, ctx)
    save_behaviour(beh, output)


def draw_model_outputs(method, inputs, params, ctx):
    """Decision boundaries over 10 random classes (argmax over their logits only, docs/pdiff.md §5.4)."""
    import pandas as pd

    from weightmem.data.images import load_npz
    from weightmem.figures import pdiff as plots
    from weightmem.io import load_weightset

    f = params.figures
    model, meta = load_base(inputs.base)
    data = load_npz(inputs.data)
    classes = boundary_classes(data.n_classes, f["boundary_classes"], f["class_seed"])
    near = pd.read_csv(inputs.table)["nearest_by_l2"].to_numpy()
    g, t, extent = decision_maps(load_weightset(inputs.generated), load_weightset(inputs.training),
                                 near, model, meta, data, f["grid_resolution"], classes,
                                 ctx.device)
    fig, agree = plots.decision_boundaries(g, t, extent, near, classes)
    ctx.log.info("classes %s; grid agreement generated vs nearest training: %s", classes,
                 [round(float(a), 3) for a in agree])
    return fig
