"""weightmem audit: the copying statistics (against scipy), the streamed stable nearest
neighbours, the inputs' refusals and the end-to-end audit through the DAG."""
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from scipy.stats import mannwhitneyu

from dagrun import ENV, ROOT
from weightmem import audit as A
from weightmem.evaluation import copying as C
from weightmem.evaluation.weights import nearest, pairwise_sq_l2


# ---------------------------------------------------------------- statistics
@pytest.mark.parametrize("m, n, ties, shift", [(10, 12, False, 0.5), (30, 25, True, 0.0),
                                               (8, 40, True, -1.0)])
def test_z_u_matches_scipy_mann_whitney(m, n, ties, shift):
    rng = np.random.default_rng(m * n)
    x, y = rng.normal(shift, size=m), rng.normal(size=n)
    if ties:
        x, y = np.round(x, 1), np.round(y, 1)
    r = C.z_u(x, y)
    s = mannwhitneyu(x, y, alternative="less", method="asymptotic", use_continuity=False)
    assert r["u"] == pytest.approx(s.statistic)
    assert r["p_value"] == pytest.approx(s.pvalue, rel=1e-9)
    assert r["closer_chance"] == pytest.approx(1 - s.statistic / (m * n))


def test_verdict_rule():
    held = np.linspace(9, 11, 20)
    assert C.verdict(held * 1e-3, held)["verdict"] == "copies"
    assert C.verdict(held + 0.01, held)["verdict"] == "does-not-copy"
    assert C.verdict(held[:5] * 1e-3, held)["verdict"] == "inconclusive"  # too few
    # many models a little closer: significant but not material
    rng = np.random.default_rng(0)
    h = rng.normal(10, 0.3, 400)
    g = rng.normal(9.85, 0.3, 400)
    v = C.verdict(g, h)
    assert v["p_value"] < 0.01 and v["closer_chance"] < 0.9 and v["verdict"] == "inconclusive"


def test_copy_flags_and_neighbour_ratio():
    flags = C.copy_flags([0.1, 5.0, np.nan], [0, 1, 0], [1.0, 1.0])
    assert flags.tolist() == [True, False, False]
    assert C.neighbour_ratio([1.0, 1.0], [4.0, 0.0])[0] == 0.25


# ---------------------------------------------------------------- distances
def test_nearest_is_exact_at_large_norms():
    g = torch.Generator().manual_seed(0)
    D = 200_000
    ref = torch.randn(16, D, generator=g) * (2800 / D ** 0.5)
    tgt = ref[5:6] + torch.randn(1, D, generator=g) * (2.8e-5 / D ** 0.5)
    true = float(((tgt.double() - ref[5:6].double()) ** 2).sum().sqrt())
    old = float(pairwise_sq_l2(tgt, ref).min().sqrt())
    d, i = nearest(tgt, ref)
    assert int(i) == 5 and float(d) == pytest.approx(true, rel=1e-4)
    assert abs(old - true) > 0.1 * true  # the matrix formula alone is off


def test_rel_exact_skips_pass_two_only_where_pass_one_is_already_exact(monkeypatch):
    from weightmem.evaluation import weights as Wt

    g = torch.Generator().manual_seed(3)
    D = 50_000
    ref = torch.randn(20, D, generator=g) * (2800 / D ** 0.5)  # large norms
    tgt = torch.cat([ref[[2, 9]] + torch.randn(2, D, generator=g) * (2.8e-5 / D ** 0.5),
                     torch.randn(6, D, generator=g) * (2800 / D ** 0.5)])
    recomputed = []
    real = Wt._exact_pairs

    def spy(target, reference, pairs, chunk):
        recomputed.append(list(pairs))
        return real(target, reference, pairs, chunk)

    monkeypatch.setattr(Wt, "_exact_pairs", spy)
    a, b = Wt.ArraySource(tgt), Wt.ArraySource(ref)
    d0, i0 = Wt.nearest_streamed(a, b, k=2)
    d1, i1 = Wt.nearest_streamed(a, b, k=2, rel_exact=Wt.AUDIT_REL_EXACT)
    every, fewer = recomputed
    # the two near-copies' nearest pairs are recomputed (the cancellation would cost them all
    # their digits); the far pairs are not: pass 1 is exact to float32 there
    assert (0, 2) in fewer and (1, 9) in fewer and len(fewer) < len(every) and len(fewer) <= 4
    assert torch.equal(i0, i1)
    ulp = torch.finfo(torch.float32).eps * d0.abs()
    assert ((d1 - d0).abs() <= ulp).all()
    true = float(((tgt[0].double() - ref[2].double()) ** 2).sum().sqrt())
    assert float(d1[0, 0]) == pytest.approx(true, rel=1e-4)


