"""Rule gpt_heldout_set: final checkpoints of the held-out runs (the copying test's H)."""
from weightmem.io import load_weightset, save_weightset
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "gpt.heldout")  # noqa: F821
ws = gpt.heldout_set(load_weightset(snakemake.input.zoo))  # noqa: F821
ctx.log.info("%d held-out models", len(ws))
save_weightset(ws, snakemake.output[0])  # noqa: F821
