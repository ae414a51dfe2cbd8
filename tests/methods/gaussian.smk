# The per-coordinate Gaussian's own stages (tests/methods/gaussian.py): zoo → samples. Everything
# after them is the shared DAG.


rule gaussian_training:
    input:
        data=lambda w: dataset_of("gaussian"),
    output:
        f"{R}/gaussian/weights/training.safetensors",
    params:
        zoo=lambda w: config["gaussian"]["zoo"],
        seed=config["seed"] + 500,
    log:
        logs("gaussian/training"),
    benchmark:
        bench("gaussian/training")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/eval.yaml"
    script:
        "scripts/gaussian_training.py"


rule gaussian_sample:
    input:
        training=f"{R}/gaussian/weights/training.safetensors",
    output:
        f"{R}/gaussian/weights/generated.safetensors",
    params:
        n=lambda w: config["gaussian"]["n_samples"],
        shrink=lambda w: config["gaussian"]["shrink"],
        seed=config["seed"] + 501,
    log:
        logs("gaussian/sample"),
    benchmark:
        bench("gaussian/sample")
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/eval.yaml"
    script:
        "scripts/gaussian_sample.py"