def test_nearest_unchanged_on_ordinary_sets():
    x = torch.randn(200, 300, generator=torch.Generator().manual_seed(1))
    d2 = pairwise_sq_l2(x, x)
    d2.fill_diagonal_(float("inf"))
    v, i = d2.topk(2, largest=False)
    d, j = nearest(x, x, k=2, exclude_self=True, block=37)
    assert torch.equal(i, j) and (v.sqrt().float() - d).abs().max() < 1e-6


# ---------------------------------------------------------------- inputs
def _mlp(g, h=6):
    return {"fc1.weight": torch.randn(h, 4, generator=g), "fc1.bias": torch.randn(h, generator=g),
            "fc2.weight": torch.randn(3, h, generator=g), "fc2.bias": torch.randn(3, generator=g)}


def _folder(path, models, suffix=".safetensors", prefix="run"):
    path.mkdir(parents=True)
    for k, sd in enumerate(models):
        f = path / f"{prefix}{k}_step1{suffix}"
        save_file(sd, str(f)) if suffix == ".safetensors" else torch.save(sd, f)
    return path


def _out(tmp_path):
    return {r: tmp_path / f"{r}.safetensors" for r in ("training", "generated", "heldout")}


def test_layout_mismatch_names_both_files_and_the_key(tmp_path):
    g = torch.Generator().manual_seed(0)
    t = _folder(tmp_path / "T", [_mlp(g) for _ in range(4)])
    gen = _folder(tmp_path / "G", [_mlp(g, h=7) for _ in range(3)])
    with pytest.raises(A.AuditInputError, match=r"T/run0_step1.*G/run0_step1.*fc1\.bias.*\[6\]"):
        A.import_sets({"training": str(t), "generated": str(gen)}, _out(tmp_path))
    odd = [_mlp(g) for _ in range(3)]
    odd[2]["extra.weight"] = torch.zeros(2)
    t2 = _folder(tmp_path / "T2", odd)
    with pytest.raises(A.AuditInputError, match=r"run0_step1.*run2_step1.*extra\.weight"):
        A.import_sets({"training": str(t2), "generated": str(t)}, _out(tmp_path))


def test_pickle_only_file_is_refused_with_how_to_convert(tmp_path):
    g = torch.Generator().manual_seed(0)
    t = _folder(tmp_path / "T", [_mlp(g) for _ in range(4)], suffix=".pt")
    torch.save({"sd": _mlp(g), "opt": argparse_namespace()}, t / "run9_step1.pt")
    with pytest.raises(A.AuditInputError, match="needs pickle.*weights_only=False.*save_file"):
        A.import_sets({"training": str(t), "generated": str(t)}, _out(tmp_path))


def argparse_namespace():
    import argparse

    return argparse.Namespace(lr=0.1)


def test_one_model_training_set_and_empty_folder_are_clear_errors(tmp_path):
    g = torch.Generator().manual_seed(0)
    one = _folder(tmp_path / "T", [_mlp(g)])
    gen = _folder(tmp_path / "G", [_mlp(g) for _ in range(3)])
    with pytest.raises(A.AuditInputError, match="1 run"):
        A.import_sets({"training": str(one), "generated": str(gen)}, _out(tmp_path))
    with pytest.raises(A.AuditInputError, match="1 model.*at least 2"):
        A.import_sets({"training": str(one), "generated": str(gen), "heldout": str(gen)},
                      _out(tmp_path))
    (tmp_path / "E").mkdir()
    with pytest.raises(A.AuditInputError, match="no .safetensors/.pt/.pth files"):
        A.import_sets({"training": str(tmp_path / "E"), "generated": str(gen)}, _out(tmp_path))


