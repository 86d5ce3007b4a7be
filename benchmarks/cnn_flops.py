"""How close compute-bound training gets to this machine's arithmetic limit.

The limit is measured in the same run: fp32 FLOP/s of a compiled loop of ten chained 2048×2048
matmuls (TensorFlow's oneDNN kernels, default thread pools, as the training steps use), sampled
before every round of training steps so that both see the same load. Then ResNet-18 and a VGG-style
net (kerasdl's `resnet` depth 18 and `vgg` variant 11, canonical width) train on 64×64×3 synthetic
batches under each setting worth trying on a CPU, and achieved FLOP/s = FLOPs per step ÷ s per step.

* FLOPs: 2·H·W·k·k·C_in·C_out per convolution and 2·in·out per dense layer, per image, counted from
  the built model's layers (batch norm, activations, pooling left out: TensorFlow's own profiler
  count of the forward graph, `tf_profiler_forward_flops_per_image`, agrees within 0.2 %). A
  training step is 3× the forward pass (forward, gradient of the inputs, gradient of the weights;
  the profiler counts 3.00× on the training graph) minus the first layer's input gradient, which
  nothing consumes and TensorFlow prunes before running (1-2 % of a step).
* Two fractions of the peak. `fraction_of_peak`: best wall-clock step time against the best
  wall-clock matmul rate. This machine's 2 cores are shared, and a 1 s matmul sample catches a
  quiet moment more easily than several seconds of training, so the wall ratio is noisy and biased
  low under load. `fraction_of_peak_cpu_time`: FLOPs per CPU-second of this process (all threads),
  training against the matmul loop, which is what the arithmetic achieves whatever share of the
  cores the process got. Spinning threads count against it; a thread asleep while its partner works
  would flatter it, but with one TensorFlow thread (nothing to hide) it measured the same.
* Settings: `keras_defaults` (model.fit, channels-last, `jit_compile="auto"`, which is off on a CPU);
  `tf_function_step` (a plain `tf.function` train step, no Keras loop; not run by default: it
  measured the same as keras_defaults); `batch_x2` / `batch_x4` (twice / four times `--batch`);
  `fused_batchnorm` (nets with batch norm: each BatchNormalization swapped for one fused
  FusedBatchNormV3 kernel — Keras 3 computes batch norm from separate mean/variance/scale ops);
  `steps_per_execution` (min(8, steps) steps per call); `jit_compile` (XLA); and `mixed_bfloat16`
  when the CPU reports avx512_bf16 / amx_bf16 (its ratio is against the fp32 peak, so may exceed 1).
  Settings combine with "+"; the default run adds `fused_batchnorm+batch_x2`,
  `fused_batchnorm+batch_x4` (the best fp32 found) and `mixed_bfloat16+fused_batchnorm+batch_x4`.
  Not settings, because they measured worse in separate processes (they must be set before
  TensorFlow starts): TF_ENABLE_ONEDNN_OPTS=0 (Eigen kernels, 5-10× slower) and one inter-op thread.
* Steady state: every setting's model is built and warmed by one execution first, then the settings
  take turns for `--rounds` rounds (`--steps` timed steps each in total), so that a burst of load
  from elsewhere hits all of them; the step time is the best round.
* Data: one synthetic batch repeated through a prefetched tf.data pipeline (fit) or held as a
  tensor (tf.function step): data loading is not what is measured.
* Where the gap goes (on by default, `--no-profile` skips it): two `keras_defaults` steps under
  TensorFlow's profiler, op time summed by kind (forward / input-gradient / filter-gradient
  convolutions, matmul, batch norm and elementwise, weight update); and `conv_layers_alone`: each
  distinct convolution of the net run alone (forward and both gradients) for its FLOPs per
  CPU-second, so that the step splits into its convolutions at their own speed and the rest.

Results: benchmarks/results/cnn_flops.json.

    python benchmarks/cnn_flops.py [--steps 12] [--rounds 2] [--batch 32] [--nets resnet18,vgg11]
                                   [--settings keras_defaults,...] [--no-profile]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import tempfile
import time
from pathlib import Path

from _results import write_result  # benchmarks/ is on sys.path when a script runs

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
NETS = {"resnet18": ("resnet", {"api": "functional", "depth": 18, "scale": "canonical"}),
        "vgg11": ("vgg", {"api": "sequential", "variant": 11, "scale": "canonical"})}
#: every setting `--settings` accepts; several can be joined with "+" (e.g. "fused_batchnorm+batch_x2")
SETTINGS = ("keras_defaults", "tf_function_step", "batch_x2", "batch_x4", "fused_batchnorm", "steps_per_execution",
            "jit_compile", "mixed_bfloat16")
#: the default run: tf_function_step is left out because it measured the same as keras_defaults (the
#: Keras loop costs nothing next to a 0.1-1.3 s step); fused_batchnorm+batch_x4 is the best fp32 ResNet-18
#: found, and the last combines it with bfloat16
DEFAULT_SETTINGS = ("keras_defaults", "batch_x2", "batch_x4", "fused_batchnorm", "fused_batchnorm+batch_x2",
                    "fused_batchnorm+batch_x4", "steps_per_execution", "jit_compile", "mixed_bfloat16",
                    "mixed_bfloat16+fused_batchnorm+batch_x4")
MATMUL_N, MATMUL_CHAIN = 2048, 10
LOAD_START = os.getloadavg()


def matmul_peak(n: int = MATMUL_N, repeat: int = 3, inner: int = MATMUL_CHAIN) -> tuple[float, float]:
    """Best fp32 FLOP/s of `inner` chained n×n matmuls in one compiled function: (per wall second, per CPU second)."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n)) / n ** 0.5

    @tf.function
    def chain(x):
        for _ in range(inner):
            x = tf.matmul(x, b)
        return x

    chain(a).numpy()  # trace and warm up
    wall = cpu = float("inf")
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        chain(a).numpy()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - cpu_start)
    flops = 2.0 * n ** 3 * inner
    return flops / wall, flops / cpu


