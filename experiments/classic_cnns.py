"""
Title: Classic CNNs side by side — LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet, Inception v3, ResNet, DenseNet, MobileNet
Description: the small configuration of every named CNN of the notes trained on the same 8×8 digits,
with accuracy, parameters and time, next to each network's canonical (published) parameter count and
the notes' figures that are wrong.

Notes 001:1705-1763 survey the named architectures. Their canonical forms are ImageNet networks of
millions of parameters on 224×224×3 images; kerasdl builds each of them in two scales. `scale="small"`
keeps the topology — LeNet's tanh and average pooling, AlexNet's five convolutions and dropout,
ZFNet's strided second layer, VGG's 3×3 stacks, GoogLeNet's Inception modules, Inception v3's factorised
modules and grid reductions, ResNet's additive and
DenseNet's concatenative skips, MobileNet's depthwise-separable convolutions — with few filters, so
all of them train here on the 8×8 scikit-learn digits (one input size for all; no network needed a
larger one). `scale="canonical"` is the published network; in full mode the analysis builds each
(weights initialised to zeros, never trained) only to count its parameters, and builds
keras.applications.InceptionV3(weights=None) beside ours (nothing is downloaded). LeNet-5 is trained
twice: with the paper's average pooling (the builder's default) and with the max pooling that the
notes (001:1709) give it.
Two settings differ from the builders' defaults, both for training on 1,078 images: the batch-norm
momentum of the BN networks is 0.9 instead of Keras's 0.99 (with 0.99 their inference statistics lag
for ~10 epochs and validation accuracy stays at chance), and the small VGG-16 uses batch norm before
each activation (VGG-16-BN): without it its 13 narrow 3×3 layers (4 filters in the first block) did
not learn within the epoch budget.
"""

from __future__ import annotations

from kerasdl.harness import Experiment, Variant
from kerasdl.report.sections import Lines, Section, Table, Text

NAME = "classic-cnns"
TITLE = "Classic CNNs (small configurations) side by side on 8×8 digits, with canonical parameter counts"
NOTES_REF = "001:1705-1763"

## Setup
FIT = {"epochs": 30, "batch_size": 64, "patience": 8, "learning_rate": 3e-3}
BN = {"bn_momentum": 0.9}
# name, builder, api, hyperparameters, label
NETWORKS = (
    ("lenet5", "lenet5", "sequential", {}, "LeNet-5"),
    ("lenet5-max", "lenet5", "sequential", {"pool": "max"}, "LeNet-5, max pooling (as 001:1709)"),
    ("alexnet", "alexnet", "sequential", {}, "AlexNet"),
    ("zfnet", "zfnet", "sequential", {}, "ZFNet"),
    ("vgg16", "vgg", "sequential", {"variant": 16, "batch_norm": "before", "dropout": 0.2, **BN}, "VGG-16 (BN)"),
    ("googlenet", "googlenet", "functional", {}, "GoogLeNet"),
    ("inception_v3", "inception_v3", "functional", BN, "Inception v3"),
    ("resnet18", "resnet", "functional", {"depth": 18, **BN}, "ResNet-18"),
    ("densenet121", "densenet", "functional", {"variant": 121, **BN}, "DenseNet-121"),
    ("mobilenet", "mobilenet", "sequential", BN, "MobileNet"),
)
# Canonical builds for the parameter table: (row label, builder, hyperparameters, input shape, classes).
CANONICAL = {
    "lenet5": ("LeNet-5", "lenet5", {}, (32, 32, 1), 10),
    "lenet5-max": ("LeNet-5, max pooling", "lenet5", {"pool": "max"}, (32, 32, 1), 10),
    "alexnet": ("AlexNet", "alexnet", {}, (227, 227, 3), 1000),
    "zfnet": ("ZFNet", "zfnet", {}, (224, 224, 3), 1000),
    "vgg16": ("VGG-16", "vgg", {"variant": 16}, (224, 224, 3), 1000),
    "googlenet": ("GoogLeNet", "googlenet", {}, (224, 224, 3), 1000),
    "inception_v3": ("Inception v3", "inception_v3", {}, (299, 299, 3), 1000),
    "resnet18": ("ResNet-18", "resnet", {"depth": 18}, (224, 224, 3), 1000),
    "densenet121": ("DenseNet-121", "densenet", {"variant": 121}, (224, 224, 3), 1000),
    "mobilenet": ("MobileNet", "mobilenet", {}, (224, 224, 3), 1000),
    "resnet152": ("ResNet-152", "resnet", {"depth": 152}, (224, 224, 3), 1000),
}
# Published figures (papers or keras.applications, which reproduce them), cited, never computed here.
PUBLISHED = {
    "lenet5": "60,000 trainable (LeCun et al. 1998, with C3's partial connection table)",
    "lenet5-max": "pooling has no parameters: as LeNet-5",
    "alexnet": "60 million (Krizhevsky et al. 2012, two-GPU grouped convolutions)",
    "zfnet": "not stated as a total (Zeiler & Fergus 2013)",
    "vgg16": "138 million (Simonyan & Zisserman 2015, Table 2)",
    "googlenet": "≈ 6.8 million (sum of Szegedy et al. 2015, Table 1)",
    "inception_v3": "23,851,784 (keras.applications.InceptionV3, without the auxiliary classifier)",
    "resnet18": "11.7 million (torchvision resnet18, 11,689,512 trainable)",
    "densenet121": "8,062,504 (keras.applications.DenseNet121)",
    "mobilenet": "4.2 million (Howard et al. 2017, Table 8)",
    "resnet152": "60.2 million (torchvision resnet152); 60,419,944 with conv biases (keras.applications)",
}