def test_nan_rows_are_flagged_not_crashed_on(tmp_path):
    from weightmem.evaluation import weightspace

    g = torch.Generator().manual_seed(0)
    models = [_mlp(g) for _ in range(6)]
    bad = [_mlp(g) for _ in range(3)]
    bad[1]["fc2.bias"][0] = float("nan")
    t, gen = _folder(tmp_path / "T", models), _folder(tmp_path / "G", bad, suffix=".pt")
    out = _out(tmp_path)
    info = A.import_sets({"training": str(t), "generated": str(gen), "heldout": str(t)}, out)
    assert info["sets"]["generated"]["non_finite"] == [1] and info["arch"] == "mlp:4-6-3"
    df = weightspace.table("generated", out["generated"], out["training"], "plain", False)
    assert df.finite.tolist() == [True, False, True] and df.nearest_by_l2.isna().tolist()[1]


def test_keys_filter_and_matrix_input(tmp_path):
    g = torch.Generator().manual_seed(0)
    t = _folder(tmp_path / "T", [_mlp(g) for _ in range(4)])
    out = _out(tmp_path)
    info = A.import_sets({"training": str(t), "generated": str(t), "heldout": str(t),
                          "keys": "fc2.*"}, out)
    assert info["parameters"] == 3 * 6 + 3 and info["arch"] == "custom"
    # a WeightSet as input (the full one written without --keys), filtered by --keys
    full = _out(tmp_path / "full")
    A.import_sets({"training": str(t), "generated": str(t), "heldout": str(t)}, full)
    info = A.import_sets({"training": str(t), "generated": str(full["training"]),
                          "heldout": str(t), "keys": "fc2.*"}, out)
    assert info["sets"]["generated"]["models"] == 4 and info["parameters"] == 21
    # a bare [N, D] matrix has no names: its layout differs from the state dicts'
    save_file({"w": torch.randn(5, 21)}, str(tmp_path / "m.safetensors"))
    with pytest.raises(A.AuditInputError, match="layouts differ.*m.safetensors"):
        A.import_sets({"training": str(t), "generated": str(tmp_path / "m.safetensors"),
                       "heldout": str(t), "keys": "fc2.*"}, out)
    m = A.open_set(tmp_path / "m.safetensors")
    assert m.n == 5 and m.dim == 21 and m.row(3).shape == (21,)


def test_every_float_dtype_is_read_as_to_float32_and_matrix_rows_as_stored(tmp_path):
    """The positioned reads (no safe_open/torch.cat) give what Tensor.to(float32) gives."""
    from safetensors.torch import load_file

    g = torch.Generator().manual_seed(3)
    models = []
    for k in range(5):
        sd = _mlp(g)
        sd["fc1.weight"] = sd["fc1.weight"].to(torch.bfloat16)
        sd["fc2.weight"] = (sd["fc2.weight"] * 1e3).to(torch.float64)
        sd["fc2.bias"] = sd["fc2.bias"].half()
        sd["steps"] = torch.tensor(k)  # integer: not a weight
        models.append(sd)
    t = _folder(tmp_path / "T", models)
    out = _out(tmp_path)
    A.import_sets({"training": str(t), "generated": str(t), "heldout": str(t)}, out)
    w = load_file(str(out["generated"]))["weights"]
    order = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    want = torch.stack([torch.cat([m[k].reshape(-1).to(torch.float32) for k in order])
                        for m in models])
    assert torch.equal(w, want)
    m = A.open_set(out["generated"])  # a WeightSet as input: rows read back as written
    assert torch.equal(torch.stack([m.row(i) for i in range(m.n)]), want)
    keys = A.open_set(out["generated"], ["fc2.*"])
    assert torch.equal(keys.row(2), want[2, -(3 * 6 + 3):])


