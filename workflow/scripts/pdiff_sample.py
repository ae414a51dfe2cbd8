"""Rule pdiff_sample: unconditional samples (latent DDPM → decoder → de-normalisation)."""
from weightmem.io import load_state, save_weightset
from weightmem.methods.pdiff import stages as pdiff
from weightmem.runtime import progress, script

ctx = script(snakemake, "pdiff.sample")  # noqa: F821
state, meta = load_state(snakemake.input.model)  # noqa: F821
s = snakemake.params.sampling  # noqa: F821
ws = pdiff.generate(state, meta, s["n_samples"], s["sample_steps"], ctx.seed, ctx.device,
                    progress=progress)
ctx.log.info("%d samples, %d with non-finite values (kept and flagged)", len(ws),
             int((~ws.finite_rows()).sum()))
save_weightset(ws, snakemake.output[0])  # noqa: F821
