"""P-diff's checkpoint zoo (docs/pdiff.md §1): one base ResNet-18 trained once, then the "extra
epoch" in which only the last BatchNorm layers train and every step is saved as a checkpoint."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from weightmem.data.images import ImageData
from weightmem.data.transforms import random_resized_crop, resize_center_crop
from weightmem.io import WeightSet, load_state, load_tensors, provenance
from weightmem.nets.resnet import BN_KEYS, ResNet18, ResNetConfig


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