def test_streamed_nearest_with_nan_references_over_many_chunks():
    from weightmem.evaluation.weights import ArraySource, nearest_streamed

    g = torch.Generator().manual_seed(4)
    ref = torch.randn(30, 500, generator=g)
    ref[7, 100] = float("nan")
    tgt = torch.cat([ref[:5] + 1e-3 * torch.randn(5, 500, generator=g),
                     torch.randn(3, 500, generator=g)])
    d, i = nearest_streamed(ArraySource(tgt), ArraySource(ref), k=2, memory=8 * 38 * 64)
    full = torch.cdist(tgt.double(), ref.double())
    full[:, 7] = float("inf")
    v, j = full.topk(2, largest=False)
    assert torch.equal(i, j) and torch.allclose(d.double(), v, rtol=1e-6)
    src = ArraySource(ref)  # the training set against itself, self and the NaN row excluded
    d, i = nearest_streamed(src, src, k=1, exclude_self=True, memory=8 * 30 * 37)
    full = torch.cdist(ref.double(), ref.double())
    full.fill_diagonal_(float("inf"))
    full[:, 7] = float("inf")
    assert torch.equal(i[torch.arange(30) != 7, 0], full.argmin(1)[torch.arange(30) != 7])
    assert torch.isinf(d[7]).all()


# ---------------------------------------------------------------- behaviour: networks
def _digits_x(n=40):
    from weightmem.data.images import digits

    return torch.from_numpy(digits().x_test[:n])


def test_a_researchers_function_runs_like_the_built_in_mlp():
    from weightmem.nets import get as get_arch
    from weightmem.nets.mlp import MLPArch

    arch = MLPArch(64, 6, 10)
    w = arch.init(torch.Generator().manual_seed(0), n=5)
    ren = {"fc1.weight": "net.0.weight", "fc1.bias": "net.0.bias", "fc2.weight": "net.2.weight",
           "fc2.bias": "net.2.bias"}
    layout = sorted((ren[k], s) for k, s in arch.layout)  # the audit's order: sorted names
    from weightmem.io import unflatten

    parts = unflatten(w, arch.layout)
    flat = torch.cat([parts[next(k for k, v in ren.items() if v == n)].reshape(5, -1)
                      for n, _ in layout], 1)
    x = _digits_x()
    spec = f"{ROOT / 'tests' / 'audit_model.py'}:predict"
    mine = get_arch(f"custom:{spec}", layout)
    assert torch.allclose(mine.forward(flat, x), arch.forward(w, x.reshape(len(x), -1)),
                          atol=1e-5)
    classes = get_arch(f"custom:{spec}_classes", layout).forward(flat, x)
    assert torch.equal(classes.argmax(-1), arch.forward(w, x.reshape(len(x), -1)).argmax(-1))


def test_a_researchers_function_is_checked(tmp_path):
    from weightmem.nets import get as get_arch
    from weightmem.nets.custom import load_callable

    bad = tmp_path / "bad.py"
    bad.write_text("import torch\n"
                   "def flat(weights, layout, x):\n    return torch.zeros(len(x), 10)\n"
                   "def neg(weights, layout, x):\n    return -torch.ones(len(weights), len(x),"
                   " dtype=torch.long)\n")
    layout = [("w", (3,))]
    with pytest.raises(ValueError, match=r"logits of shape \[40, 10\].*\[2, 40, classes\]"):
        get_arch(f"custom:{bad}:flat", layout).forward(torch.zeros(2, 3), _digits_x())
    with pytest.raises(ValueError, match="negative class"):
        get_arch(f"custom:{bad}:neg", layout).forward(torch.zeros(2, 3), _digits_x())
    with pytest.raises(ValueError, match="has no function 'missing'"):
        load_callable(f"{bad}:missing")
    with pytest.raises(ValueError, match="cannot import no_such_module_xyz"):
        load_callable("no_such_module_xyz:predict")
    with pytest.raises(ValueError, match="has no network here"):
        get_arch("custom", layout)


