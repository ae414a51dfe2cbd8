"""Rule seeds_report: every seed's findings side by side, and which hold in all seeds."""
import os
from pathlib import Path

from weightmem import seedreport
from weightmem.io import atomic_path, write_csv
from weightmem.runtime import script

ctx = script(snakemake, "seeds_report")  # noqa: F821
p, out = snakemake.params, snakemake.output  # noqa: F821
folders = dict(zip(p.seeds, p.folders))
findings, summaries = seedreport.read_runs(folders)
long = seedreport.by_seed(findings)
over = seedreport.across(long)
nums = seedreport.numbers(summaries)
for r in over.itertuples():
    ctx.log.info("%s %-14s %s", r.finding, r.method, r.status)
write_csv(long, out.by_seed)
write_csv(over, out.across)
write_csv(nums, out.numbers)
here = Path(out.page).parent
rel = {s: os.path.relpath(f, here) for s, f in folders.items()}
with atomic_path(out.page, suffix=".html") as tmp:
    Path(tmp).write_text(seedreport.html_page(over, long, nums, rel))
