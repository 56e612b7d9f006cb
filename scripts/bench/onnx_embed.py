#!/usr/bin/env python3
"""EfficientNet-Lite0 in onnxruntime, on the very weights the Rust (burn) server runs.

`vitrine-tools bench embed` calls this script to compare burn with onnxruntime. The ONNX graph is
built here straight from the safetensors checkpoint (no PyTorch, no exporter), batch norm
folded into the convolutions, so both engines compute the same function from the same numbers.
The script measures single-image latency per thread count and batch throughput, and writes the
L2-normalised embeddings so the Rust side can check that the two engines agree.

Logs go to stderr; in benchmark mode stdout carries exactly one JSON object.
`--self-test DIR` instead checks the graph against logits dumped by the Rust model.
"""

import argparse
import json
import math
import re
import statistics
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
except ImportError as missing:
    sys.exit(f"error: {missing}; run scripts/bench/setup-python.sh and use .vitrine/venv/bin/python")

IMAGE_SHAPE = (3, 224, 224)
IMAGE_FLOATS = math.prod(IMAGE_SHAPE)
FEATURES = 1280
CLASSES = 1000
STEM_CHANNELS = 32
BN_EPS = 1e-3  # TensorFlow's default, which the Lite checkpoints were trained with
L2_EPS = 1e-12  # the Rust l2_normalize clamps the norm to this
OPSET = 17
LOGIT_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Stage:
    """One row of the EfficientNet-Lite0 stage table; only a stage's first block strides."""

    expand: int
    kernel: int
    stride: int
    out: int
    repeats: int


STAGES = [
    Stage(1, 3, 1, 16, 1),
    Stage(6, 3, 2, 24, 2),
    Stage(6, 5, 2, 40, 2),
    Stage(6, 3, 2, 80, 3),
    Stage(6, 5, 1, 112, 3),
    Stage(6, 5, 2, 192, 4),
    Stage(6, 3, 1, 320, 1),
]

# The classes the Rust model gives the photos dumped by `vitrine model classify` (see
# model-weights/efficientnet-lite0.toml); checked in --self-test when a dump has that name.
KNOWN_TOP1 = {"chelsea": 285, "coffee": 967, "rocket": 657, "motorcycle_left": 665}


class UsageError(Exception):
    """A problem with the arguments or input files, reported without a traceback."""


# ---------------------------------------------------------------------------------------------
# Weights


def load_safetensors(path, skip_other_dtypes=False):
    """Reads a float32 safetensors file with numpy alone (no extra package).

    Tensors of another dtype are an error, or left out with `skip_other_dtypes` (MiniLM's file
    carries an int64 `position_ids` buffer that is not a weight).

    Keys get the same remap the Rust loader applies, `(^|\\.)_` -> `\\1`, so both the
    checkpoint's own names (`_blocks.3._bn1.weight`) and stripped ones (`blocks.3.bn1.weight`)
    work.
    """
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise UsageError(f"{path}: too short for a safetensors file")
    (header_len,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8 : 8 + header_len])
    except ValueError as err:
        raise UsageError(f"{path}: bad safetensors header ({err})") from err
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            if info["dtype"] != "F32" and skip_other_dtypes:
                continue
            if info["dtype"] != "F32":
                raise UsageError(f"{path}: tensor {name} is {info['dtype']}, expected F32")
            start, end = info["data_offsets"]
            array = np.frombuffer(data[base + start : base + end], dtype="<f4")
            tensors[re.sub(r"(^|\.)_", r"\1", name)] = array.reshape(info["shape"])
        except (KeyError, TypeError, ValueError) as err:
            raise UsageError(f"{path}: bad safetensors entry for {name} ({err!r})") from err
    return tensors


def tensor(weights, name, shape):
    """Returns a weight after checking its shape; None in `shape` matches any size."""
    if name not in weights:
        raise UsageError(f"weights: missing tensor {name}")
    array = weights[name]
    if len(array.shape) != len(shape) or any(
        want is not None and want != got for want, got in zip(shape, array.shape)
    ):
        raise UsageError(f"weights: {name} has shape {list(array.shape)}, expected {list(shape)}")
    return array