def _compute_layers(model):
    import keras

    for layer in _layers(model):
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            yield layer


def _layer_flops(layer) -> float:
    import keras

    if isinstance(layer, keras.layers.Conv2D):
        _, h, w, c_out = layer.output.shape
        kh, kw = layer.kernel_size
        c_in = layer.input.shape[-1] // layer.groups
        return 2.0 * h * w * kh * kw * c_in * c_out
    return 2.0 * layer.input.shape[-1] * layer.units


def forward_flops(model) -> float:
    """Multiply-adds ×2 of every convolution and dense layer, per image."""
    return sum(_layer_flops(layer) for layer in _compute_layers(model))


def train_flops(model) -> float:
    """Per image: forward + input gradient + weight gradient, less the first layer's unused input gradient."""
    return 3.0 * forward_flops(model) - _layer_flops(next(_compute_layers(model)))


def profiler_flops(model) -> float:
    """TensorFlow's own count (tf.compat.v1.profiler) of the forward graph's float operations, per image."""
    import tensorflow as tf

    graph = tf.function(lambda x: model(x, training=False)).get_concrete_function(
        tf.TensorSpec((1, *model.input_shape[1:]))).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return float(tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops)


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


def _fused_batchnorm(model):
    """The same network with every BatchNormalization computed by one FusedBatchNormV3 kernel per call."""
    import keras
    import tensorflow as tf

    class FusedBatchNorm(keras.layers.Layer):
        def __init__(self, source, **kwargs):
            # autocast off: under mixed precision the fused kernel takes bfloat16 inputs with float32 scale,
            # offset and statistics (FusedBatchNormV3's T and U), as Keras keeps batch norm's weights
            super().__init__(name=f"{source.name}_fused", autocast=False, **kwargs)
            self.epsilon, self.momentum = source.epsilon, source.momentum

        def build(self, shape):
            channels = (shape[-1],)
            self.gamma = self.add_weight(shape=channels, initializer="ones", name="gamma")
            self.beta = self.add_weight(shape=channels, initializer="zeros", name="beta")
            self.moving_mean = self.add_weight(shape=channels, initializer="zeros", trainable=False, name="mean")
            self.moving_variance = self.add_weight(shape=channels, initializer="ones", trainable=False,
                                                   name="variance")

        def call(self, x, training=False, mask=None):
            if not training:
                return tf.compat.v1.nn.fused_batch_norm(x, self.gamma, self.beta, self.moving_mean,
                                                        self.moving_variance, epsilon=self.epsilon,
                                                        is_training=False)[0]
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(x, self.gamma, self.beta, epsilon=self.epsilon)
            self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1 - self.momentum))
            self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1 - self.momentum))
            return y

    def clone(layer):
        if isinstance(layer, keras.layers.BatchNormalization):
            return FusedBatchNorm(layer)
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(model, clone_function=clone)


