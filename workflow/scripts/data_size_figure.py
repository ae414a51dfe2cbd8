"""Rule data_size_figure: the data-size table as four panels (weightmem.datasize.draw)."""
import pandas as pd

from weightmem import datasize
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "data_size.figure")  # noqa: F821
save_figure(datasize.draw(pd.read_csv(snakemake.input[0])), snakemake.output[0])  # noqa: F821
