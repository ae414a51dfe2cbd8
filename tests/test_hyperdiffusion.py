"""HyperDiffusion library: occupancy labels, the field net, fitting, meshing, Chamfer, empties."""
import numpy as np
import pytest
import torch
import trimesh

from weightmem.zoo import field as Fd
from weightmem.data import shapes as S
from weightmem.methods.hyperdiffusion import generator as G
from weightmem.evaluation import shapes as M
from weightmem.nets import get as get_arch
from weightmem.nets.field import FieldArch
from sections import section


# ---------------------------------------------------------------------- occupancy labels
def test_winding_labels_sphere():
    s = trimesh.creation.icosphere(subdivisions=4, radius=0.3)
    p = np.random.default_rng(0).uniform(-0.5, 0.5, (4000, 3))
    r = np.linalg.norm(p, axis=1)
    w = S.winding_number(s.vertices, s.faces, p)
    clear = np.abs(r - 0.3) > 0.005  # the tessellation lies within 0.2% of the true sphere
    assert ((w >= 0.5) == (r < 0.3))[clear].all()
    assert np.allclose(w[clear], (r < 0.3)[clear], atol=1e-3)  # ≈ 1 inside, ≈ 0 outside


def test_occupancy_samples_on_a_box_through_the_loader(tmp_path):
    box = trimesh.creation.box(extents=[2.0, 1.0, 0.5])
    box.apply_translation([3.0, -1.0, 0.2])  # the loader must centre and scale it
    path = tmp_path / "box.off"
    box.export(path)
    mesh = S.load_mesh(path)
    assert np.allclose(mesh.vertices.mean(0), 0, atol=1e-9)
    assert np.isclose(np.abs(mesh.vertices).max(), 0.475)
    samples = S.occupancy_samples(mesh, 3000, 3000, 0.01, seed=0)
    assert samples.shape == (6000, 4) and samples.dtype == np.float32
    half = np.array([0.475, 0.2375, 0.11875])
    inside = (np.abs(samples[:, :3]) < half).all(1)
    margin = np.abs(np.abs(samples[:, :3]) - half).min(1) > 1e-4
    assert (samples[:, 3].astype(bool) == inside)[margin].all()
    near = samples[:3000, :3]
    dist = np.abs(np.abs(near) - half).min(1)  # close to the surface: σ = 0.01 per coordinate
    assert np.median(dist) < 0.02 and samples[:3000, 3].mean() > 0.2
    assert (np.abs(samples[3000:, :3]) <= 0.5).all()


def test_overlapping_closed_parts_are_inside():
    a = trimesh.creation.box(extents=[1, 0.2, 0.2])
    b = trimesh.creation.box(extents=[0.2, 1, 0.2])
    m = trimesh.util.concatenate([a, b])
    w = S.winding_number(m.vertices, m.faces, np.array([[0.0, 0, 0], [0.4, 0, 0], [0.4, 0.4, 0]]))
    assert (w >= 0.5).tolist() == [True, True, False]  # centre is in both parts (a ray test says out)
    pts = S.exterior_surface_samples(m, 500, seed=0)
    assert not (np.abs(pts) < 0.099).all(1).any()  # no samples on the faces hidden inside


def test_airplanes_are_written_and_read_back(tmp_path):
    paths = S.write_airplanes(tmp_path, 3, seed=1)
    assert [p.name for p in S.list_meshes(tmp_path)] == ["plane_0000.obj", "plane_0001.obj",
                                                         "plane_0002.obj"]
    meshes = [S.load_mesh(p) for p in paths]
    assert all(np.isclose(np.abs(m.vertices).max(), 0.475) for m in meshes)
    assert len({round(m.area, 6) for m in meshes}) == 3  # varied proportions


def test_bad_mesh_input_names_the_file(tmp_path):
    bad = tmp_path / "broken.obj"
    bad.write_text("this is not a mesh\n")
    with pytest.raises(S.ShapeError, match="broken.obj"):
        S.load_mesh(bad)
    with pytest.raises(S.ShapeError, match="no .obj"):
        S.list_meshes(_empty(tmp_path))
    with pytest.raises(S.ShapeError, match="does not exist"):
        S.list_meshes(tmp_path / "missing")


def _empty(tmp_path):
    d = tmp_path / "empty"
    d.mkdir()
    return d


def test_split_sizes_follow_the_study():
    names = [f"s{i}" for i in range(100)]
    split = S.make_split(names, 0.05, 0.15, seed=3)
    counts = {k: list(split.values()).count(k) for k in ("train", "val", "test")}
    assert counts == {"train": 80, "val": 5, "test": 15}
    assert split == S.make_split(names, 0.05, 0.15, seed=3)


