"""The notes' table of contents: which topic a notes reference ("001:2006-2072") belongs to.

The index (reports/index.html) is laid out like the notes: studies and search units are grouped by
the topic of the notes lines they cite, in the notes' own order. The table below was read off the
headings of the five notes files (000..004; "001:915" is file 001, line 915): each `Part` is a
stretch of one file between two headings, the topic that stretch teaches, and the heading itself as
a short quote. The notes are not shipped with the package, so the quotes live here.

A study sits under the topic of the first line it cites (its NOTES_REF lists the main passage
first); every part any of its references overlaps is shown as a line the topic mirrors. Nothing
here names a study: a new study is placed by its NOTES_REF alone. Standard library only (the index
and `kerasdl list` import this).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["OTHER", "PARTS", "TOPICS", "Part", "Topic", "cited_parts", "parse_refs", "topic_of"]


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    summary: str  # the notes' own words for the topic, where a unit heading names it


@dataclass(frozen=True)
class Part:
    """Lines `first`..`last` of notes file `file` ("001"), teaching `topic`, headed `quote`."""

    file: str
    first: int
    last: int
    topic: str
    quote: str

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.first}-{self.last}"

    def overlaps(self, file: str, first: int, last: int) -> bool:
        return file == self.file and first <= self.last and last >= self.first


# In the order the issue and the notes' units give them; "search" holds every search unit.
TOPICS = (
    Topic("perceptron-mlp", "Perceptron and MLP", "neurons, activations, forward and backward pass (001 Unit I)"),
    Topic("training", "Training", "gradient descent, optimizers, losses, capacity, regularization (001 Unit I)"),
    Topic("convolution", "Convolution", "UNIT II CONVOLUTIONAL NEURAL NETWORKS (001:27)"),
    Topic("named-cnns", "Named CNNs", "\"Different types of CNN Architectures\" (001:1705)"),
    Topic("recurrent", "Recurrent networks", "UNIT III RECURRENT NEURAL NETWORKS (001:31)"),
    Topic("generative", "Autoencoders and generative models", "UNIT V AUTOENCODERS AND GENERATIVE MODELS (001:39)"),
    Topic("vision-tasks", "Vision tasks", "segmentation and object detection (002:381-485)"),
    Topic("evaluation", "Evaluation", "UNIT IV MODEL EVALUATION (001:35)"),
    Topic("search", "Hyperparameter search", "\"Manual Hyperparameter Tuning\", grid, random, Bayesian (001:3133)"),
)
# Studies whose NOTES_REF names no line (a paper, the syllabus in words) and runs of unregistered scripts.
OTHER = Topic("other", "Elsewhere", "studies that cite no notes line, and runs of your own scripts")

_P = Part
PARTS = (
    # 000: slides "Deep Learning and Object Detection"
    _P("000", 1, 75, "perceptron-mlp", "Introduction; Machine Learning Vs Deep Learning"),
    _P("000", 76, 128, "perceptron-mlp", "Perceptron; Activation function; Multi-layer perceptron"),
    _P("000", 129, 178, "training", "Full Batch Gradient Descent; Stochastic Gradient Descent; hyperparameters"),
    _P("000", 179, 210, "training", "Methods to prevent Overfitting"),
    _P("000", 211, 469, "perceptron-mlp", "Step-by-Step Procedure of Neural Network Operation Methodology"),
    _P("000", 470, 1304, "convolution", "Convolutional Neural Network: the convolution layer, stride, padding"),
    _P("000", 1305, 1326, "convolution", "Pooling"),
    _P("000", 1327, 1361, "convolution", "Output Dimensions & Output Layer"),
    _P("000", 1362, 1422, "recurrent", "Recurrent Neural Networks (RNN) Architecture"),
    _P("000", 1423, 1613, "recurrent", "a character level RNN where we have a word \"Hello\""),
    _P("000", 1614, 1641, "recurrent", "Back propagation in a Recurrent Neural Network (BPTT)"),
    _P("000", 1642, 1728, "recurrent", "Gated Recurrent Unit (GRU)"),
    _P("000", 1729, 1831, "recurrent", "Long Short-Term Memory (LSTM)"),
    _P("000", 1832, 1864, "recurrent", "Comparative Study CNN, RNN, GRU and LSTM"),
    _P("000", 1865, 1939, "evaluation", "Well Known 10 Evaluation Metrics for Classification Models"),
    _P("000", 1940, 1982, "evaluation", "ROC Curve; Precision-Recall Curve (PRC)"),
    # 001: course notes AD3501, units I-V (part A questions first, then part B)
    _P("001", 23, 26, "perceptron-mlp", "UNIT I DEEP NETWORKS BASICS"),
    _P("001", 27, 30, "convolution", "UNIT II CONVOLUTIONAL NEURAL NETWORKS"),
    _P("001", 31, 34, "recurrent", "UNIT III RECURRENT NEURAL NETWORKS"),
    _P("001", 35, 38, "evaluation", "UNIT IV MODEL EVALUATION"),
    _P("001", 39, 42, "generative", "UNIT V AUTOENCODERS AND GENERATIVE MODELS"),
    _P("001", 62, 162, "perceptron-mlp", "UNIT - I DEEP NETWORKS BASICS (questions)"),
    _P("001", 163, 176, "training", "What is Gradient based optimizer?"),
    _P("001", 177, 228, "training", "Why overfitting and underfitting in ML? What is capacity of a model?"),
    _P("001", 229, 256, "evaluation", "What are point estimators?"),
    _P("001", 257, 279, "training", "Define Stochastic Gradient Descent with merits and demerits."),
    _P("001", 280, 312, "perceptron-mlp", "What is a deep feedforward network?"),
    _P("001", 313, 324, "training", "What is Regularization? What is dropout in neural network?"),
    _P("001", 325, 460, "convolution", "UNIT II CONVOLUTIONAL NEURAL NETWORKS (questions)"),
    _P("001", 461, 500, "training", "List any two loss function; regularization techniques used in CNN"),
    _P("001", 501, 518, "perceptron-mlp", "What are the commonly used non linearity function using CNN?"),
    _P("001", 519, 854, "perceptron-mlp", "UNIT – I DEEP NETWORKS BASICS: linear algebra, probability"),
    _P("001", 855, 1021, "training", "Gradient based Optimization: batch, stochastic, mini-batch"),
    _P("001", 1022, 1102, "perceptron-mlp", "Basics in Machine Learning"),
    _P("001", 1103, 1158, "training", "Capacity; Over-fitting and under-fitting"),
    _P("001", 1159, 1218, "training", "Hyper-parameter"),
    _P("001", 1219, 1311, "evaluation", "Validation Sets; Cross Validation"),
    _P("001", 1312, 1359, "evaluation", "Estimators"),
    _P("001", 1360, 1439, "training", "Bias and Variance"),
    _P("001", 1440, 1474, "evaluation", "Challenges Motivating Deep Learning"),
    _P("001", 1475, 1509, "perceptron-mlp", "Deep Neural Network: Feed-Forward Neural Network"),
    _P("001", 1510, 1582, "training", "Regularization in Machine Learning"),
    _P("001", 1583, 1634, "training", "Optimization in Machine Learning"),
    _P("001", 1635, 1704, "convolution", "Introduction to Convolutional Neural Networks"),
    _P("001", 1705, 1764, "named-cnns", "Different types of CNN Architectures"),
    _P("001", 1765, 1818, "convolution", "Working of Convolutional Layers; Layers used to build ConvNets"),
    _P("001", 1819, 1869, "convolution", "Convolution Operation"),
    _P("001", 1870, 2005, "convolution", "Sparse Interactions; Parameter Sharing; Equivariant Representations"),
    _P("001", 2006, 2078, "convolution", "Pooling"),
    _P("001", 2079, 2118, "convolution", "Strided Convolution"),
    _P("001", 2119, 2160, "convolution", "Tiled Convolution; transposed convolution"),
    _P("001", 2161, 2197, "convolution", "Dilated Convolution"),
    _P("001", 2198, 2236, "perceptron-mlp", "CNN Learning: NonLinearity Functions"),
    _P("001", 2237, 2270, "training", "Loss Functions"),
    _P("001", 2271, 2399, "recurrent", "Introduction to RNN"),
    _P("001", 2400, 2440, "recurrent", "One-to-One, One-to-Many, Many-to-One, Many-to-Many"),
    _P("001", 2441, 2465, "recurrent", "Two Issues of Standard RNNs: vanishing and exploding gradients"),
    _P("001", 2466, 2493, "recurrent", "Variants RNN Architectures"),
    _P("001", 2494, 2591, "recurrent", "Encoder-Decoder Model; SEQUENCE TO SEQUENCE RNN"),
    _P("001", 2592, 2679, "recurrent", "BIDIRECTIONAL RNN"),
    _P("001", 2680, 2727, "recurrent", "RECURSIVE NEURAL NETWORKS"),
    _P("001", 2728, 2834, "recurrent", "Gated Architecture: LONG SHORT TERM MEMORY NETWORK (LSTM)"),
    _P("001", 2835, 2898, "training", "Skip connections are a type of shortcut"),
    _P("001", 2899, 2927, "training", "Dropouts"),
    _P("001", 2928, 3015, "evaluation", "PERFORMANCE METRICS for classification"),
    _P("001", 3016, 3062, "evaluation", "Performance Metrics for Regression"),
    _P("001", 3063, 3099, "evaluation", "BASELINE MODELS"),
    _P("001", 3100, 3132, "training", "HYPERPARAMETERS: List of Common Hyperparameters"),
    _P("001", 3133, 3181, "search", "Manual Hyperparameter Tuning; Grid Search; Random Search; Bayesian"),
    _P("001", 3182, 3423, "generative", "Introduction to Autoencoders"),
    _P("001", 3424, 3454, "generative", "Under complete autoencoders"),
    _P("001", 3455, 3557, "generative", "Regularized autoencoders"),
    _P("001", 3558, 3632, "generative", "Denoising autoencoder"),
    _P("001", 3633, 3677, "generative", "Stochastic Encoders and Decoders"),
    _P("001", 3678, 3766, "generative", "Deep Generative Models: Variational autoencoders"),
    _P("001", 3767, 3922, "generative", "Deep Generative Models: Generative Adversarial Networks"),
    # 002: handwritten RNN notes
    _P("002", 1, 112, "recurrent", "Why RNN? Task: Seq. of words given; predict the polarity."),
    _P("002", 113, 243, "recurrent", "Problem with this backprop; Need for LSTM / GRU; Deep RNN"),
    _P("002", 244, 302, "generative", "Generative Adversarial Networks"),
    _P("002", 303, 326, "recurrent", "Encoder - Decoder Model"),
    _P("002", 327, 380, "recurrent", "Attention Models"),
    _P("002", 381, 421, "vision-tasks", "Image Segmentation"),
    _P("002", 422, 485, "vision-tasks", "Object Detection: R-CNN, SSD, YOLO"),
    # 003: slides in the style of "Deep Learning with Python"
    _P("003", 1, 186, "perceptron-mlp", "Deep Learning; Neural Network with Single Neuron; Muti-layer Perceptron"),
    _P("003", 187, 265, "training", "Oversimplified Gradient Descent; SGD Variants; Momentum"),
    _P("003", 266, 296, "perceptron-mlp", "Activation Function"),
    _P("003", 297, 323, "training", "Types of Gradient descents; Optimization techniques"),
    _P("003", 324, 340, "training", "Loss Functions"),
    _P("003", 341, 389, "perceptron-mlp", "Keras: the Sequential model and the functional API"),
    _P("003", 390, 419, "perceptron-mlp", "Threshold Function; Sigmoid; ReLU"),
    _P("003", 420, 508, "training", "Overfitting; Underfitting; Regularization; Dropout"),
    _P("003", 509, 906, "convolution", "Convolution Neural Network"),
    _P("003", 907, 925, "perceptron-mlp", "Feedforward networks"),
    _P("003", 926, 1317, "recurrent", "Recurrent Neural Network"),
    _P("003", 1318, 1580, "generative", "Boltzmann Machine; Restricted Boltzmann Machine"),
    # 004: "Unit 4. Artificial Neural Network"
    _P("004", 1, 162, "perceptron-mlp", "Unit 4. Artificial Neural Network"),
    _P("004", 163, 216, "perceptron-mlp", "Components of FNNs; How Does a Feedforward Neural Network Work?"),
    _P("004", 217, 236, "training", "Gradient Descent"),
    _P("004", 237, 255, "convolution", "CNNs consist of three main types of layers"),
    _P("004", 256, 359, "perceptron-mlp", "How perceptron work? Single Layer Perceptron"),
    _P("004", 360, 429, "perceptron-mlp", "Backpropagation is short for \"backward propagation of errors.\""),
    _P("004", 430, 562, "training", "How Loss Function Works? Types of Loss Functions"),
    _P("004", 563, 699, "training", "Regularization Techniques; Dropout; Batch Normalization"),
    _P("004", 700, 905, "convolution", "Architectural Diagram of CNN"),
    _P("004", 906, 1010, "recurrent", "RNNs are a type of neural network that can model sequence data."),
    _P("004", 1011, 1125, "recurrent", "LSTM and GRUs"),
    _P("004", 1126, 1159, "recurrent", "GRU vs LSTM; time-series applications"),
)
del _P

_REF = re.compile(r"\b(\d{3}):(\d+)(?:\s*-\s*(\d+))?")


def parse_refs(notes_ref: str) -> list[tuple[str, int, int]]:
    """(file, first, last) of every "FFF:first[-last]" in a notes reference, in the order written;
    words around them ("syllabus", "Unit III") are ignored."""
    found = []
    for file, first, last in _REF.findall(str(notes_ref or "")):
        start, end = int(first), int(last or first)
        found.append((file, min(start, end), max(start, end)))
    return found


def _narrowest(file: str, line: int) -> Part | None:
    containing = [p for p in PARTS if p.file == file and p.first <= line <= p.last]
    return min(containing, key=lambda p: p.last - p.first) if containing else None


def topic_of(notes_ref: str) -> str:
    """The key of the topic of the first notes line cited that the table places; OTHER's key if none."""
    for file, first, _ in parse_refs(notes_ref):
        part = _narrowest(file, first)
        if part is not None:
            return part.topic
    return OTHER.key


def cited_parts(notes_refs: Iterable[str], topic: str | None = None) -> list[Part]:
    """Every part some reference overlaps (only `topic`'s parts when given), in the notes' order
    (file, then line), each once."""
    ranges = [r for ref in notes_refs for r in parse_refs(ref)]
    return [p for p in PARTS if (topic is None or p.topic == topic) and any(p.overlaps(*r) for r in ranges)]