def test_arch_names_the_built_in_cnn_of_sequential_state_dicts(tmp_path):
    """--arch cnn:…: nn.Sequential's 0.weight, 3.weight, … matched in network order; the rows
    are the architecture's flattening, and its batched forward is the module's."""
    from weightmem.io import load_weightset
    from weightmem.nets.cnn import CNNArch

    arch = CNNArch()
    nets = []
    for k in range(4):
        torch.manual_seed(k)
        nets.append(arch.module())
    t = _folder(tmp_path / "T", [{k: v.clone() for k, v in m.state_dict().items()}
                                 for m in nets])
    out = _out(tmp_path)
    info = A.import_sets({"training": str(t), "generated": str(t), "heldout": str(t),
                          "arch": arch.tag}, out)
    ws = load_weightset(out["generated"], expect_arch=arch.tag)
    assert info["arch"] == arch.tag and ws.layout == arch.layout
    x = torch.nn.functional.interpolate(_digits_x(8), size=28)
    with torch.no_grad():
        want = torch.stack([m(x) for m in nets])
    assert torch.allclose(arch.forward(ws.weights, x), want, atol=1e-5)
    with pytest.raises(A.AuditInputError, match=r"--arch mlp:64-10-10: the state dicts' "
                                                r"parameters \(0.weight \[8, 1, 5, 5\]"):
        A.import_sets({"training": str(t), "generated": str(t), "heldout": str(t),
                       "arch": "mlp:64-10-10"}, out)


