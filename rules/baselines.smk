# Baselines: the cheap ways to make "new" weights — Gaussian noise on the method's source set, in
# the units its declaration names.


rule noise_baseline:
    input:
        source=lambda w: noise_source(w.method),
    output:
        f"{R}/{{method}}/weights/noise{{amp}}.safetensors",
    params:
        noise=lambda w: noise_params(w.method),
        seed=seed("noise"),
    log:
        logs("{method}/baselines/noise{amp}"),
    benchmark:
        bench("{method}/baselines/noise{amp}")
    resources:
        mem_mb=need("noise_baseline"),
        runtime=20,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/noise_baseline.py"
