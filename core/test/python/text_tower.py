"""Writes a tiny ONNX text tower for the search tests (no real CLIP can be fetched offline).

Usage: text_tower.py WEIGHTS.json OUT.onnx, where WEIGHTS.json holds
  {"embeddings": [[...hidden] per token id], "projection": [[...dim] per hidden unit]}.
The graph is a CLIP-shaped text model in miniature: token embeddings looked up by input_ids,
averaged over the tokens the attention_mask keeps, and projected to the image embedding size:
  text_embeds = (sum_t mask[t] * E[input_ids[t]] / sum_t mask[t]) @ P
"""

import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main(weights_file: str, out_file: str) -> None:
    with open(weights_file) as f:
        weights = json.load(f)
    table = np.asarray(weights["embeddings"], dtype=np.float32)
    projection = np.asarray(weights["projection"], dtype=np.float32)
    dim = projection.shape[1]
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["tokens"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["tokens", "mask3"], ["kept"]),
        helper.make_node("ReduceSum", ["kept", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask", "axis1"], ["count"], keepdims=1),
        helper.make_node("Div", ["summed", "count"], ["mean"]),
        helper.make_node("MatMul", ["mean", "projection"], ["text_embeds"]),
    ]
    initializers = [
        numpy_helper.from_array(table, "table"),
        numpy_helper.from_array(projection, "projection"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([2], dtype=np.int64), "axis2"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_text_tower",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"]),
        ],
        [helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch", dim])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, out_file)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