@pytest.mark.parametrize("extra, message", [
    (["--behaviour", "digits"], "not a network built in here.*--arch TAG.*--model"),
    (["--model", "x.py:f"], "give --behaviour DATASET too"),
    (["--behaviour", "digits", "--model", "tests/no_such_file.py:predict"], "no file"),
])
def test_behaviour_without_a_network_is_a_clear_error(tmp_path, extra, message):
    g = torch.Generator().manual_seed(0)
    t = _folder(tmp_path / "T", [{"a": torch.randn(3, generator=g)} for _ in range(4)])
    r = subprocess.run([sys.executable, "-m", "weightmem.cli", "audit", "--training", str(t),
                        "--generated", str(t), "--out", str(tmp_path / "out"), *extra, "-n"],
                       capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and re.search(message, r.stderr), r.stderr
    assert not (tmp_path / "out" / "config.yaml").exists()


# ---------------------------------------------------------------- independent models
@pytest.fixture(scope="module")
def zoo():
    """60 one-hidden-layer MLPs trained on digits with one recipe, seeds 0..59."""
    from weightmem.data.images import digits
    from weightmem.nets.mlp import MLPArch
    from weightmem.zoo.mlp import SGDRecipe, train_mlp_zoo

    d = digits()
    t = torch.from_numpy
    arch = MLPArch(d.n_features, 10, d.n_classes)
    w = train_mlp_zoo(arch, t(d.x_train), t(d.y_train), t(d.x_test), t(d.y_test),
                      list(range(60)), SGDRecipe(epochs=3, batch_size=32, lr=0.1, momentum=0.9,
                                                 weight_decay=5e-4, checkpoints_per_run=2),
                      record=False, show_progress=False)
    return arch, w


def _audit(T, G, H):
    def tab(x, ref, self_):
        d, i = nearest(x, ref, k=2, exclude_self=self_)
        import pandas as pd

        return pd.DataFrame({"min_l2": d[:, 0].numpy(), "nearest_by_l2": i[:, 0].numpy(),
                             "second_l2": d[:, 1].numpy()})

    return C.audit(tab(T, T, True), tab(G, T, False), tab(H, T, False))[0]


def test_independent_models_are_not_called_copies_and_a_memorizer_is(zoo):
    _, w = zoo
    calls = []
    for split in range(20):
        p = torch.randperm(60, generator=torch.Generator().manual_seed(split))
        calls.append(_audit(w[p[:20]], w[p[20:40]], w[p[40:]])["verdict"])
    assert sum(c == "copies" for c in calls) <= 1, calls  # ≥ 95% of 20 splits
    g = torch.Generator().manual_seed(0)
    T, H = w[:30], w[30:50]
    G = T[:20] + 1e-3 * torch.randn(20, w.shape[1], generator=g)
    v = _audit(T, G, H)
    assert v["verdict"] == "copies" and v["z_u"] < -5 and v["copy_flags"]["generated"] == 20


@pytest.mark.slow
def test_weightmem_audit_end_to_end(zoo, tmp_path):
    """The console script on folders of state dicts: a planted memorizer through the DAG."""
    arch, w = zoo
    g = torch.Generator().manual_seed(1)
    from weightmem.io import unflatten

    def models(rows):
        return [{k: v.clone() for k, v in unflatten(r, arch.layout).items()} for r in rows]

    T = _folder(tmp_path / "T", models(w[:24]))
    H = _folder(tmp_path / "H", models(w[24:36]), suffix=".pt", prefix="other")
    G = _folder(tmp_path / "G", models(w[:12] + 1e-3 * torch.randn(12, w.shape[1], generator=g)),
                prefix="gen")
    out = tmp_path / "audit"
    cmd = [sys.executable, "-m", "weightmem.cli", "audit", "--training", str(T), "--generated",
           str(G), "--heldout", str(H), "--noise", "0.01,0.05", "--out", str(out)]
    dry = subprocess.run(cmd + ["-n"], capture_output=True, text=True, env=ENV, timeout=300)
    assert dry.returncode == 0, dry.stderr[-2000:]
    assert "audit_import" in dry.stdout and not (out / "verdict.json").exists()
    run = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    v = json.loads((out / "verdict.json").read_text())
    assert v["verdict"] == "copies" and v["n_training"] == 24 and v["n_generated"] == 12
    assert v["n_heldout"] == 12 and v["p_value"] < 0.01 and v["distance"] == "aligned"
    assert v["distance_note"].startswith("exact: permutation-aligned L2")
    page = (out / "report.html").read_text()
    assert "copies" in page and "figures/audit/heatmap.png" in page
    assert "aligned L2 over 760 parameters (architecture mlp:64-10-10): exact" in page


@pytest.mark.slow
@pytest.mark.parametrize("network", ["built-in MLP", "researcher's function"])
def test_weightmem_audit_with_behaviour(zoo, tmp_path, network):
    """--behaviour digits on a planted memorizer: the built-in MLP recognised by its shapes, or
    the same MLP under other names run by tests/audit_model.py:predict (--model)."""
    arch, w = zoo
    from weightmem.io import unflatten

    ren = ({} if network == "built-in MLP" else
           {"fc1.weight": "net.0.weight", "fc1.bias": "net.0.bias",
            "fc2.weight": "net.2.weight", "fc2.bias": "net.2.bias"})

    def models(rows):
        return [{ren.get(k, k): v.clone() for k, v in unflatten(r, arch.layout).items()}
                for r in rows]

    g = torch.Generator().manual_seed(2)
    T = _folder(tmp_path / "T", models(w[:24]))
    H = _folder(tmp_path / "H", models(w[24:36]), prefix="other")
    G = _folder(tmp_path / "G", models(w[:12] + 1e-3 * torch.randn(12, w.shape[1], generator=g)),
                prefix="gen")
    out = tmp_path / "audit"
    extra = [] if not ren else ["--model", "tests/audit_model.py:predict"]
    cmd = [sys.executable, "-m", "weightmem.cli", "audit", "--training", str(T), "--generated",
           str(G), "--heldout", str(H), "--behaviour", "digits", *extra, "--noise", "0.01,0.05",
           "--out", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=900, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]
    v = json.loads((out / "verdict.json").read_text())
    assert v["verdict"] == "copies" and v["behaviour"]["verdict"] == "copies"
    assert v["distance"] == ("aligned" if not ren else "plain")
    assert v["arch"] == ("mlp:64-10-10" if not ren else
                         f"custom:{ROOT / 'tests' / 'audit_model.py'}:predict")
    s = v["sets"]
    assert set(s) == {"training", "generated", "heldout", "noise0.01", "noise0.05"}
    assert s["generated"]["accuracy"] > 50 and s["generated"]["max_similarity"] > 0.9
    assert s["heldout"]["max_similarity"] < s["generated"]["max_similarity"]
    assert v["beats_noise"] == []  # copies are not newer than training + noise
    page = (out / "report.html").read_text()
    head = page[:page.index("<h2>Findings")]
    assert "Audit verdict: copies" in head and f"{v['z_u']:.2f}" in head
    assert "figures/audit/performance_vs_novelty.png" in page
    assert "figures/audit/decision_boundary.png" in page and "F3 audit: copies" in page


# ---------------------------------------------------------------- one pass, sets read in place
def _fused_case(seed=5, D=3000):
    g = torch.Generator().manual_seed(seed)
    T = torch.randn(25, D, generator=g) * 0.05 + 40.0  # large norms, small spread
    T[11, 7] = float("nan")
    G = torch.cat([T[:6] + 1e-4 * torch.randn(6, D, generator=g),
                   torch.randn(5, D, generator=g) * 0.05 + 40.0])
    G[8, 0] = float("inf")
    H = torch.randn(9, D, generator=g) * 0.05 + 40.0
    H[2] = T[3] + 2e-4 * torch.randn(D, generator=g)  # a held-out near-copy too
    return T, G, H


@pytest.mark.parametrize("follow", [True, False])
def test_fused_tables_equal_the_streamed_ones(monkeypatch, follow):
    """One pass for the three tables gives the neighbours and (to float32) the distances of
    nearest_streamed's exact path; near pairs are followed during the pass (no second read),
    or, when they are not, recomputed by a second read."""
    from weightmem.evaluation import weights as Wt

    T, G, H = _fused_case()
    t = Wt.ArraySource(T)
    srcs = {"training": t, "generated": Wt.ArraySource(G), "heldout": Wt.ArraySource(H)}
    second = []
    real = Wt._exact_pairs
    monkeypatch.setattr(Wt, "_exact_pairs", lambda *a: second.append(len(a[2])) or real(*a))
    if not follow:
        monkeypatch.setattr(Wt, "TRACK_PER_ROW", 0)
    out = Wt.nearest_fused(srcs, t, k=2, memory=8 * 64 * 173)  # many chunks, a ragged last
    reads = list(second)  # nearest_streamed's own (below) not counted
    for name, src in srcs.items():
        d, i = Wt.nearest_streamed(src, t, k=2, exclude_self=src is t)
        d1, i1, ok = out[name]
        fin = torch.isfinite(d[:, 0])
        assert torch.equal(ok, torch.isfinite(src.weights).all(1)), name
        assert torch.equal(i1[fin], i[fin]) and torch.isinf(d1[~fin]).all(), name
        ulp = torch.finfo(torch.float32).eps * d[fin]
        assert ((d1[fin] - d[fin]).abs() <= ulp).all(), name
    if follow:
        assert reads == []  # every near pair was followed: each value read once
    else:
        # the near-copies of rows 1..5 and the held-out one (row 0, the centre, is exact anyway)
        assert reads == [6]


def test_fused_tables_are_exact_at_large_norms():
    from weightmem.evaluation.weights import ArraySource, nearest_fused

    g = torch.Generator().manual_seed(0)
    D = 200_000
    ref = torch.randn(16, D, generator=g) * (2800 / D ** 0.5)
    tgt = ref[5:6] + torch.randn(1, D, generator=g) * (2.8e-5 / D ** 0.5)
    true = float(((tgt.double() - ref[5:6].double()) ** 2).sum().sqrt())
    t = ArraySource(ref)
    d, i, ok = nearest_fused({"t": t, "g": ArraySource(tgt)}, t, k=1, memory=8 * 17 * 9000)["g"]
    assert int(i) == 5 and float(d) == pytest.approx(true, rel=1e-4) and bool(ok.all())


def test_linked_import_reads_the_files_in_place(tmp_path):
    """Folders of float32 safetensors are linked, not copied: the same rows, tables, noise
    baselines; .pt files and other dtypes are copied."""
    from weightmem.baselines import noise_to_file
    from weightmem.evaluation import weightspace
    from weightmem.io import load_weightset

    g = torch.Generator().manual_seed(2)
    models = [_mlp(g, h=40) for _ in range(12)]
    gen = [{k: v + 1e-3 * torch.randn(v.shape, generator=g) for k, v in m.items()}
           for m in models[:5]]
    gen[3]["fc1.bias"][2] = float("nan")
    t, gfold = _folder(tmp_path / "T", models), _folder(tmp_path / "G", gen)
    h = _folder(tmp_path / "H", [_mlp(g, h=40) for _ in range(4)], suffix=".pt")
    sets = {"training": str(t), "generated": str(gfold), "heldout": str(h)}
    link, copy = _out(tmp_path / "link"), _out(tmp_path / "copy")
    for o in (link, copy):
        o["training"].parent.mkdir()
    info = A.import_sets(sets, link)
    A.import_sets({**sets, "import": "copy"}, copy)
    assert info["sets"]["training"].get("linked") and info["sets"]["generated"].get("linked")
    assert not info["sets"]["heldout"].get("linked")  # .pt: copied
    assert info["sets"]["generated"]["non_finite"] is None
    from safetensors import safe_open

    with safe_open(str(link["training"]), framework="pt") as f:
        assert list(f.keys()) == ["link"]  # no values: they stay in the state dicts
    assert link["training"].stat().st_size < 12 * info["parameters"] * 4
    for r in link:
        a, b = load_weightset(link[r]), load_weightset(copy[r])
        assert torch.equal(torch.nan_to_num(a.weights), torch.nan_to_num(b.weights)), r
        assert a.layout == b.layout and a.arch == b.arch == "mlp:4-40-3" and a.rows["run"] == \
            b.rows["run"]
        cols = A.FileSource(link[r]).columns(17, 150, rows=[3, 0])
        assert torch.equal(torch.nan_to_num(cols), torch.nan_to_num(b.weights[[3, 0], 17:150]))
    fused = weightspace.tables(link, link["training"], memory=8 * 21 * 50)
    for r in link:
        one = weightspace.table(r, copy[r], copy["training"], "plain", r == "training")
        assert fused[r]["nearest_by_l2"].equals(one["nearest_by_l2"]), r
        assert np.allclose(fused[r].min_l2, one.min_l2, rtol=2e-7, equal_nan=True), r
        assert fused[r].finite.tolist() == one.finite.tolist(), r
    assert fused["generated"].finite.tolist() == [True, True, True, False, True]
    assert C.non_finite(info["sets"], fused)["generated"] == [3]
    noise_to_file(link["training"], tmp_path / "n1.safetensors", 0.01, 6, seed=1)
    noise_to_file(copy["training"], tmp_path / "n2.safetensors", 0.01, 6, seed=1)
    assert torch.equal(load_weightset(tmp_path / "n1.safetensors").weights,
                       load_weightset(tmp_path / "n2.safetensors").weights)
    # a linked WeightSet is an input too (as a single file)
    again = A.open_set(link["generated"], ["fc2.*"])
    assert torch.equal(again.row(1), load_weightset(copy["generated"]).weights[1, -(3 * 40 + 3):])


def test_a_linked_set_refuses_changed_missing_or_corrupt_files(tmp_path):
    import os

    from safetensors import safe_open

    from weightmem.io import (LINK_KEY, WeightFormatError, read_weightset_header,
                              save_linked_weightset)

    g = torch.Generator().manual_seed(0)
    t = _folder(tmp_path / "T", [_mlp(g) for _ in range(4)])
    out = _out(tmp_path)
    A.import_sets({"training": str(t), "generated": str(t), "heldout": str(t)}, out)
    assert read_weightset_header(out["training"]).n == 4
    head = read_weightset_header(out["heldout"])  # for a corrupt copy of its link, below
    f = t / "run2_step1.safetensors"
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(WeightFormatError, match="row 2 is read from .*run2_step1.safetensors, "
                                                "which changed since the import"):
        A.FileSource(out["training"])
    f.unlink()
    with pytest.raises(WeightFormatError, match="run2_step1.safetensors, which no longer exists"):
        read_weightset_header(out["generated"])
    with safe_open(str(out["heldout"]), framework="pt") as fh:
        link = json.loads(fh.metadata()[LINK_KEY])
    link[0][3][0][1] -= 1  # segments no longer cover the row
    save_linked_weightset(tmp_path / "bad.safetensors", head.layout, head.arch, head.rows,
                          head.provenance, link)
    with pytest.raises(WeightFormatError, match="bad.safetensors: corrupt link"):
        read_weightset_header(tmp_path / "bad.safetensors")


def test_non_finite_models_of_linked_sets_come_from_the_tables():
    import pandas as pd

    sets = {"training": {"non_finite": [2]}, "generated": {"non_finite": None},
            "heldout": {"non_finite": None}}
    tables = {"training": pd.DataFrame({"model": range(3), "finite": [1, 1, 1]}),
              "generated": pd.DataFrame({"model": range(3), "finite": [True, False, True]}),
              "heldout": pd.DataFrame({"model": range(2), "min_l2": [np.inf, 1.0]})}
    assert C.non_finite(sets, tables) == {"training": [2], "generated": [1], "heldout": [0]}