class NothingToFuse(Exception):
    """`fused_batchnorm` on a net without batch norm would repeat `keras_defaults`."""


class Trainer:
    """One net under one setting: built, compiled and warmed up, then timed in rounds by `run`."""

    def __init__(self, net: str, setting: str, *, batch: int, steps: int):
        import keras
        import numpy as np
        import tensorflow as tf

        from kerasdl import models

        self.net, self.setting = net, setting
        parts = set(setting.split("+"))
        self.batch = batch * (4 if "batch_x4" in parts else 2 if "batch_x2" in parts else 1)
        self.spe = min(8, steps) if "steps_per_execution" in parts else 1
        keras.config.set_dtype_policy("mixed_bfloat16" if "mixed_bfloat16" in parts else "float32")
        try:
            keras.utils.set_random_seed(0)
            builder, hyper = NETS[net]
            model = models.build(builder, (64, 64, 3), 10, **hyper)
            if "fused_batchnorm" in parts:
                if not any(isinstance(layer, keras.layers.BatchNormalization) for layer in _layers(model)):
                    raise NothingToFuse(net)
                model = _fused_batchnorm(model)
        finally:
            keras.config.set_dtype_policy("float32")
        self.model = model
        rng = np.random.default_rng(0)
        x = rng.normal(size=(self.batch, 64, 64, 3)).astype("float32")
        y = rng.integers(0, 10, size=self.batch)
        if "tf_function_step" in parts:
            optimizer, loss = keras.optimizers.SGD(), keras.losses.SparseCategoricalCrossentropy()
            optimizer.build(model.trainable_variables)
            x, y = tf.constant(x), tf.constant(y)

            @tf.function
            def step():
                with tf.GradientTape() as tape:
                    value = loss(y, model(x, training=True))
                optimizer.apply(tape.gradient(value, model.trainable_variables), model.trainable_variables)
                return value

            def train(executions):
                for _ in range(executions):
                    value = step()
                value.numpy()
            self.optimizer = optimizer
        else:
            model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=self.spe,
                          jit_compile=True if "jit_compile" in parts else "auto")
            data = tf.data.Dataset.from_tensors((x, y)).repeat().prefetch(tf.data.AUTOTUNE)

            def train(executions):
                model.fit(data, steps_per_epoch=executions * self.spe, epochs=1, verbose=0, shuffle=False)
            self.optimizer = model.optimizer
        self._train = train
        train(1)  # trace (and compile) and warm up: oneDNN creates its primitives on the first call
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.timed = 0

    def run(self, steps: int) -> None:
        """Time about `steps` steps (whole executions); the divisor is the optimizer's own step count."""
        executions = max(1, round(steps / self.spe))
        before = int(self.optimizer.iterations.numpy())
        start, cpu_start = time.perf_counter(), time.process_time()
        self._train(executions)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        done = int(self.optimizer.iterations.numpy()) - before
        self.timed += done
        self.wall.append(wall / done)
        self.cpu.append(cpu / done)

    def row(self) -> dict:
        per_image = train_flops(self.model)
        per_step = per_image * self.batch
        wall, cpu = min(self.wall), min(self.cpu)
        return {"net": self.net, "setting": self.setting, "batch": self.batch, "steps_per_execution": self.spe,
                "timed_steps": self.timed, "rounds": len(self.wall),
                "forward_flops_per_image": forward_flops(self.model), "train_flops_per_step": per_step,
                "seconds_per_step": wall, "seconds_per_step_rounds": self.wall,
                "cpu_seconds_per_step": cpu, "achieved_flops": per_step / wall,
                "achieved_flops_per_cpu_second": per_step / cpu, "parameters": int(self.model.count_params())}


