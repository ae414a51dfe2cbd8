"""weightmem: do generative models of neural-network weights generalize or memorize?

The library behind the Snakemake workflow, one place per kind of thing:

* ``methods``    — the method contract (``Method``: the facts shared code reads) and one package
                   per method: its declaration, ``stages`` (zoo, fit, sample) and ``generator``;
* ``zoo``        — batched checkpoint zoos: ``mlp`` (G.pt), ``cnn`` (Hyper-Rep), ``field``
                   (HyperDiffusion's neural fields); P-diff's BN checkpoints are its own stage;
* ``nets``       — functional target networks, batched over models (mlp, cnn, field, resnet);
* ``generative`` — what generators are built from: ``diffusion`` (DDPM/DDIM), ``transformer``,
                   ``training`` (EMA, schedules);
* ``evaluation`` — ``weights`` (plain / aligned nearest neighbours), ``behaviour`` (accuracy,
                   error-IoU similarity), ``shapes`` (meshes, Chamfer), and the behaviour kinds
                   ``classifier`` and ``fields`` with the hooks the shared rules call;
* ``figures``    — figure data and drawing (``plots`` is the shared style; ``study`` the
                   four-panel figures over the methods and the invariance bars);
* ``baselines``, ``factors`` (modeling-factor variants), ``report`` (findings F1–F5), ``paper``
  (the paper's numbers beside this run's: config/paper_numbers.yaml);
* ``io`` (the WeightSet format), ``data`` (datasets), ``config`` (validation against the schema),
  ``seeds`` (the one table of seed offsets), ``runtime`` (device, logs, progress), ``shards``.

Facts of the study and of each method: docs/<method>.md.
"""
__version__ = "0.1.0"