def experiment() -> Experiment:
    """Ten small networks, one holdout split, one fit setting."""
    from kerasdl.probes import DIGITS_HOLDOUT

    ## Build the variants
    variants = [Variant(name, builder=builder, api=api, hyperparameters=hyper, label=label, **FIT)
                for name, builder, api, hyper, label in NETWORKS]
    ## Evaluate: one stratified 60/20/20 holdout of the digits
    return Experiment(name=NAME, title=TITLE, variants=variants, description=__doc__.split("\n\n", 1)[1].strip(),
                      notes_ref=NOTES_REF, analyze=analyze, **{**DIGITS_HOLDOUT, "quick_epochs": 1},
                      # --quick proves the path with a plain, a residual and a separable network; every
                      # builder's graph is still built and trained by tests/test_models.py
                      quick_variants=("lenet5", "resnet18", "mobilenet"))


## Canonical parameter counts
def canonical_parameter_count(key: str) -> int:
    """Build the canonical network `key` of CANONICAL (zero weights: cheaper than random, same count)."""
    import gc

    import keras

    from kerasdl import models

    _, builder, hyper, shape, classes = CANONICAL[key]
    model = models.build(builder, shape, classes, api=models.get(builder).apis[-1], scale="canonical",
                         initializer="zeros", **hyper)
    count = int(model.count_params())
    del model
    keras.backend.clear_session()
    gc.collect()
    return count


def keras_inception_v3_count() -> int:
    """keras.applications.InceptionV3(weights=None): the reference our canonical build is checked against.
    weights=None builds the graph only; nothing is downloaded."""
    import gc

    import keras

    count = int(keras.applications.InceptionV3(weights=None).count_params())
    keras.backend.clear_session()
    gc.collect()
    return count


def learned_layers(builder: str) -> dict[str, int]:
    """Conv2D and Dense layers of a small build at 8×8: the same layer list as the canonical network
    (scale changes widths, strides and padding, not the number of layers), without building 62M weights."""
    from kerasdl import models

    kinds = [type(layer).__name__ for layer in models.build(builder, (8, 8, 1), 10).layers]
    return {"Conv2D": kinds.count("Conv2D"), "Dense": kinds.count("Dense")}


def layer_counts(key: str) -> dict[str, int]:
    """Conv2D and Dense layers of a canonical build (used for LeNet-5's layer erratum)."""
    from kerasdl import models

    _, builder, hyper, shape, classes = CANONICAL[key]
    model = models.build(builder, shape, classes, scale="canonical", **hyper)
    kinds = [type(layer).__name__ for layer in model.layers]
    return {"Conv2D": kinds.count("Conv2D"), "Dense": kinds.count("Dense")}


## Analyse
def analyze(analysis) -> list[Section]:
    """Side-by-side table, curves, canonical counts (full mode), errata, findings."""
    from kerasdl.report.study_helpers import entry_metric, val_loss_section

    entries = [v for v in analysis.record["variants"] if v["status"] == "completed"]
    # Quick mode must stay fast: only LeNet-5's canonical network is built (the others take seconds
    # and up to ~1 GB each).
    keys = ["lenet5"] if analysis.quick else list(CANONICAL)
    counts = {key: canonical_parameter_count(key) for key in keys}
    keras_inception = None if analysis.quick else keras_inception_v3_count()
    return [
        _side_by_side(entries, counts),
        _inception_table(counts.get("inception_v3"), keras_inception),
        val_loss_section(analysis, entries, title="Validation loss per epoch"),
        Lines(title="Test accuracy against parameters (small configurations)",
              x_label="parameters (log scale)", y_label="test accuracy", log_x=True,
              series=[{"label": e["label"], "x": [e["parameter_count"]], "y": [entry_metric(e)]} for e in entries],
              caption="One point per network."),
        _errata(counts, entries),
        Text(title="What this run shows", body=_findings(analysis, entries, counts)),
    ]


