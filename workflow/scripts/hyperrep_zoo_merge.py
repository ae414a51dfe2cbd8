"""Rule hyperrep_zoo_merge: concatenate zoo shards (sorted by run, epoch)."""
from weightmem.io import load_weightset, save_weightset
from weightmem.methods.hyperrep import stages as hyperrep
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.zoo.merge")  # noqa: F821
ws = hyperrep.merge([load_weightset(p, require_finite=True) for p in snakemake.input])  # noqa: F821
ctx.log.info("merged %d checkpoints", len(ws))
save_weightset(ws, snakemake.output[0])  # noqa: F821
