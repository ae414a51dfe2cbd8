"""Rule hd_sample: DDIM samples of field weights from the fitted generator."""
from weightmem.methods.hyperdiffusion.generator import HDDenoiser, config_from_dict
from weightmem.io import load_state, load_weightset, save_weightset
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.sample")  # noqa: F821
train = load_weightset(snakemake.input.training)  # noqa: F821
state, meta = load_state(snakemake.input.model)  # noqa: F821
model = HDDenoiser(train.layout, config_from_dict(meta["generator"]))
model.load_state_dict(state)
ws = hd.generate(model.to(ctx.device), train, snakemake.params.sampling, ctx.seed, ctx.device)  # noqa: F821
ctx.log.info("%d samples, %d non-finite", len(ws), int((~ws.finite_rows()).sum()))
save_weightset(ws, snakemake.output[0])  # noqa: F821