# ---------------------------------------------------------------------- the field
def test_field_layout_and_forward_match_torch():
    arch = FieldArch()
    assert arch.dim == 36737 and arch.n_in == 27
    assert get_arch(arch.tag) == arch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(27, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                              torch.nn.ReLU(), torch.nn.Linear(128, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 1))
    flat = torch.cat([p.detach().reshape(-1) for p in net.parameters()])[None]  # state-dict order
    x = torch.rand(50, 3) - 0.5
    enc = arch.encode(x)
    assert torch.allclose(enc[:, 3:6], torch.sin(x)) and torch.allclose(enc[:, 9:12], torch.sin(2 * x))
    assert torch.allclose(arch.forward(flat, x)[0], net(enc)[:, 0], atol=1e-5)


def test_hidden_permutation_preserves_the_function():
    arch = FieldArch(2, 16, 3)
    w = arch.init(torch.Generator().manual_seed(0), 2)
    g = torch.Generator().manual_seed(1)
    perms = [torch.stack([torch.randperm(16, generator=g) for _ in range(2)]) for _ in range(3)]
    wp = arch.permute_hidden(w, perms)
    x = torch.rand(40, 3) - 0.5
    assert not torch.allclose(w, wp)
    assert torch.allclose(arch.forward(w, x), arch.forward(wp, x), atol=1e-5)


def test_permutation_augmentation_adds_function_preserving_copies():
    """Study output 10: k permuted copies of every field: (k + 1)× the data, each copy computes
    its source field's function with different weights, and the seed fixes the copies."""
    from weightmem.io import WeightSet
    from weightmem.methods.hyperdiffusion import stages as hd

    arch = FieldArch(2, 16, 3)
    w = arch.init(torch.Generator().manual_seed(0), 3)
    ws = WeightSet(w, arch.layout, arch.tag, {"shape": ["a", "b", "c"]}, {})
    aug = hd.permutation_augmented(ws, 3, seed=5)
    assert len(aug) == 12 and aug.rows["source_index"] == [0, 1, 2] * 4
    assert aug.rows["permutation"] == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert torch.equal(aug.weights[:3], w)  # the originals first, unchanged
    x = torch.rand(50, 3) - 0.5
    for row in range(3, 12):
        src = aug.rows["source_index"][row]
        assert not torch.allclose(aug.weights[row], w[src])
        assert torch.allclose(arch.forward(aug.weights[row:row + 1], x),
                              arch.forward(w[src:src + 1], x), atol=1e-5)
    assert not torch.equal(aug.weights[3], aug.weights[6])  # each copy its own permutation
    assert torch.equal(hd.permutation_augmented(ws, 3, seed=5).weights, aug.weights)
    assert not torch.equal(hd.permutation_augmented(ws, 3, seed=6).weights, aug.weights)
    assert torch.equal(hd.permutation_augmented(ws, 0, seed=5).weights, w)
    with pytest.raises(ValueError, match="≥ 0"):
        hd.permutation_augmented(ws, -1, seed=5)


def test_permutation_table_rows_in_increasing_copies():
    from weightmem.methods.hyperdiffusion import stages as hd

    def summ(name, n, empty, mmd):
        return {"set": name, "n": n, "empty": empty, "mmd_train": mmd, "cov_train": 0.5,
                "mean_min_l2": 3.0, "mean_min_cd_train": 0.1, "mean_min_cd_test": 0.2}

    df = hd.permutation_table({"perm3": 3, "default": 0},
                              {"default": summ("generated", 40, 0, 0.02),
                               "perm3": summ("generated-perm3", 40, 10, 0.08)})
    assert df.permutations.tolist() == [0, 3] and df.data_multiplier.tolist() == [1, 4]
    assert df.set.tolist() == ["generated", "generated-perm3"]
    assert df.empty_rate.tolist() == [0.0, 0.25] and df.mmd.tolist() == [0.02, 0.08]


def _sphere_samples(n, seed):
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.35)
    return sphere, torch.from_numpy(S.occupancy_samples(sphere, n, n, 0.01, seed))


def test_fitted_sphere_field_reconstructs_a_sphere():
    arch = FieldArch(2, 32, 2)
    sphere, samples = _sphere_samples(2000, 0)
    recipe = section(Fd.FieldRecipe, "hyperdiffusion.field", lr=1e-2, batch_points=1000,
                     max_epochs=150)
    w, info = Fd.fit_fields(arch, samples[None], Fd.default_init(arch, 0), recipe, seed=0)
    assert not bool(info["failed"][0]) and info["accuracy"][0] > 93  # near-surface labels are noisy
    clouds, meta = M.field_clouds(arch, w, res=32, n_points=512, seed=0)
    assert not meta["empty"][0]
    truth = M.normalise_clouds(S.exterior_surface_samples(sphere, 512, seed=5)[None])
    egg = sphere.copy()
    egg.apply_scale([1.0, 1.0, 2.0])
    wrong = M.normalise_clouds(S.exterior_surface_samples(egg, 512, seed=6)[None])
    again = M.normalise_clouds(S.exterior_surface_samples(sphere, 512, seed=7)[None])
    floor = M.chamfer_matrix(truth, again)[0, 0]  # two samples of the true sphere: ≈ 0.05
    cd_true = M.chamfer_matrix(clouds, truth)[0, 0]
    cd_wrong = M.chamfer_matrix(clouds, wrong)[0, 0]
    assert cd_true < 1.5 * floor and cd_true < cd_wrong / 3


