# Baselines: the cheap ways to make "new" weights.


rule noise_baseline:
    input:
        source=lambda w: noise_source(w.method),
    output:
        f"{R}/{{method}}/weights/noise{{amp}}.safetensors",
    params:
        noise=lambda w: noise_params(w.method),
    log:
        f"{R}/logs/{{method}}/baselines/noise{{amp}}.log",
    resources:
        mem_mb=need("noise_baseline"),
        runtime=20,
    conda:
        "../envs/eval.yaml"
    script:
        "../workflow/scripts/noise_baseline.py"
