"""Rule hyperrep_zoo_shard: train one shard of the CNN zoo, all its runs batched."""
import numpy as np

from weightmem.data.images import load_npz
from weightmem.io import save_weightset
from weightmem.methods.hyperrep import stages as hyperrep
from weightmem.runtime import script

ctx = script(snakemake, "hyperrep.zoo")  # noqa: F821
ws = hyperrep.train_zoo_shard(load_npz(snakemake.input.data), snakemake.params.zoo,  # noqa: F821
                              int(snakemake.wildcards.shard), ctx.seed, ctx.device)  # noqa: F821
acc, ep = np.array(ws.rows["test_acc"]), np.array(ws.rows["epoch"])
ctx.log.info("%d checkpoints of %d runs; final-epoch test accuracy %.3f ± %.3f (min %.3f)", len(ws),
             len(set(ws.rows["run"])), acc[ep == ep.max()].mean(), acc[ep == ep.max()].std(),
             acc[ep == ep.max()].min())
save_weightset(ws, snakemake.output[0])  # noqa: F821
