"""Datasets: packaged image sets (scikit-learn digits), downloads with checksums (MNIST, ...)."""
