"""Rule gpt_sample: one-step prompting from held-out random inits with target loss 0."""
from weightmem.data.images import load_npz
from weightmem.methods.gpt.generator import GptDenoiser, config_from_dict
from weightmem.io import load_state, load_weightset, save_weightset
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "gpt.sample")  # noqa: F821
state, meta = load_state(snakemake.input.model)  # noqa: F821
zoo = load_weightset(snakemake.input.zoo, expect_arch=meta["arch"])  # noqa: F821
model = GptDenoiser(zoo.layout, config_from_dict(meta["generator"]))
model.load_state_dict(state)
model.to(ctx.device)
s = snakemake.params.sampling  # noqa: F821
ws = gpt.generate(model, zoo, load_npz(snakemake.input.data), meta["scale"],  # noqa: F821
                  s["n_samples"], s["target_loss"], s["sample_steps"], ctx.seed, ctx.device)
n_bad = int((~ws.finite_rows()).sum())
ctx.log.info("generated %d models (%d with non-finite weights, kept and flagged)", len(ws), n_bad)
save_weightset(ws, snakemake.output[0])  # noqa: F821
