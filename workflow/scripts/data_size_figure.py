"""Rule data_size_figure: the data-size table as four panels (weightmem.figures.data_size)."""
import pandas as pd

from weightmem.figures import data_size
from weightmem.io import save_figure
from weightmem.runtime import script

ctx = script(snakemake, "data_size.figure")  # noqa: F821
save_figure(data_size.draw(pd.read_csv(snakemake.input[0])), snakemake.output[0])  # noqa: F821