def fold_batchnorm(weights, conv_name, bn_prefix):
    """Folds inference batch norm into the bias-free conv before it, as the Rust model does.

    W' = W * gamma / sqrt(var + eps), b' = beta - mean * gamma / sqrt(var + eps); computed in
    float64 and rounded once to float32.
    """
    conv = weights[conv_name].astype(np.float64)
    channels = conv.shape[0]
    gamma, beta, mean, var = (
        tensor(weights, f"{bn_prefix}.{part}", [channels]).astype(np.float64)
        for part in ("weight", "bias", "running_mean", "running_var")
    )
    scale = gamma / np.sqrt(var + BN_EPS)
    folded = conv * scale[:, None, None, None]
    bias = beta - mean * scale
    return folded.astype(np.float32), bias.astype(np.float32)


@dataclass(frozen=True)
class Block:
    """One MBConv block as the weights describe it (the stride comes from the stage table)."""

    prefix: str
    expands: bool
    stride: int
    channels_in: int
    channels_out: int


def plan_blocks(weights):
    """Lists the 16 MBConv blocks, checking each against the stage table and its weight shapes.

    Shapes give the kernel and the channel counts; the table gives what shapes cannot (the
    stride) and says which blocks have an expansion conv. Any disagreement means the file is
    not EfficientNet-Lite0, which is better said here than as a confusing onnxruntime error.
    """
    blocks = []
    channels = STEM_CHANNELS
    for stage in STAGES:
        for repeat in range(stage.repeats):
            prefix = f"blocks.{len(blocks)}"
            expands = f"{prefix}.expand_conv.weight" in weights
            if expands != (stage.expand != 1):
                raise UsageError(f"weights: {prefix} expansion conv does not match expand ratio {stage.expand}")
            hidden = channels * stage.expand
            if expands:
                tensor(weights, f"{prefix}.expand_conv.weight", [hidden, channels, 1, 1])
            kernel = tensor(weights, f"{prefix}.depthwise_conv.weight", [hidden, 1, None, None]).shape[2]
            if kernel != stage.kernel:
                raise UsageError(f"weights: {prefix} depthwise kernel {kernel}, table says {stage.kernel}")
            tensor(weights, f"{prefix}.project_conv.weight", [stage.out, hidden, 1, 1])
            stride = stage.stride if repeat == 0 else 1
            blocks.append(Block(prefix, expands, stride, channels, stage.out))
            channels = stage.out
    if f"blocks.{len(blocks)}.depthwise_conv.weight" in weights:
        raise UsageError(f"weights: more than the {len(blocks)} blocks of EfficientNet-Lite0")
    return blocks


# ---------------------------------------------------------------------------------------------
# ONNX graph


def same_padding(size, kernel, stride):
    """TensorFlow "SAME" padding along one axis: (output size, pad before, pad after).

    The odd pixel goes after (bottom/right), which is where the Lite weights expect it and what
    burn's PaddingConfig2d::Same does.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


class GraphBuilder:
    """Accumulates ONNX nodes and initialisers while tracking the static spatial size.

    The input is always 224x224 (only the batch is dynamic), so every SAME padding is known
    when the graph is built and becomes the Conv's explicit, possibly asymmetric, `pads`.
    """

    def __init__(self):
        self.nodes = []
        self.initializers = []
        self.count = 0
        self.zero = self.constant("zero", np.array(0.0, np.float32))
        self.six = self.constant("six", np.array(6.0, np.float32))

    def constant(self, name, array):
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def fresh(self, op):
        """A new unique name for the output of an `op` node."""
        self.count += 1
        return f"{op.lower()}_{self.count}"

    def node(self, op, inputs, output=None, **attrs):
        """Adds a node with one output and returns the output's name."""
        output = output or self.fresh(op)
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def conv(self, x, size, weight, bias, stride=1, groups=1):
        """Conv with folded batch norm; `size` is the (h, w) of `x`. Returns (output, size)."""
        kernel = weight.shape[2]
        (out_h, top, bottom), (out_w, left, right) = (same_padding(n, kernel, stride) for n in size)
        name = self.fresh("Conv")
        output = self.node(
            "Conv",
            [x, self.constant(f"{name}_weight", weight), self.constant(f"{name}_bias", bias)],
            output=name,
            kernel_shape=[kernel, kernel],
            strides=[stride, stride],
            pads=[top, left, bottom, right],
            group=groups,
        )
        return output, (out_h, out_w)

    def relu6(self, x):
        return self.node("Clip", [x, self.zero, self.six])


