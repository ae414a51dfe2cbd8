"""Rule hd_clouds: mesh every field of a weight set (marching cubes) and sample its point cloud."""
from weightmem.io import load_weightset
from weightmem.methods import hyperdiffusion as hd
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.clouds")  # noqa: F821
ws = load_weightset(snakemake.input[0])  # noqa: F821
out = hd.set_clouds(ws, snakemake.params.evaluation, ctx.seed + 31, ctx.device)  # noqa: F821
ctx.log.info("%s: %d fields, %d empty meshes, median %d faces", snakemake.wildcards.set, len(ws),  # noqa: F821
             int(out["empty"].sum()), int(out["faces"].median()))
hd.save_clouds(out, snakemake.output[0])  # noqa: F821
