"""Zoos trained in shards (several batched jobs): which runs a shard trains, and the merge."""
from __future__ import annotations

import numpy as np

from weightmem.io import WeightSet


def shard_indices(total: int, shards: int, shard: int, what: str) -> list[int]:
    """Indices (runs, shapes) of one shard (every ``shards``-th run). ``what`` names the config key
    (e.g. ``gpt.zoo.shards``) in the error."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} out of range ({what} = {shards})")
    return list(range(total))[shard::shards]


def merge_shards(shards: list[WeightSet], time_key: str) -> WeightSet:
    """One zoo from its shards, rows ordered by run, then by ``time_key`` (step or epoch)."""
    ws = WeightSet.concat(shards, stage="zoo")
    order = np.lexsort((np.array(ws.rows[time_key]), np.array(ws.rows["run"])))
    return ws.subset(order.tolist())