def build_model(weights):
    """The whole network: stem, 16 MBConv blocks, head, average pool, embedding and logits."""
    g = GraphBuilder()
    size = IMAGE_SHAPE[1:]
    tensor(weights, "conv_stem.weight", [STEM_CHANNELS, 3, 3, 3])
    x, size = g.conv("input", size, *fold_batchnorm(weights, "conv_stem.weight", "bn0"), stride=2)
    x = g.relu6(x)
    for block in plan_blocks(weights):
        x, size = mbconv(g, block, weights, x, size)
    tensor(weights, "conv_head.weight", [FEATURES, STAGES[-1].out, 1, 1])
    x, size = g.conv(x, size, *fold_batchnorm(weights, "conv_head.weight", "bn1"))
    features = g.node("Flatten", [g.node("GlobalAveragePool", [g.relu6(x)])], axis=1)

    norm = g.node("ReduceL2", [features], axes=[1], keepdims=1)
    clamped = g.node("Max", [norm, g.constant("l2_eps", np.array(L2_EPS, np.float32))])
    g.node("Div", [features, clamped], output="embedding")
    fc_weight = g.constant("fc_weight", tensor(weights, "fc.weight", [CLASSES, FEATURES]))
    fc_bias = g.constant("fc_bias", tensor(weights, "fc.bias", [CLASSES]))
    g.node("Gemm", [features, fc_weight, fc_bias], output="logits", transB=1)

    graph = helper.make_graph(
        g.nodes,
        "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *IMAGE_SHAPE])],
        [
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", FEATURES]),
            helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", CLASSES]),
        ],
        g.initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="vitrine onnx_embed.py"
    )
    onnx.checker.check_model(model)
    return model


def mbconv(g, block, weights, x, size):
    """Expansion 1x1 (if any) + ReLU6, depthwise kxk + ReLU6, projection 1x1, residual add."""
    p = block.prefix
    shortcut = x
    if block.expands:
        x, size = g.conv(x, size, *fold_batchnorm(weights, f"{p}.expand_conv.weight", f"{p}.bn0"))
        x = g.relu6(x)
    depthwise = fold_batchnorm(weights, f"{p}.depthwise_conv.weight", f"{p}.bn1")
    x, size = g.conv(x, size, *depthwise, stride=block.stride, groups=depthwise[0].shape[0])
    x = g.relu6(x)
    x, size = g.conv(x, size, *fold_batchnorm(weights, f"{p}.project_conv.weight", f"{p}.bn2"))
    if block.stride == 1 and block.channels_in == block.channels_out:
        x = g.node("Add", [x, shortcut])
    return x, size


# ---------------------------------------------------------------------------------------------
# Running


def make_session(model_bytes, threads):
    """One session per thread count, configured the way the benchmark compares engines."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def run(session, images):
    """Returns (embedding, logits) for a float32 batch [N, 3, 224, 224]."""
    return session.run(["embedding", "logits"], {"input": images})


def read_images(path, count=None):
    """Reads raw little-endian f32 CHW images; checks the size against `count` when given."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    nbytes = path.stat().st_size
    image_bytes = IMAGE_FLOATS * 4
    expected = None if count is None else count * image_bytes
    if nbytes == 0 or nbytes % image_bytes or (expected is not None and nbytes != expected):
        want = f"{count} x 3x224x224 f32 = {expected} bytes" if expected else "a multiple of 602112 bytes"
        raise UsageError(f"{path}: {nbytes} bytes, expected {want}")
    return np.fromfile(path, dtype="<f4").reshape(-1, *IMAGE_SHAPE)


