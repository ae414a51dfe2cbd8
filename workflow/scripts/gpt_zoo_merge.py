"""Rule gpt_zoo_merge: concatenate zoo shards into one checkpoint set (sorted by run, step)."""
from weightmem.io import load_weightset, save_weightset
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "gpt.zoo.merge")  # noqa: F821
ws = gpt.merge([load_weightset(p) for p in snakemake.input])  # noqa: F821
ctx.log.info("merged %d checkpoints, %d diverged (kept, flagged)", len(ws),
             int((~ws.finite_rows()).sum()))
save_weightset(ws, snakemake.output[0])  # noqa: F821