def _side_by_side(entries, counts) -> Table:
    from kerasdl.report.study_helpers import entry_metric, fit_seconds

    rows = []
    for entry in entries:
        key = entry["name"]
        label, _, _, shape, classes = CANONICAL[key]
        rows.append([entry["label"], entry["parameter_count"], round(entry_metric(entry), 4),
                     round(fit_seconds(entry), 1),
                     sum(f.get("epochs_run") or 0 for f in entry["folds"]),
                     "×".join(str(d) for d in shape) + f", {classes} classes", counts.get(key, "full mode only"),
                     PUBLISHED[key]])
    return Table(title="Small configurations on 8×8 digits, and the canonical networks",
                 columns=["network", "parameters (small)", "test accuracy", "fit time (s)", "epochs run",
                          "canonical input", "parameters (canonical, built here)", "published"],
                 rows=rows,
                 caption="Small: trained here on 8×8×1 digits, 10 classes. Canonical: built (not trained) at the "
                         "published input size; its count is exact for this build.")


def _inception_table(ours, theirs) -> Table:
    """Canonical Inception v3 built by kerasdl beside keras.applications.InceptionV3(weights=None)."""
    full = "full mode only"
    agree = "—" if ours is None or theirs is None else ("equal" if ours == theirs else f"differ by {ours - theirs:,}")
    return Table(title="Inception v3: canonical parameters, kerasdl vs keras.applications",
                 columns=["build", "input", "parameters", "agreement"],
                 rows=[["kerasdl inception_v3(scale='canonical')", "299×299×3, 1000 classes",
                        f"{ours:,}" if ours else full, agree],
                       ["keras.applications.InceptionV3(weights=None)", "299×299×3, 1000 classes",
                        f"{theirs:,}" if theirs else full, agree]],
                 row_status=None if ours is None or theirs is None else ["ok" if ours == theirs else "mismatch"] * 2,
                 caption="Both built (not trained) in full mode; batch-norm moving statistics count, as Keras "
                         "counts them. The small Inception v3 trained above has one module of each kind at "
                         "width 1/8.")


def _errata(counts, entries=()) -> Table:
    """The notes' figures for these networks beside the published ones (CATALOG.md §6)."""
    from kerasdl.report.study_helpers import entry_metric

    rows, status = [], []
    vgg = counts.get("vgg16")
    rows.append(["VGG-16 parameters", "001:1734", "up to 95 million", "138 million (Table 2 of the paper)",
                 f"{vgg:,}" if vgg else "full mode only"])
    status.append("erratum")
    rows.append(["ResNet top-5 error, ILSVRC 2015", "001:1741", "15.43 %",
                 "3.57 % on the ImageNet test set (ensemble; He et al. 2016, Table 5); 4.49 % single ResNet-152 "
                 "on validation (Table 4). 15.3 % was AlexNet's 2012 result.", "not computable here"])
    status.append("erratum")
    r152 = counts.get("resnet152")
    rows.append(["ResNet-152 parameters", "001:1741", "over one million", "60.2 million (torchvision)",
                 f"{r152:,}" if r152 else "full mode only"])
    status.append("info")
    lenet = layer_counts("lenet5")
    rows.append(["LeNet-5 layers", "001:1709", "five convolution layers, two fully connected",
                 "C1, C3 convolutions; S2, S4 subsampling; C5 (a 5×5 convolution over 5×5 maps, i.e. fully "
                 "connected), F6, output",
                 f"{lenet['Conv2D']} Conv2D + {lenet['Dense']} Dense (C5, F6, output) in the canonical build"])
    status.append("erratum")
    by = {e["name"]: e for e in entries}
    accuracy = ("; test accuracy here: average " + f"{entry_metric(by['lenet5']):.4f}, max "
                f"{entry_metric(by['lenet5-max']):.4f}") if "lenet5" in by and "lenet5-max" in by else ""
    rows.append(["LeNet-5 pooling", "001:1709", "max-pooling between the convolutional layers",
                 "subsampling: the average of each 2×2 window times a trainable coefficient plus a bias "
                 "(LeCun et al. 1998); max pooling came later",
                 "builder default pool='avg' (the paper's averaging, without its trainable coefficient and bias); "
                 "pool='max' builds the notes' version" + accuracy])
    status.append("erratum")
    zf_layers = learned_layers("zfnet")
    rows.append(["ZFNet layers", "001:1723", "a total of seven layers",
                 "eight learned layers: five convolutional and three fully connected (Zeiler & Fergus 2013, "
                 "Fig. 3), like AlexNet",
                 f"{zf_layers['Conv2D']} Conv2D + {zf_layers['Dense']} Dense = "
                 f"{zf_layers['Conv2D'] + zf_layers['Dense']} in the zfnet builder"])
    status.append("erratum")
    alex, zf = counts.get("alexnet"), counts.get("zfnet")
    rows.append(["ZFNet vs AlexNet parameters", "001:1723", "relatively fewer parameters than AlexNet",
                 "same layer widths as AlexNet, smaller first kernel (7×7 vs 11×11)",
                 f"{zf:,} vs {alex:,} ({alex - zf:,} fewer)" if alex and zf else "full mode only"])
    status.append("ok" if alex and zf and zf < alex else "info")
    return Table(title="Figures in the notes beside the published ones",
                 columns=["claim", "notes", "notes' value", "published", "computed here"], rows=rows,
                 row_status=status,
                 caption="erratum: the notes' figure is wrong; info: true but misleading or not checkable here; "
                         "ok: confirmed by the build.")


