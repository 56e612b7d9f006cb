#!/usr/bin/env python3
"""all-MiniLM-L6-v2 in onnxruntime, on the very weights the Rust (burn) server runs.

`vitrine-tools bench text` calls this script for the reference side of the text model: the
sentence vectors it must match (cosine >= 0.9999) and the latency it is compared with. The
sentences are tokenised by Hugging Face's `tokenizers` with sentence-transformers' settings for
this model (truncate at 256 tokens, pad to the longest in the batch), not the fixed 128 the
shipped tokenizer.json asks for. The BERT graph is built here from the safetensors file with
numpy (no PyTorch, no exporter): embeddings, 6 encoder layers (exact erf GELU, LayerNorm eps
1e-12), mean pooling over the attention mask, L2 normalisation: what sentence-transformers runs.

Logs go to stderr; stdout carries exactly one JSON object.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

from onnx_embed import UsageError, at_least, latency_summary, load_safetensors, log, make_session, ort, thread_list

try:
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper
    from tokenizers import Tokenizer
except ImportError as missing:
    sys.exit(f"error: {missing}; run scripts/bench/setup-python.sh and use .vitrine/venv/bin/python")

HIDDEN = 384
HEADS = 12
LAYERS = 6
LAYER_NORM_EPS = 1e-12
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
OPSET = 17


def tokenizer(path):
    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_length=MAX_TOKENS)
    tok.enable_padding()  # to the longest in the batch
    return tok


def encode(tok, sentences):
    encodings = tok.encode_batch(sentences)
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


class Graph:
    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        self.initializers = []
        self.count = 0
        self.one = self.constant("one", np.float32(1.0))
        self.half = self.constant("half", np.float32(0.5))
        self.sqrt2 = self.constant("sqrt2", np.float32(math.sqrt(2.0)))

    def constant(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, name, transpose=False):
        array = self.weights.get(name)
        if array is None:
            raise UsageError(f"weights: missing tensor {name}")
        return self.constant(name, np.ascontiguousarray(array.T if transpose else array))

    def node(self, op, inputs, **attrs):
        self.count += 1
        output = f"{op.lower()}_{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def linear(self, x, prefix):
        """x @ W^T + b, with PyTorch's [out, in] weight."""
        y = self.node("MatMul", [x, self.weight(f"{prefix}.weight", transpose=True)])
        return self.node("Add", [y, self.weight(f"{prefix}.bias")])

    def layer_norm(self, x, prefix):
        return self.node(
            "LayerNormalization",
            [x, self.weight(f"{prefix}.weight"), self.weight(f"{prefix}.bias")],
            axis=-1,
            epsilon=LAYER_NORM_EPS,
        )

    def gelu(self, x):
        """The exact GELU BERT uses: x/2 * (1 + erf(x / sqrt 2))."""
        erf = self.node("Erf", [self.node("Div", [x, self.sqrt2])])
        return self.node("Mul", [self.node("Mul", [x, self.half]), self.node("Add", [erf, self.one])])


