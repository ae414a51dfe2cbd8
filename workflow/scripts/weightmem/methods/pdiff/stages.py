"""P-diff stages (docs/pdiff.md): base ResNet-18 → the "extra epoch" of 300 consecutive BN checkpoints →
generator → samples; evaluation of BN-vectors inside the frozen base network."""
from __future__ import annotations

import copy
import random

import numpy as np
import torch
import torch.nn.functional as F

from weightmem.data.images import ImageData
from weightmem.data.transforms import random_resized_crop, resize_center_crop
from weightmem.methods.pdiff import generator as G
from weightmem.io import WeightSet, load_state, load_tensors, provenance
from weightmem.nets.resnet import BN_KEYS, FrozenTail, ResNet18, ResNetConfig
from weightmem.figures.pca_grid import pca_grid
from weightmem.evaluation.behaviour import tail_predictions


# ------------------------------------------------------------------------ base model (§1.1)
def resnet_config(data: ImageData, base_cfg: dict) -> ResNetConfig:
    return ResNetConfig(n_classes=data.n_classes, in_channels=int(data.x_train.shape[1]),
                        width=base_cfg["width"], stem=base_cfg["stem"])


def load_pretrained(model: ResNet18, path: str, log=None) -> None:
    """Load an ImageNet state dict (safetensors, torchvision/timm names); the head and any tensor
    whose shape differs (e.g. a reduced width) stay at their fresh initialisation."""
    state = load_tensors(path)
    own = model.state_dict()
    ok = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    skipped = sorted(set(own) - set(ok))
    if not ok:
        raise ValueError(f"{path}: no tensor matches the ResNet-18 parameter names/shapes")
    model.load_state_dict(ok, strict=False)
    if log:
        log.info("pretrained %s: loaded %d tensors, kept fresh %d (%s…)", path, len(ok),
                 len(skipped), skipped[:4])


def _test_inputs(data: ImageData, base_cfg: dict) -> torch.Tensor:
    return resize_center_crop(torch.from_numpy(data.x_test), base_cfg["resize"],
                              base_cfg["image_size"])


@torch.no_grad()
def accuracy(model: ResNet18, x: torch.Tensor, y: torch.Tensor, device, batch: int = 512) -> float:
    model.eval()
    hits = 0
    for s in range(0, len(x), batch):
        hits += (model(x[s:s + batch].to(device)).argmax(1).cpu() == y[s:s + batch]).sum().item()
    return 100.0 * hits / len(x)


def _augment(xb: torch.Tensor, base_cfg: dict, g: torch.Generator) -> torch.Tensor:
    return random_resized_crop(xb, base_cfg["image_size"], tuple(base_cfg["crop_scale"]),
                               flip=base_cfg["flip"], generator=g)


def train_base(data: ImageData, base_cfg: dict, seed: int, device, progress=None, log=None):
    """One base run: AdamW + cosine (per epoch), all parameters trained; the epoch with the best
    test accuracy is kept (as the original does). Returns (model, rows, meta)."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    rcfg = resnet_config(data, base_cfg)
    model = ResNet18(rcfg)
    if base_cfg.get("pretrained"):
        load_pretrained(model, base_cfg["pretrained"], log)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=base_cfg["lr"],
                            weight_decay=base_cfg["weight_decay"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=base_cfg["epochs"], eta_min=0)
    xtr, ytr = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    xte, yte = _test_inputs(data, base_cfg), torch.from_numpy(data.y_test)
    best, best_acc, rows, bs = None, -1.0, [], base_cfg["batch_size"]
    epochs = range(base_cfg["epochs"])
    for ep in (progress(epochs, desc="base training") if progress else epochs):
        model.train()
        perm, tot = torch.randperm(len(xtr), generator=g), 0.0
        for s in range(0, len(xtr), bs):
            idx = perm[s:s + bs]
            xb = _augment(xtr[idx], base_cfg, g).to(device)
            loss = F.cross_entropy(model(xb), ytr[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
        sched.step()
        acc = accuracy(model, xte, yte, device)
        rows.append({"epoch": ep, "train_loss": tot / len(xtr), "test_accuracy": acc})
        if log:
            log.info("epoch %d: train loss %.4f, test accuracy %.2f%%", ep, tot / len(xtr), acc)
        if acc > best_acc:  # selection on the test set, as the original (docs/pdiff.md §8.4)
            best_acc, best = acc, copy.deepcopy(model.state_dict())
    model.load_state_dict(best)
    meta = {"resnet": rcfg.to_dict(), "base": dict(base_cfg), "test_accuracy": best_acc,
            "best_epoch": int(max(rows, key=lambda r: r["test_accuracy"])["epoch"]),
            "provenance": provenance(base_cfg, seed, "pdiff-base", dataset=data.name)}
    return model.cpu(), rows, meta


def load_base(path) -> tuple[ResNet18, dict]:
    state, meta = load_state(path)
    model = ResNet18(ResNetConfig(**meta["resnet"]))
    model.load_state_dict(state)
    return model.eval(), meta


# ------------------------------------------------------------------------ the extra epoch (§1.2)
def collect(model: ResNet18, data: ImageData, base_cfg: dict, ccfg: dict, seed: int, device,
            progress=None, log=None, return_net: bool = False):
    """Train only the 4 tensors of layer4.1.bn1/bn2 with constant-lr AdamW; a checkpoint after
    every step from the second on. The first ``train_mode_steps`` steps run in train mode (batch
    statistics, running statistics updated), later steps in eval mode, as the original's
    evaluation helper leaves the model (docs/pdiff.md §1.2). Works on a copy: the base is untouched."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    net = copy.deepcopy(model).to(device)
    params = dict(net.named_parameters())
    for name, p in params.items():
        p.requires_grad_(name in BN_KEYS)
    opt = torch.optim.AdamW([params[k] for k in BN_KEYS], lr=ccfg["lr"],
                            weight_decay=ccfg["weight_decay"])
    xtr, ytr = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    n_ck, bs, skip = ccfg["checkpoints"], ccfg["batch_size"], ccfg["skip_steps"]
    vecs, rows, step, epoch = [], [], 0, 0
    bar = progress(total=n_ck, desc="extra epoch") if progress else None
    while len(vecs) < n_ck:
        perm = torch.randperm(len(xtr), generator=g)
        for s in range(0, len(xtr) - bs + 1, bs):
            net.train(step < ccfg["train_mode_steps"])
            idx = perm[s:s + bs]
            loss = F.cross_entropy(net(_augment(xtr[idx], base_cfg, g).to(device)),
                                   ytr[idx].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if step >= skip:
                vecs.append(net.bn_vector().cpu().clone())
                rows.append({"step": step, "epoch": epoch, "loss": loss.item(),
                             "bn_mode": "train" if step < ccfg["train_mode_steps"] else "eval"})
                if bar is not None:
                    bar.update(1)
            step += 1
            if len(vecs) == n_ck:
                break
        epoch += 1
    if bar is not None:
        bar.close()
    if log:
        log.info("collected %d checkpoints over %d steps (%d passes over the data); last loss %.4f",
                 n_ck, step, epoch, rows[-1]["loss"])
    rcfg = model.cfg
    cols = {k: [r[k] for r in rows] for k in rows[0]}
    cols["role"] = ["training"] * n_ck
    ws = WeightSet(torch.stack(vecs), rcfg.layout, rcfg.tag, cols,
                   provenance(ccfg, seed, "pdiff-training", dataset=data.name))
    return (ws, net.cpu()) if return_net else ws


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
