"""Datasets for kerasdl experiments: embedded, scikit-learn bundled, Keras-cache and user CSV files.

Importing this package is cheap (no TensorFlow, Keras, pandas or scikit-learn) so that the CLI can list
datasets instantly; each loader imports what it needs when it runs. Nothing is ever downloaded: Keras
datasets must already be in the Keras cache, and a missing file is reported with where to put it.
"""

from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetInfo
from kerasdl.data.registry import available, load
from kerasdl.data.user_csv import load_csv

__all__ = ["Dataset", "DatasetInfo", "available", "load", "load_csv"]
