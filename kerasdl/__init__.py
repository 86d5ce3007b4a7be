"""kerasdl: the deep-learning lecture notes as runnable, comparable, reported Keras 3 experiments.

Importing the package is cheap on purpose (no TensorFlow): the CLI answers `--help` and `list`
without paying TensorFlow's start-up time. Submodules import Keras only where they build or fit.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