OP_KINDS = {"Conv2D": "conv forward", "FusedConv2D": "conv forward", "DepthwiseConv2dNative": "conv forward",
            "Conv2DBackpropInput": "conv input gradient", "Conv2DBackpropFilter": "conv filter gradient",
            "Conv2DBackpropFilterWithBias": "conv filter gradient", "MatMul": "matmul", "FusedMatMul": "matmul",
            "BatchMatMulV2": "matmul", "AssignSubVariableOp": "weight update", "AssignVariableOp": "weight update",
            "ResourceApplyGradientDescent": "weight update"}


def _kind(op_type: str) -> str:
    for prefix in ("_MklNative", "_Mkl"):
        op_type = op_type.removeprefix(prefix)
    return OP_KINDS.get(op_type, "batch norm, activations, pooling, other")


def profile(trainer: Trainer, steps: int = 2) -> dict:
    """Op time by kind over `steps` profiled steps of `trainer`, from TensorFlow's profiler trace (XPlane)."""
    import keras
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            trainer.run(steps)
        finally:
            tf.profiler.experimental.stop()
        trainer.wall.pop(), trainer.cpu.pop()  # profiled steps are slower: not timings
        trainer.timed -= steps
        space = xplane_pb2.XSpace()
        space.ParseFromString(Path(sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]).read_bytes())
    seconds: collections.Counter = collections.Counter()
    for plane in space.planes:
        if not plane.name.startswith("/host:CPU"):
            continue
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                # TensorFlow op events are "name:OpType"; function calls ("…: __inference…") and executor
                # or iterator frames ("…::…") contain the ops, so counting them would count the ops twice.
                op_type = name.rsplit(":", 1)[1].strip() if ":" in name and "::" not in name else ""
                if op_type and "__inference" not in op_type:
                    seconds[_kind(op_type)] += event.duration_ps / 1e12 / steps
    total = sum(seconds.values())
    convolutions = [layer for layer in _compute_layers(trainer.model) if isinstance(layer, keras.layers.Conv2D)]
    conv_forward = trainer.batch * sum(_layer_flops(layer) for layer in convolutions)
    first = trainer.batch * _layer_flops(convolutions[0])  # the stem's input gradient is pruned
    flops = {"conv forward": conv_forward, "conv input gradient": conv_forward - first,
             "conv filter gradient": conv_forward}
    return {"net": trainer.net, "setting": trainer.setting, "batch": trainer.batch,
            "note": "op seconds per step summed over TensorFlow's threads (inter-op ops can overlap, so the "
                    "sum may exceed the wall time); conv GFLOP/s = that kind's FLOPs ÷ its op seconds",
            "op_seconds_per_step": {kind: round(value, 4) for kind, value in seconds.most_common()},
            "share": {kind: round(value / total, 3) for kind, value in seconds.most_common()},
            "conv_gflops_per_op_second": {kind: round(flops[kind] / seconds[kind] / 1e9, 1)
                                          for kind in flops if seconds.get(kind)}}


