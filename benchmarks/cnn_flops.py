"""How close compute-bound training gets to this machine's arithmetic limit.

The limit is measured in the same run: the best fp32 FLOP/s of a compiled 2048×2048 matmul loop
(TensorFlow's oneDNN kernels on every core). Then ResNet-18 and a VGG-style net (kerasdl's `resnet`
depth 18 and `vgg` variant 11, canonical width) train on 64×64×3 synthetic batches of 32, each under
the settings worth trying on a CPU, and achieved FLOP/s = analytic FLOPs per step ÷ seconds per step:

* FLOPs: 2·H·W·k·k·C_in·C_out per convolution and 2·in·out per dense layer, per image, counted
  from the built model's layers (batch norm, activations and pooling are left out: a few percent);
  a training step is counted as 3× the forward pass (forward, gradient of inputs, of weights);
* settings: Keras defaults (channels-last, which oneDNN prefers on CPU; `jit_compile="auto"`),
  `jit_compile=True` (XLA), `steps_per_execution=8`, and mixed precision `mixed_bfloat16` when the
  CPU reports avx512_bf16 / amx_bf16 (the bf16 ratio is against the fp32 peak, so may exceed it).

Each setting trains `--steps` timed steps after warm-up steps, fed from a prefetched tf.data
pipeline of one repeated synthetic batch (data loading is not what is measured).
Results: benchmarks/results/cnn_flops.json.

    python benchmarks/cnn_flops.py [--steps 12] [--batch 32] [--nets resnet18,vgg11]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
NETS = {"resnet18": ("resnet", {"api": "functional", "depth": 18, "scale": "canonical"}),
        "vgg11": ("vgg", {"api": "sequential", "variant": 11, "scale": "canonical"})}


def matmul_peak(n: int = 2048, repeat: int = 5, inner: int = 10) -> float:
    """Best fp32 FLOP/s of `inner` chained n×n matmuls in one compiled function."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n)) / n ** 0.5

    @tf.function
    def chain(x):
        for _ in range(inner):
            x = tf.matmul(x, b)
        return x

    chain(a).numpy()  # trace and warm up
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        chain(a).numpy()
        best = min(best, time.perf_counter() - start)
    return 2.0 * n ** 3 * inner / best


def forward_flops(model) -> float:
    """Multiply-adds ×2 of every convolution and dense layer, per image."""
    import keras

    total = 0.0
    for layer in _layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            c_in = layer.input.shape[-1] // layer.groups
            total += 2.0 * h * w * kh * kw * c_in * c_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units
    return total


def _layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _layers(layer)
        else:
            yield layer


def bf16_supported() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def train_rate(net: str, setting: str, *, batch: int, steps: int) -> dict:
    """Seconds per training step and achieved FLOP/s of one net under one setting."""
    import keras
    import numpy as np
    import tensorflow as tf

    from kerasdl import models

    keras.config.set_dtype_policy("mixed_bfloat16" if setting == "mixed_bfloat16" else "float32")
    keras.utils.set_random_seed(0)
    builder, hyper = NETS[net]
    model = models.build(builder, (64, 64, 3), 10, **hyper)
    flops = forward_flops(model)
    compile_options = {"jit_compile": True} if setting == "jit_compile" else {}
    spe = 8 if setting == "steps_per_execution_8" else 1
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=spe, **compile_options)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, 64, 64, 3)).astype("float32")
    y = rng.integers(0, 10, size=batch)
    data = tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(tf.data.AUTOTUNE)
    warm = max(spe, 2)
    model.fit(data, steps_per_epoch=warm, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)
    seconds = (time.perf_counter() - start) / steps
    keras.config.set_dtype_policy("float32")
    return {"net": net, "setting": setting, "batch": batch, "steps": steps, "forward_flops_per_image": flops,
            "train_flops_per_step": 3.0 * flops * batch, "seconds_per_step": seconds,
            "achieved_flops": 3.0 * flops * batch / seconds, "parameters": int(model.count_params())}


def _summary(peak: float, rows: list[dict]) -> dict:
    for row in rows:
        if "achieved_flops" in row:
            row["fraction_of_peak"] = row["achieved_flops"] / peak
    best: dict = {}
    for row in rows:
        if "fraction_of_peak" in row and row["fraction_of_peak"] > best.get(row["net"], {}).get("fraction_of_peak", 0):
            best[row["net"]] = row
    return {"matmul_peak_flops": peak, "matmul": "2048x2048 fp32, best of 5 x 10 chained", "rows": rows,
            "best": {net: {"setting": r["setting"], "fraction_of_peak": r["fraction_of_peak"]} for net, r in best.items()},
            "target_fraction": 0.5, "bf16_supported": bf16_supported()}


def _save(result: dict) -> Path:
    out = write_result("cnn_flops.json", result)
    return out


def measure(nets: list[str], steps: int, batch: int) -> dict:
    settings = ["keras_defaults", "jit_compile", "steps_per_execution_8"]
    if bf16_supported():
        settings.append("mixed_bfloat16")
    peak_before = matmul_peak()
    rows = []
    for net in nets:
        for setting in settings:
            try:
                row = train_rate(net, setting, batch=batch, steps=steps)
            except Exception as error:  # noqa: BLE001 - a setting this TensorFlow build cannot run is a result too
                row = {"net": net, "setting": setting, "error": f"{type(error).__name__}: {str(error)[:200]}"}
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "forward_flops_per_image"}), flush=True)
            _save(_summary(peak_before, rows))  # a long run cut short still leaves what it measured
    peak = max(peak_before, matmul_peak())  # before and after: the machine's load may change meanwhile
    return _summary(peak, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--nets", default="resnet18,vgg11")
    args = parser.parse_args()
    result = measure(args.nets.split(","), args.steps, args.batch)
    out = _save(result)
    print(f"matmul peak {result['matmul_peak_flops'] / 1e9:.1f} GFLOP/s")
    for row in result["rows"]:
        if "fraction_of_peak" in row:
            print(f"{row['net']:9s} {row['setting']:22s} {row['achieved_flops'] / 1e9:6.1f} GFLOP/s "
                  f"= {row['fraction_of_peak']:.2f} of peak ({row['seconds_per_step'] * 1e3:.0f} ms/step)")
        else:
            print(f"{row['net']:9s} {row['setting']:22s} {row['error']}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
