import torch

from weightmem.nets.mlp import MLPArch
from weightmem.zoo.mlp import SGDRecipe, run_plan, train_mlp_single, train_mlp_zoo


def data(n=96, d=12, classes=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, :classes].argmax(1)).long()
    return x, y


def test_batched_equals_per_model_training():
    x, y = data()
    arch = MLPArch(12, 5, 4)
    recipe = SGDRecipe(epochs=3, batch_size=16, lr=0.1, checkpoints_per_run=4)
    seeds = [3, 11, 42, 7, 0]
    for chunk in (None, 2):  # one chunk, and several cache-sized chunks
        fast = train_mlp_zoo(arch, x, y, x, y, seeds, recipe, record=False, chunk=chunk,
                             show_progress=False)
        for r, s in enumerate(seeds):
            slow = train_mlp_single(arch, x, y, s, recipe)
            assert torch.allclose(fast[r], slow, atol=1e-5), f"run seed {s} differs"
    # runs really differ from each other (own init and data order)
    assert (fast[0] - fast[1]).abs().max() > 1e-2


def test_checkpoint_schedule_and_metadata():
    x, y = data()
    arch = MLPArch(12, 5, 4)
    recipe = SGDRecipe(epochs=4, batch_size=16, checkpoints_per_run=6)
    ws = train_mlp_zoo(arch, x, y, x[:40], y[:40], [0, 1, 2], recipe, show_progress=False)
    total = 4 * (96 // 16)
    assert len(ws) == 3 * 6
    for r in range(3):
        steps = [s for s, rr in zip(ws.rows["step"], ws.rows["run"]) if rr == r]
        assert steps[0] == 0 and steps[-1] == total and len(set(steps)) == 6
        assert steps == sorted(steps)
    plan = run_plan(arch, 1, recipe, 96)
    first = [i for i, (rr, s) in enumerate(zip(ws.rows["run"], ws.rows["step"])) if rr == 1 and s == 0][0]
    assert torch.equal(ws.weights[first], plan.init)  # iteration 0 = the random init
    # test loss decreases from init to the end on this separable toy problem
    init_loss = [l for l, s in zip(ws.rows["test_loss"], ws.rows["step"]) if s == 0]
    end_loss = [l for l, s in zip(ws.rows["test_loss"], ws.rows["step"]) if s == total]
    assert max(end_loss) < min(init_loss)