def cycled(images, start, size):
    """`size` images starting at `start`, wrapping around the available ones."""
    return images[[(start + i) % len(images) for i in range(size)]]


def timed_runs(session, images, batch, warmup, runs):
    """Seconds per `session.run` over `runs` timed runs after `warmup` untimed ones.

    Inputs cycle through the images; slicing happens outside the timed region so only the
    engine is measured.
    """
    for i in range(warmup):
        run(session, cycled(images, i * batch, batch))
    times = []
    for i in range(runs):
        feed = cycled(images, (warmup + i) * batch, batch)
        start = time.perf_counter()
        run(session, feed)
        times.append(time.perf_counter() - start)
    return times


def latency_summary(times):
    """Median and nearest-rank p95 in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
    return {
        "median": round(statistics.median(ordered) * 1e3, 3),
        "p95": round(p95 * 1e3, 3),
        "runs": len(ordered),
    }


def embed_all(session, images):
    """Embeddings one image at a time (batch 1, as the server embeds), in input order."""
    return np.concatenate([run(session, images[i : i + 1])[0] for i in range(len(images))])


def benchmark(args, model_bytes):
    """Benchmark mode: latency per thread count, batch throughput, embeddings file, JSON."""
    images = read_images(args.inputs, args.count)
    out_dir = Path(args.embeddings_out).parent
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir}: no such directory (for --embeddings-out)")
    sessions = {}
    latency = {}
    for threads in args.threads:
        log(f"latency: {threads} thread(s), {args.warmup} warmup + {args.runs} runs")
        sessions[threads] = make_session(model_bytes, threads)
        latency[str(threads)] = latency_summary(
            timed_runs(sessions[threads], images, 1, args.warmup, args.runs)
        )
        log(f"  {latency[str(threads)]}")

    most = max(args.threads)
    log(f"throughput: batch {args.batch}, {most} thread(s), {args.batch_runs} runs")
    batch_times = timed_runs(sessions[most], images, args.batch, args.warmup, args.batch_runs)
    images_per_s = args.batch / statistics.median(batch_times)

    embeddings = embed_all(sessions[most], images)
    embeddings.astype("<f4").tofile(args.embeddings_out)
    log(f"wrote {len(embeddings)} x {FEATURES} embeddings to {args.embeddings_out}")

    report = {
        "engine": "onnxruntime",
        "version": ort.__version__,
        "latency_ms": latency,
        "batch": {"size": args.batch, "threads": most, "images_per_s": round(images_per_s, 2)},
        "count": args.count,
    }
    print(json.dumps(report))
    return 0


def self_test(args, model_bytes):
    """Checks the graph against `DIR/NAME.logits.f32` dumped by the Rust model for each
    `DIR/NAME.input.f32`: max |logit difference| within LOGIT_TOLERANCE and the same top-1
    (plus the known class for the reference photos). Also runs all inputs as one batch, since
    the throughput figure relies on the dynamic batch dimension giving the same answers.
    """
    directory = Path(args.self_test)
    inputs = sorted(directory.glob("*.input.f32"))
    if not inputs:
        raise UsageError(f"{directory}: no *.input.f32 files")
    session = make_session(model_bytes, max(args.threads))
    ok = True
    batch, singles = [], []
    for path in inputs:
        name = path.name.removesuffix(".input.f32")
        reference_path = directory / f"{name}.logits.f32"
        if not reference_path.is_file():
            raise UsageError(f"{reference_path}: no such file (needed for {path.name})")
        reference = np.fromfile(reference_path, dtype="<f4")
        if reference.shape != (CLASSES,):
            raise UsageError(f"{reference_path}: {reference.size} floats, expected {CLASSES}")
        image = read_images(path, 1)
        embedding, logits = run(session, image)
        diff = float(np.abs(logits[0] - reference).max())
        top1, want = int(logits[0].argmax()), int(reference.argmax())
        expected = KNOWN_TOP1.get(name, want)
        passed = diff <= LOGIT_TOLERANCE and top1 == want == expected
        ok &= passed
        print(
            f"{'ok  ' if passed else 'FAIL'} {name}: max abs diff {diff:.2e}, top-1 {top1}"
            f" (rust {want}{'' if name not in KNOWN_TOP1 else f', expected {expected}'}),"
            f" |embedding| {float(np.linalg.norm(embedding)):.6f}"
        )
        batch.append(image[0])
        singles.append(logits[0])
    _, batched = run(session, np.stack(batch))
    batch_diff = float(np.abs(batched - np.stack(singles)).max())
    batch_ok = batch_diff <= LOGIT_TOLERANCE
    print(f"{'ok  ' if batch_ok else 'FAIL'} batch of {len(batch)} vs one by one: max abs diff {batch_diff:.2e}")
    ok &= batch_ok
    print(f"self-test {'passed' if ok else 'FAILED'} (onnxruntime {ort.__version__}, tolerance {LOGIT_TOLERANCE})")
    return 0 if ok else 1


# ---------------------------------------------------------------------------------------------
# Command line


def log(message):
    print(message, file=sys.stderr, flush=True)


def thread_list(text):
    """Parses `--threads 1,2` into [1, 2]."""
    try:
        threads = [int(part) for part in text.split(",")]
    except ValueError:
        threads = []
    if not threads or min(threads) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return list(dict.fromkeys(threads))


def at_least(minimum):
    """An argparse type for integers >= minimum."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}")
        return value

    return parse


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", required=True, help="EfficientNet-Lite0 safetensors file")
    parser.add_argument("--inputs", help="N preprocessed images, raw f32 LE, N x 3x224x224")
    parser.add_argument("--count", type=at_least(1), help="N, the number of images in --inputs")
    parser.add_argument("--embeddings-out", help="where to write N x 1280 f32 LE embeddings")
    parser.add_argument("--runs", type=at_least(1), default=50, help="timed single-image runs")
    parser.add_argument("--warmup", type=at_least(0), default=5, help="untimed runs before timing")
    parser.add_argument("--batch", type=at_least(1), default=8, help="batch size for throughput")
    parser.add_argument("--batch-runs", type=at_least(1), default=10, help="timed batch runs")
    parser.add_argument("--threads", type=thread_list, default=[1, 2], help="intra-op thread counts, e.g. 1,2")
    parser.add_argument("--save-onnx", help="also save the built ONNX model here")
    parser.add_argument("--self-test", metavar="DIR", help="check against DIR/*.input.f32 and *.logits.f32")
    args = parser.parse_args(argv)
    if args.self_test is None:
        missing = [flag for flag in ("inputs", "count", "embeddings_out") if getattr(args, flag) is None]
        if missing:
            parser.error("benchmark mode needs " + ", ".join("--" + m.replace("_", "-") for m in missing))
    return args


def main(argv):
    args = parse_args(argv)
    try:
        weights_path = Path(args.weights)
        if not weights_path.is_file():
            raise UsageError(f"{weights_path}: no such file")
        model = build_model(load_safetensors(weights_path))
        log(f"built ONNX model: {len(model.graph.node)} nodes, opset {OPSET}")
        if args.save_onnx:
            onnx.save(model, args.save_onnx)
            log(f"saved {args.save_onnx}")
        model_bytes = model.SerializeToString()
        if args.self_test is not None:
            return self_test(args, model_bytes)
        return benchmark(args, model_bytes)
    except (UsageError, OSError) as err:
        log(f"error: {err}")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
