"""Datasets for kerasdl experiments: embedded, scikit-learn bundled, Keras-cache and user CSV files.

Importing this package is cheap (no TensorFlow, Keras, pandas or scikit-learn) so that the CLI can list
datasets instantly; each loader imports what it needs when it runs. Loaders never download: Keras
datasets are read from the Keras cache, and a missing file is reported with the
`kerasdl datasets --download NAME` that fetches it (kerasdl.data.downloads, the one explicit download step).
"""

from kerasdl.data.dataset import Dataset
from kerasdl.data.info import DatasetInfo
from kerasdl.data.registry import available, load
from kerasdl.data.user_csv import load_csv

__all__ = ["Dataset", "DatasetInfo", "available", "load", "load_csv"]