def encoder_layer(g, x, mask_bias, i):
    p = f"encoder.layer.{i}"
    head = HIDDEN // HEADS
    split = g.constant(f"split_{i}", np.array([0, 0, HEADS, head], np.int64))
    merge = g.constant(f"merge_{i}", np.array([0, 0, HIDDEN], np.int64))

    def heads(name, perm):
        y = g.node("Reshape", [g.linear(x, f"{p}.attention.self.{name}"), split])
        return g.node("Transpose", [y], perm=perm)

    q = heads("query", [0, 2, 1, 3])
    k = heads("key", [0, 2, 3, 1])
    v = heads("value", [0, 2, 1, 3])
    scores = g.node("Div", [g.node("MatMul", [q, k]), g.constant(f"scale_{i}", np.float32(math.sqrt(head)))])
    probs = g.node("Softmax", [g.node("Add", [scores, mask_bias])], axis=-1)
    context = g.node("Reshape", [g.node("Transpose", [g.node("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merge])
    attended = g.layer_norm(g.node("Add", [g.linear(context, f"{p}.attention.output.dense"), x]), f"{p}.attention.output.LayerNorm")
    inner = g.gelu(g.linear(attended, f"{p}.intermediate.dense"))
    return g.layer_norm(g.node("Add", [g.linear(inner, f"{p}.output.dense"), attended]), f"{p}.output.LayerNorm")


def build_model(weights):
    g = Graph(weights)
    ids, mask = "input_ids", "attention_mask"
    # Positions 0..T-1 of this batch's length.
    length = g.node("Gather", [g.node("Shape", [ids]), g.constant("one_index", np.array(1, np.int64))], axis=0)
    positions = g.node("Range", [g.constant("zero_i", np.array(0, np.int64)), length, g.constant("step", np.array(1, np.int64))])
    x = g.node("Gather", [g.weight("embeddings.word_embeddings.weight"), ids], axis=0)
    x = g.node("Add", [x, g.node("Gather", [g.weight("embeddings.position_embeddings.weight"), positions], axis=0)])
    # Every token is of type 0 (one sentence per input).
    token_type = g.constant("token_type_0", np.ascontiguousarray(weights["embeddings.token_type_embeddings.weight"][0]))
    x = g.layer_norm(g.node("Add", [x, token_type]), "embeddings.LayerNorm")

    # Hugging Face's extended mask: 0 on tokens, the float minimum on padding, [B, 1, 1, T].
    maskf = g.node("Cast", [mask], to=TensorProto.FLOAT)
    unsq = g.node("Unsqueeze", [maskf, g.constant("axes_12", np.array([1, 2], np.int64))])
    mask_bias = g.node(
        "Mul",
        [g.node("Sub", [g.one, unsq]), g.constant("fmin", np.float32(np.finfo(np.float32).min))],
    )
    for i in range(LAYERS):
        x = encoder_layer(g, x, mask_bias, i)

    # Mean over the real tokens (sentence-transformers clamps the count at 1e-9), then L2.
    m3 = g.node("Unsqueeze", [maskf, g.constant("axes_2", np.array([2], np.int64))])
    summed = g.node("ReduceSum", [g.node("Mul", [x, m3]), g.constant("axes_1", np.array([1], np.int64))], keepdims=0)
    counts = g.node("Clip", [g.node("ReduceSum", [m3, g.constant("axes_1b", np.array([1], np.int64))], keepdims=0), g.constant("tiny", np.float32(1e-9))])
    pooled = g.node("Div", [summed, counts])
    norm = g.node("Clip", [g.node("ReduceL2", [pooled], axes=[1], keepdims=1), g.constant("l2eps", np.float32(1e-12))])
    embedding = g.node("Div", [pooled, norm])
    g.nodes.append(helper.make_node("Identity", [embedding], ["embedding"], name="embedding"))

    graph = helper.make_graph(
        g.nodes,
        "all-minilm-l6-v2",
        [
            helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", HIDDEN])],
        g.initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", required=True, help="directory with model.safetensors and tokenizer.json")
    parser.add_argument("--sentences", required=True, help="a JSON list of strings")
    parser.add_argument("--embeddings-out", required=True, help="where to write N x 384 f32 LE embeddings")
    parser.add_argument("--query", help="the query whose latency is timed (default: the first sentence)")
    parser.add_argument("--runs", type=at_least(1), default=50, help="timed single-query runs")
    parser.add_argument("--warmup", type=at_least(0), default=5, help="untimed runs before timing")
    parser.add_argument("--threads", type=thread_list, default=[1, 2], help="intra-op thread counts, e.g. 1,2")
    args = parser.parse_args(argv)
    try:
        model_dir = Path(args.model_dir)
        for name in ("model.safetensors", "tokenizer.json"):
            if not (model_dir / name).is_file():
                raise UsageError(f"{model_dir / name}: no such file")
        sentences = json.loads(Path(args.sentences).read_text())
        if not isinstance(sentences, list) or not sentences or not all(isinstance(s, str) for s in sentences):
            raise UsageError(f"{args.sentences}: expected a non-empty JSON list of strings")
        tok = tokenizer(model_dir / "tokenizer.json")
        model = build_model(load_safetensors(model_dir / "model.safetensors", skip_other_dtypes=True))
        log(f"built ONNX model: {len(model.graph.node)} nodes, opset {OPSET}")
        model_bytes = model.SerializeToString()

        latency = {}
        query = encode(tok, [args.query if args.query is not None else sentences[0]])
        for threads in args.threads:
            session = make_session(model_bytes, threads)
            feed = {"input_ids": query[0], "attention_mask": query[1]}
            for _ in range(args.warmup):
                session.run(["embedding"], feed)
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                session.run(["embedding"], feed)
                times.append(time.perf_counter() - start)
            latency[str(threads)] = latency_summary(times)

        # The reference vectors: every sentence alone, and all of them as one padded batch.
        ids, mask = encode(tok, sentences)
        batched = session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})[0]
        np.ascontiguousarray(batched, dtype="<f4").tofile(args.embeddings_out)
        report = {
            "engine": "onnxruntime",
            "version": ort.__version__,
            "latency_ms": latency,
            "count": len(sentences),
            "tokens": [int(m.sum()) for m in mask],
        }
        print(json.dumps(report))
        return 0
    except (UsageError, OSError, ValueError) as err:
        log(f"error: {err}")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
