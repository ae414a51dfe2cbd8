"""Rule hd_split: list the mesh directory (sorted) and fix the train/val/test split once."""
from weightmem.io import write_csv
from weightmem.methods.hyperdiffusion import stages as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.split")  # noqa: F821
df = hd.split_table(snakemake.params.meshes, snakemake.params.shapes, ctx.seed)  # noqa: F821
ctx.log.info("split: %s", df.split.value_counts().to_dict())
write_csv(df, snakemake.output[0])  # noqa: F821