def conv_layers(trainer: Trainer, repeat: int = 3, calls: int = 3) -> dict:
    """Each convolution of the net alone (forward + both gradients, fp32, the step's batch): its FLOPs per
    CPU-second. Their FLOP-weighted time is what the whole step would cost if nothing but convolutions
    ran, each as fast as in isolation; the rest of the step's CPU time is everything else."""
    import keras
    import tensorflow as tf

    shapes = collections.Counter()
    for layer in _compute_layers(trainer.model):
        if isinstance(layer, keras.layers.Conv2D):
            shapes[(tuple(layer.input.shape[1:]), layer.kernel_size, layer.strides, layer.filters,
                    layer is next(_compute_layers(trainer.model)))] += 1
    rows, conv_seconds = [], 0.0
    for (shape, kernel, strides, filters, first), count in shapes.items():
        x = tf.random.normal((trainer.batch, *shape))
        w = tf.Variable(tf.random.normal((*kernel, shape[-1], filters)) * 0.05)

        upstream = tf.random.normal((trainer.batch, -(-shape[0] // strides[0]), -(-shape[1] // strides[1]), filters))

        @tf.function
        def step(x=x, w=w, first=first, upstream=upstream):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.nn.conv2d(x, w, strides, "SAME")
            # the stem's input gradient is not needed (as in training); one element of each result is
            # returned so that nothing is pruned and no elementwise work is added
            gradients = tape.gradient(y, [w] if first else [x, w], output_gradients=upstream)
            return y[0, 0, 0, 0] + sum(g[(0,) * len(g.shape)] for g in gradients)

        step().numpy()
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            for _ in range(calls):
                step().numpy()
            best = min(best, (time.process_time() - start) / calls)
        out = -(-shape[0] // strides[0]) * -(-shape[1] // strides[1])
        flops = 2.0 * trainer.batch * out * kernel[0] * kernel[1] * shape[-1] * filters * (2 if first else 3)
        conv_seconds += count * best
        rows.append({"input": list(shape), "kernel": list(kernel), "strides": list(strides), "filters": filters,
                     "count": count, "cpu_seconds": best, "flops_per_cpu_second": flops / best})
    return {"net": trainer.net, "batch": trainer.batch, "convolutions": rows,
            "conv_cpu_seconds_per_step": conv_seconds}


def _summary(peaks: list[tuple[float, float]], rows: list[dict], profiles: list[dict], layers: list[dict],
             rounds: int) -> dict:
    peak = max(wall for wall, _ in peaks)
    cpu_peak = max(cpu for _, cpu in peaks)
    for entry in layers:
        for conv in entry["convolutions"]:
            conv["fraction_of_peak_cpu_time"] = conv["flops_per_cpu_second"] / cpu_peak
        step = next((row for row in rows if row["net"] == entry["net"] and row.get("setting") == "keras_defaults"
                     and "cpu_seconds_per_step" in row), None)
        if step:
            entry["step_cpu_seconds"] = step["cpu_seconds_per_step"]
            entry["isolated_conv_share_of_step"] = entry["conv_cpu_seconds_per_step"] / step["cpu_seconds_per_step"]
            entry["isolated_conv_fraction_of_peak_cpu_time"] = (
                step["train_flops_per_step"] / entry["conv_cpu_seconds_per_step"] / cpu_peak)
    for row in rows:
        if "achieved_flops" in row:
            row["fraction_of_peak"] = row["achieved_flops"] / peak
            row["fraction_of_peak_cpu_time"] = row["achieved_flops_per_cpu_second"] / cpu_peak
    best: dict = {}
    for row in rows:
        if "mixed_bfloat16" not in row.get("setting", "") and "fraction_of_peak" in row:
            if row["fraction_of_peak_cpu_time"] > best.get(row["net"], {}).get("fraction_of_peak_cpu_time", 0):
                best[row["net"]] = row
    return {"matmul_peak_flops": peak, "matmul_peak_flops_per_cpu_second": cpu_peak,
            "matmul_samples": [{"wall": wall, "cpu": cpu} for wall, cpu in peaks],
            "matmul": f"{MATMUL_N}x{MATMUL_N} fp32, {MATMUL_CHAIN} chained in one tf.function, best of 3 per sample, "
                      "one sample before each round",
            "rounds": rounds, "rows": rows, "profiles": profiles, "conv_layers_alone": layers,
            "best_fp32": {net: {"setting": r["setting"], "fraction_of_peak": r["fraction_of_peak"],
                                "fraction_of_peak_cpu_time": r["fraction_of_peak_cpu_time"]}
                          for net, r in best.items()},
            "target_fraction": 0.5, "bf16_supported": bf16_supported(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_start": LOAD_START,
            "load_end": os.getloadavg()}


def measure(nets: list[str], settings: list[str], steps: int, rounds: int, batch: int, with_profile: bool) -> dict:
    peaks, rows, profiles, layers = [], [], [], []
    for net in nets:
        trainers = []
        for setting in settings:
            if "mixed_bfloat16" in setting.split("+") and not bf16_supported():
                continue
            try:
                trainer = Trainer(net, setting, batch=batch, steps=steps)
            except NothingToFuse:
                continue
            except Exception as error:  # noqa: BLE001 - a setting this TensorFlow build cannot run is a result too
                rows.append({"net": net, "setting": setting, "error": f"{type(error).__name__}: {str(error)[:200]}"})
                continue
            trainers.append(trainer)
        if with_profile and trainers and trainers[0].setting == "keras_defaults":
            profiles.append(profile(trainers[0]))
            layers.append(conv_layers(trainers[0]))
            profiles[-1]["tf_profiler_forward_flops_per_image"] = profiler_flops(trainers[0].model)
            profiles[-1]["forward_flops_per_image"] = forward_flops(trainers[0].model)
        for round_ in range(rounds):
            peaks.append(matmul_peak())
            share = max(1, steps // rounds + (1 if round_ < steps % rounds else 0))
            for trainer in trainers:
                # XLA's CPU convolutions make a step 2-10× slower: one step a round tells as much.
                trainer.run(1 if "jit_compile" in trainer.setting else share)
        for trainer in trainers:
            row = trainer.row()
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if not k.startswith(("forward", "seconds_per_step_r"))}),
                  flush=True)
        _save(_summary(peaks, rows, profiles, layers, rounds))  # a run cut short still leaves what it measured
        del trainers
    peaks.append(matmul_peak())
    return _summary(peaks, rows, profiles, layers, rounds)


def _save(result: dict) -> Path:
    return write_result("cnn_flops.json", result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="timed steps per setting, over all rounds")
    parser.add_argument("--rounds", type=int, default=2, help="turns the settings take (load is shared among them)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--nets", default="resnet18,vgg11")
    parser.add_argument("--settings", default=",".join(DEFAULT_SETTINGS),
                        help=f"comma-separated, each one of {', '.join(SETTINGS)} or several joined by '+'")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    args = parser.parse_args()
    for setting in args.settings.split(","):
        if set(setting.split("+")) - set(SETTINGS):
            parser.error(f"unknown setting {setting!r}: choose from {', '.join(SETTINGS)}, joined by '+' if several")
    result = measure(args.nets.split(","), args.settings.split(","), args.steps, args.rounds, args.batch, args.profile)
    out = _save(result)
    print(f"matmul peak {result['matmul_peak_flops'] / 1e9:.1f} GFLOP/s "
          f"({result['matmul_peak_flops_per_cpu_second'] / 1e9:.1f} GFLOP per CPU-second)")
    for row in result["rows"]:
        if "fraction_of_peak" in row:
            print(f"{row['net']:9s} {row['setting']:25s} b{row['batch']:<4d} {row['achieved_flops'] / 1e9:6.1f} GFLOP/s "
                  f"= {row['fraction_of_peak']:.2f} of peak, {row['fraction_of_peak_cpu_time']:.2f} per CPU-second "
                  f"({row['seconds_per_step'] * 1e3:.0f} ms/step)")
        else:
            print(f"{row['net']:9s} {row['setting']:25s} {row['error']}")
    for entry in result["conv_layers_alone"]:
        if "isolated_conv_share_of_step" in entry:
            print(f"{entry['net']}: its convolutions alone take {entry['conv_cpu_seconds_per_step'] * 1e3:.0f} CPU-ms "
                  f"= {entry['isolated_conv_share_of_step']:.2f} of the step's {entry['step_cpu_seconds'] * 1e3:.0f}; "
                  f"alone they run at {entry['isolated_conv_fraction_of_peak_cpu_time']:.2f} of the peak")
    for entry in result["profiles"]:
        print(f"profile {entry['net']}: share {entry['share']}; conv GFLOP/s per op-second "
              f"{entry['conv_gflops_per_op_second']}")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
