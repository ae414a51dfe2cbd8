"""Rule gpt_training_set: final checkpoints of the training runs + the normalisation factor."""
from weightmem.io import load_weightset, save_weightset
from weightmem.methods.gpt import stages as gpt
from weightmem.runtime import script

ctx = script(snakemake, "gpt.training")  # noqa: F821
ws = gpt.training_set(load_weightset(snakemake.input.zoo),  # noqa: F821
                      snakemake.params.target_std)  # noqa: F821
ctx.log.info("%d training models; normalisation factor %.4f", len(ws),
             ws.provenance["normalisation_scale"])
save_weightset(ws, snakemake.output[0])  # noqa: F821
