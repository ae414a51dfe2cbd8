"""Target networks written functionally: ``forward(params, x)`` with params batched over models.

An architecture is named by a short tag stored in every WeightSet (``WeightSet.arch``), so weights
describe themselves; :func:`get` turns a tag into its layout and batched forward function.
"""
from __future__ import annotations

from typing import Callable

from weightmem.nets import cnn, mlp

_FAMILIES: dict[str, Callable] = {"mlp": mlp.from_tag, "cnn": cnn.from_tag}


def get(arch: str, layout=None):
    """Return the :class:`~weightmem.nets.mlp.Arch`-like object for a tag such as ``mlp:64-10-10``.
    ``custom:<module>:<function>`` (a researcher's network run by their function,
    :mod:`weightmem.nets.custom`) needs the WeightSet's ``layout``; plain ``custom`` has no
    network."""
    family, _, spec = arch.partition(":")
    if family == "custom":
        if not spec:
            raise ValueError("architecture 'custom' (a researcher's layout) has no network here: "
                             "audit with --model module:function (or --arch TAG) to run it")
        if layout is None:
            raise ValueError(f"architecture '{arch}' needs the weight set's layout")
        from weightmem.nets.custom import CallableArch

        return CallableArch(spec, layout)
    if family not in _FAMILIES:
        raise ValueError(f"unknown architecture family '{family}' in tag '{arch}' "
                         f"(known: {sorted(_FAMILIES)})")
    return _FAMILIES[family](arch)


def register(family: str, from_tag: Callable) -> None:
    _FAMILIES[family] = from_tag
