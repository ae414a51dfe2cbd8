"""Rule gpt_zoo_shard: train one shard of the MLP zoo, all its runs batched."""
import numpy as np

from weightmem.data.images import load_npz
from weightmem.io import save_weightset
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "gpt.zoo")  # noqa: F821
data = load_npz(snakemake.input.data)  # noqa: F821
ws = gpt.train_zoo_shard(data, snakemake.params.zoo, int(snakemake.wildcards.shard),  # noqa: F821
                         ctx.seed, ctx.device)
final = np.array(ws.rows["step"]) == max(ws.rows["step"])
ctx.log.info("%d checkpoints of %d runs; final test error %.2f%% ± %.2f", len(ws),
             len(set(ws.rows["run"])), np.mean(np.array(ws.rows["test_err"])[final]),
             np.std(np.array(ws.rows["test_err"])[final]))
save_weightset(ws, snakemake.output[0])  # noqa: F821