def test_shared_init_and_failed_fits_are_flagged():
    arch = FieldArch(1, 8, 1)
    _, samples = _sphere_samples(500, 1)
    init = Fd.default_init(arch, 0)
    recipe = section(Fd.FieldRecipe, "hyperdiffusion.field", batch_points=250, max_epochs=1,
                     lr=1e-9, fail_loss=0.05)
    w, info = Fd.fit_fields(arch, samples[None].repeat(2, 1, 1), init, recipe, seed=0)
    assert torch.allclose(w, init.expand(2, -1), atol=1e-6)  # both start from the shared init
    assert info["failed"].all()  # a useless fit is flagged, not dropped silently


# ---------------------------------------------------------------------- Chamfer
def test_chamfer_matches_the_definition_and_excludes_self():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 300, 3)).astype(np.float32)
    b = rng.normal(size=(4, 200, 3)).astype(np.float32) * 1.3
    cd = M.chamfer_matrix(a, b)
    brute = np.array([[M.chamfer_bruteforce(x, y) for y in b] for x in a])
    assert np.allclose(cd, brute, rtol=1e-6)
    self_cd = M.chamfer_matrix(a, a, exclude_self=True)
    assert np.isinf(np.diag(self_cd)).all()
    best, idx = M.nearest_chamfer(self_cd)
    assert (idx != np.arange(5)).all() and np.isfinite(best).all()
    assert np.isclose(M.chamfer_bruteforce(a[0], a[0]), 0.0)


def test_mmd_and_coverage_definitions():
    cd = np.array([[1.0, 5.0, 3.0], [2.0, 0.5, 4.0]])  # 2 samples × 3 references
    assert np.isclose(M.mmd(cd), (1.0 + 0.5 + 3.0) / 3)
    assert np.isclose(M.coverage(cd), 2 / 3)


def test_normalisation_makes_the_factor_two_irrelevant():
    c = np.random.default_rng(1).normal(size=(2, 100, 3))
    assert np.allclose(M.normalise_clouds(c), M.normalise_clouds(2 * c + 3), atol=1e-5)
    n = M.normalise_clouds(c)
    assert np.allclose(n.mean(1), 0, atol=1e-6) and np.allclose(n.reshape(2, -1).std(1, ddof=1), 1)


# ---------------------------------------------------------------------- empty meshes
def test_empty_and_full_fields_are_recorded_not_crashed_on():
    arch = FieldArch(1, 8, 1)
    w = torch.zeros(3, arch.dim)
    w[0, -1] = -5.0  # output bias: everywhere outside
    w[1, -1] = 5.0   # everywhere inside: no surface inside the grid either
    w[2] = float("nan")  # diverged
    clouds, meta = M.field_clouds(arch, w, res=16, n_points=64, seed=0)
    assert meta["empty"].all() and np.isnan(clouds).all()
    ref = np.random.default_rng(0).normal(size=(2, 64, 3))
    cd = M.chamfer_matrix(clouds, ref)
    assert np.isinf(cd).all()
    best, idx = M.nearest_chamfer(cd)
    assert np.isinf(best).all() and (idx == -1).all()


# ---------------------------------------------------------------------- generator
def test_denoiser_tokens_and_sampler_shapes():
    arch = FieldArch(1, 8, 2)
    cfg = section(G.HDConfig, "hyperdiffusion.generator", width=16, depth=1, heads=2, epochs=2,
                  batch_size=4, lr=2e-4, diffusion_steps=50)
    w = arch.init(torch.Generator().manual_seed(0), 6)
    model, rows = G.fit(w, arch.layout, cfg, seed=0, device="cpu")
    assert len(model.net.inp) == len(arch.layout) + 1  # one token per tensor + the timestep
    assert len(rows) == 2 * 2 and all(np.isfinite(r["loss"]) for r in rows)
    out = G.sample(model, 5, 10, seed=0, device="cpu", batch=3)
    assert out.shape == (5, arch.dim) and torch.isfinite(out).all()
    assert torch.equal(out, G.sample(model, 5, 10, seed=0, device="cpu", batch=3))  # deterministic
