"""weightmem: do generative models of neural-network weights generalize or memorize?

The library behind the Snakemake workflow. Organised by kind of thing: ``io`` (the WeightSet
format), ``data`` (datasets), ``nets`` (functional target networks, batched over models), ``zoo``
(batched training of checkpoint zoos), ``diffusion`` (one DDPM/DDIM module), ``generators``
(one module per method), ``baselines``, ``metrics`` and ``plots``.
"""
__version__ = "0.1.0"
