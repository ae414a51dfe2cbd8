"""Rule hd_airplanes: write the embedded default's procedural airplane meshes (OBJ files)."""
from weightmem.data.shapes import write_airplanes
from weightmem.runtime import script

ctx = script(snakemake, "hyperdiffusion.airplanes")  # noqa: F821
p = snakemake.params.shapes  # noqa: F821
paths = write_airplanes(snakemake.output[0], p["count"], ctx.seed)  # noqa: F821
ctx.log.info("wrote %d airplane meshes to %s", len(paths), snakemake.output[0])  # noqa: F821