def _findings(analysis, entries, counts) -> str:
    from kerasdl.report.study_helpers import accuracy_noise, entry_metric, still_improving

    if not entries:
        return "No network finished training."
    out = []
    by = {e["name"]: e for e in entries}
    n_test = entries[0]["folds"][0]["n_test"]
    ranked = sorted(entries, key=entry_metric, reverse=True)
    best = ranked[0]
    se = accuracy_noise(entry_metric(best), n_test)
    close = [e["label"] for e in ranked if entry_metric(best) - entry_metric(e) < 2 * se]
    out.append(
        "Test accuracy, best first: " + ", ".join(f"{e['label']} {entry_metric(e):.4f}" for e in ranked) + ". "
        f"With {n_test} test digits one standard error near the top is {se:.4f}; within two of the best: "
        f"{', '.join(close)}.")
    by_size = sorted(entries, key=lambda e: e["parameter_count"])
    largest = by_size[-1]
    out.append(
        f"Size: the small configurations range from {by_size[0]['parameter_count']:,} parameters "
        f"({by_size[0]['label']}) to {largest['parameter_count']:,} ({largest['label']}). The most accurate, "
        f"{best['label']} ({best['parameter_count']:,}), is number {by_size.index(best) + 1} of {len(by_size)} by "
        "size" + (": on 8×8 digits parameter count alone does not order these networks." if best is not largest
                  else ", the largest."))
    maps = {e["name"]: _map_side(e, "conv_3") for e in entries if e["name"] in ("alexnet", "zfnet")}
    if len(maps) == 2 and None not in maps.values():
        out.append(
            f"AlexNet vs ZFNet (same layer widths, {by['alexnet']['parameter_count']:,} parameters each here): "
            f"ZFNet's stride-2 second convolution leaves {maps['zfnet']} maps for its last three 3×3 convolutions "
            f"against AlexNet's {maps['alexnet']}"
            + (" (on a 1×1 map a 3×3 kernel with 'same' padding uses only its centre weight)"
               if maps["zfnet"] == "1×1" else "")
            + f", and it scores {entry_metric(by['zfnet']):.4f} vs {entry_metric(by['alexnet']):.4f}. "
            "The canonical ZFNet made that change for 224×224 images, to reduce aliasing; on 8×8 digits it "
            "shrinks the maps earlier.")
    if len(counts) > 1:
        ratios = [(CANONICAL[e["name"]][0], counts[e["name"]] / e["parameter_count"]) for e in entries
                  if e["name"] in counts]
        out.append("Canonical / small parameter ratio: " + ", ".join(f"{n} {r:,.0f}×" for n, r in ratios) + ".")
    else:
        out.append(f"Canonical LeNet-5 (32×32×1): {counts['lenet5']:,} parameters; the other canonical counts are "
                   "built in full mode only.")
    out.append(still_improving(entries))
    return "\n\n".join(part for part in out if part)


def _map_side(entry, layer: str) -> str | None:
    """'h×w' of a layer's output in the variant's model summary, e.g. '(None, 2, 2, 48)' → '2×2'."""
    shape = next((r["output_shape"] for r in entry["model_summary"] if r["name"] == layer), None)
    if not shape:
        return None
    dims = [d.strip() for d in shape.strip("()").split(",")]
    return "×".join(dims[1:3]) if len(dims) == 4 else None


if __name__ == "__main__":
    from kerasdl.cli import main

    raise SystemExit(main(["run", NAME, *__import__("sys").argv[1:]]))
