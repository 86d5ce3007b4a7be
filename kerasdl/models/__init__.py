"""Model builders, one module per family, behind a registry that lists them without TensorFlow."""

from kerasdl.models.registry import BuilderInfo, available, build, get, hyperparameters

__all__ = ["BuilderInfo", "available", "build", "get", "hyperparameters"]
