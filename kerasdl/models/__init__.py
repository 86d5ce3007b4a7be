"""Model builders, one module per family, behind a registry that lists them without TensorFlow."""

from kerasdl.models.registry import BuilderInfo, available, build, check, get, hyperparameters

__all__ = ["BuilderInfo", "available", "build", "check", "get", "hyperparameters"]
