"""One-op models for the peer engines, written the way each engine's users get them.

* ONNX (ONNX Runtime, OpenVINO, tract): GlobalAveragePool / GlobalMaxPool, or
  ReduceMean / ReduceMax with constant axes (opset 18, axes as an input), keepdims=0.
* TFLite (LiteRT): MEAN / REDUCE_MAX with constant int32 axes, or AVERAGE_POOL_2D /
  MAX_POOL_2D with a filter covering the whole map (VALID, stride 1). Written with the
  flatbuffer schema object API that ships inside ai-edge-litert (no TensorFlow), the same
  approach as tests/golden/golden.py.
* ncnn: a .param text with an Input layer and a Pooling layer (global_pooling=1), or a
  Reduction layer for the channels-last form.
* int8 / uint8 average (input and output with the same scale / zero point): QDQ ONNX
  (DequantizeLinear -> GlobalAveragePool / ReduceMean -> QuantizeLinear) or the contrib
  com.microsoft QLinearGlobalAveragePool; quantized TFLite MEAN / AVERAGE_POOL_2D.

Every builder takes the tensor shape as the engine sees it (NCHW or NHWC order) and the
reduced axes, and returns the model (bytes or text) or raises NotExpressible.
"""
import numpy as np


class NotExpressible(Exception):
    """The engine cannot express this op / layout combination."""


# --------------------------------------------------------------------------
# ONNX
# --------------------------------------------------------------------------
ONNX_OPSET = 18   # ReduceMean / ReduceMax take axes as an input from opset 18 on


def onnx_model(form, op, shape, axes):
    """form: 'global' (GlobalAveragePool / GlobalMaxPool, NCHW only) or 'reduce'."""
    import onnx
    from onnx import TensorProto, helper

    keep = [d for i, d in enumerate(shape) if i not in axes]
    inits = []
    if form == "global":
        # Global*Pool reduces every axis after the second one and keeps them as size 1.
        if list(axes) != list(range(2, len(shape))):
            raise NotExpressible("Global*Pool reduces axes 2.. of an NC... tensor only")
        node_op = {"avg": "GlobalAveragePool", "max": "GlobalMaxPool"}[op]
        nodes = [helper.make_node(node_op, ["x"], ["p"]),
                 helper.make_node("Flatten", ["p"], ["y"], axis=1)]
    else:
        node_op = {"avg": "ReduceMean", "max": "ReduceMax"}[op]
        inits.append(helper.make_tensor("axes", TensorProto.INT64, [len(axes)], list(axes)))
        nodes = [helper.make_node(node_op, ["x", "axes"], ["y"], keepdims=0)]
    graph = helper.make_graph(
        nodes, f"{node_op}_{'x'.join(map(str, shape))}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, keep)],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)],
                              producer_name="globalpool-peers")
    model.ir_version = 8  # what opset 18 was released with; every runtime here reads it
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


# --------------------------------------------------------------------------
# TFLite
# --------------------------------------------------------------------------
def _schema():
    from ai_edge_litert import schema_py_generated as S
    return S


def _tfl_tensor(S, name, shape, ttype, buffer):
    t = S.TensorT()
    t.name = name.encode()
    t.shape = list(shape)
    t.type = ttype
    t.buffer = buffer
    return t


def _tfl_single_op(S, op, tensors, buffers, op_inputs, inputs, outputs, options_type, options,
                   version=1):
    import flatbuffers

    code = S.OperatorCodeT()
    code.builtinCode = op
    code.deprecatedBuiltinCode = op   # all ops used here are < 127
    code.version = version            # 1: the float32 version of every op used here
    o = S.OperatorT()
    o.opcodeIndex = 0
    o.inputs, o.outputs = op_inputs, outputs
    o.builtinOptionsType, o.builtinOptions = options_type, options
    sg = S.SubGraphT()
    sg.tensors, sg.inputs, sg.outputs, sg.operators = tensors, inputs, outputs, [o]
    sg.name = b"main"
    m = S.ModelT()
    m.version = 3
    m.operatorCodes, m.subgraphs, m.buffers = [code], [sg], buffers
    m.description = b"globalpool peers"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def tflite_model(form, op, shape, axes):
    """form: 'reduce' (MEAN / REDUCE_MAX, any axes) or 'pool2d' (AVERAGE_POOL_2D /
    MAX_POOL_2D over a whole NHWC map: 4-D, axes (1, 2) only)."""
    S = _schema()
    f32 = S.TensorType.FLOAT32
    keep = [d for i, d in enumerate(shape) if i not in axes]
    if form == "reduce":
        axes_buf = S.BufferT()
        axes_buf.data = list(np.array(axes, np.int32).tobytes())
        tensors = [_tfl_tensor(S, "input", shape, f32, 1),
                   _tfl_tensor(S, "axes", [len(axes)], S.TensorType.INT32, 2),
                   _tfl_tensor(S, "output", keep, f32, 3)]
        opt = S.ReducerOptionsT()
        opt.keepDims = False
        builtin = {"avg": S.BuiltinOperator.MEAN, "max": S.BuiltinOperator.REDUCE_MAX}[op]
        return _tfl_single_op(S, builtin, tensors,
                              [S.BufferT(), S.BufferT(), axes_buf, S.BufferT()],
                              [0, 1], [0], [2], S.BuiltinOptions.ReducerOptions, opt)
    if len(shape) != 4 or list(axes) != [1, 2]:
        raise NotExpressible("*_POOL_2D pools H and W of a 4-D NHWC tensor only")
    n, h, w, c = shape
    tensors = [_tfl_tensor(S, "input", shape, f32, 1),
               _tfl_tensor(S, "output", [n, 1, 1, c], f32, 2)]
    opt = S.Pool2DOptionsT()
    opt.padding = S.Padding.VALID
    opt.strideW = opt.strideH = 1
    opt.filterWidth, opt.filterHeight = w, h
    opt.fusedActivationFunction = S.ActivationFunctionType.NONE
    builtin = {"avg": S.BuiltinOperator.AVERAGE_POOL_2D, "max": S.BuiltinOperator.MAX_POOL_2D}[op]
    return _tfl_single_op(S, builtin, tensors, [S.BufferT(), S.BufferT(), S.BufferT()],
                          [0], [0], [1], S.BuiltinOptions.Pool2DOptions, opt)


# --------------------------------------------------------------------------
# ncnn
# --------------------------------------------------------------------------
def ncnn_param(form, op, mat_shape):
    """ncnn has no batch axis: one Mat per image / sequence.

    form 'pooling':   Mat (c=C, h=H, w=W) -> Pooling global_pooling=1 -> (w=C)
    form 'reduction': Mat (h=HW, w=C)     -> Reduction over h (mean / max) -> (w=C)
    mat_shape is the numpy shape of one Mat: (C, H, W) or (HW, C).
    """
    if form == "pooling":
        c, h, w = mat_shape
        pooling_type = {"max": 0, "avg": 1}[op]
        return ("7767517\n2 2\n"
                f"Input in 0 1 in 0={w} 1={h} 2={c}\n"
                f"Pooling pool 1 1 in out 0={pooling_type} 4=1\n")
    s, c = mat_shape
    operation = {"avg": 3, "max": 4}[op]   # ncnn Reduction: 3 = mean, 4 = max
    # 3 = axes array (-23303 = array of 1 value: axis 0, the h axis of a 2-D Mat),
    # 4 = keepdims 0, 5 = 1: axes counted as numpy counts them (pnnx writes this)
    return ("7767517\n2 2\n"
            f"Input in 0 1 in 0={c} 1={s}\n"
            f"Reduction red 1 1 in out 0={operation} 1=0 -23303=1,0 4=0 5=1\n")


# --------------------------------------------------------------------------
# Quantized (int8 / uint8) average: the models a quantized network contains
# --------------------------------------------------------------------------
def onnx_qdq_model(form, shape, axes, dtype, scale, zero_point):
    """int8 / uint8 average pooling as quantized ONNX models carry it.

    form 'qdq_global': DequantizeLinear -> GlobalAveragePool -> QuantizeLinear -> Flatten
        (NCHW only; the QDQ pattern ONNX Runtime fuses into QLinearGlobalAveragePool)
    form 'qdq_reduce': DequantizeLinear -> ReduceMean(axes) -> QuantizeLinear
    form 'qlinear':    com.microsoft QLinearGlobalAveragePool (channels_last=1 for NHWC)
        -> Flatten: the fused op written directly
    Input and output share scale and zero point (what AVERAGE_POOL_2D keeps)."""
    import onnx
    from onnx import TensorProto, helper

    tt = {"i8": TensorProto.INT8, "u8": TensorProto.UINT8}[dtype]
    keep = [d for i, d in enumerate(shape) if i not in axes]
    inits = [helper.make_tensor("s", TensorProto.FLOAT, [], [float(np.float32(scale))]),
             helper.make_tensor("zp", tt, [], [int(zero_point)])]
    opsets = [helper.make_opsetid("", ONNX_OPSET)]
    k = len(shape) - 2
    if form == "qdq_global":
        if list(axes) != list(range(2, len(shape))):
            raise NotExpressible("GlobalAveragePool reduces axes 2.. of an NC... tensor only")
        nodes = [helper.make_node("DequantizeLinear", ["x", "s", "zp"], ["xf"]),
                 helper.make_node("GlobalAveragePool", ["xf"], ["pf"]),
                 helper.make_node("QuantizeLinear", ["pf", "s", "zp"], ["p"]),
                 helper.make_node("Flatten", ["p"], ["y"], axis=1)]
    elif form == "qdq_reduce":
        inits.append(helper.make_tensor("axes", TensorProto.INT64, [len(axes)], list(axes)))
        nodes = [helper.make_node("DequantizeLinear", ["x", "s", "zp"], ["xf"]),
                 helper.make_node("ReduceMean", ["xf", "axes"], ["pf"], keepdims=0),
                 helper.make_node("QuantizeLinear", ["pf", "s", "zp"], ["y"])]
    elif form == "qlinear":
        if list(axes) == list(range(2, len(shape))):
            cl = 0
        elif list(axes) == list(range(1, len(shape) - 1)):
            cl = 1
        else:
            raise NotExpressible("QLinearGlobalAveragePool pools every axis between N and C")
        nodes = [helper.make_node("QLinearGlobalAveragePool", ["x", "s", "zp", "s", "zp"], ["p"],
                                  domain="com.microsoft", channels_last=cl),
                 helper.make_node("Flatten", ["p"], ["y"], axis=1)]
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    else:
        raise ValueError(form)
    graph = helper.make_graph(
        nodes, f"{form}_{dtype}_{'x'.join(map(str, shape))}",
        [helper.make_tensor_value_info("x", tt, list(shape))],
        [helper.make_tensor_value_info("y", tt, keep)],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=opsets, producer_name="globalpool-peers")
    model.ir_version = 8
    if form != "qlinear":   # the checker does not know contrib ops
        onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def _tfl_qtensor(S, name, shape, ttype, buffer, scale, zero_point):
    t = _tfl_tensor(S, name, shape, ttype, buffer)
    q = S.QuantizationParametersT()
    q.scale = [float(scale)]
    q.zeroPoint = [int(zero_point)]
    t.quantization = q
    return t


def tflite_quant_model(form, shape, axes, dtype, scale, zero_point):
    """int8 / uint8 MEAN (form 'reduce', constant axes) or AVERAGE_POOL_2D over the whole
    NHWC map (form 'pool2d'), input and output with the same scale / zero point, op versions
    as the TFLite converter writes them (uint8 1, int8 2). Same object-API approach as
    tests/golden/golden.py."""
    S = _schema()
    tt = {"i8": S.TensorType.INT8, "u8": S.TensorType.UINT8}[dtype]
    version = {"i8": 2, "u8": 1}[dtype]
    keep = [d for i, d in enumerate(shape) if i not in axes]
    if form == "reduce":
        axes_buf = S.BufferT()
        axes_buf.data = list(np.array(axes, np.int32).tobytes())
        tensors = [_tfl_qtensor(S, "input", shape, tt, 1, scale, zero_point),
                   _tfl_tensor(S, "axes", [len(axes)], S.TensorType.INT32, 2),
                   _tfl_qtensor(S, "output", keep, tt, 3, scale, zero_point)]
        opt = S.ReducerOptionsT()
        opt.keepDims = False
        m = _tfl_single_op(S, S.BuiltinOperator.MEAN, tensors,
                           [S.BufferT(), S.BufferT(), axes_buf, S.BufferT()],
                           [0, 1], [0], [2], S.BuiltinOptions.ReducerOptions, opt,
                           version=version)
        return m
    if len(shape) != 4 or list(axes) != [1, 2]:
        raise NotExpressible("AVERAGE_POOL_2D pools H and W of a 4-D NHWC tensor only")
    n, h, w, c = shape
    tensors = [_tfl_qtensor(S, "input", shape, tt, 1, scale, zero_point),
               _tfl_qtensor(S, "output", [n, 1, 1, c], tt, 2, scale, zero_point)]
    opt = S.Pool2DOptionsT()
    opt.padding = S.Padding.VALID
    opt.strideW = opt.strideH = 1
    opt.filterWidth, opt.filterHeight = w, h
    opt.fusedActivationFunction = S.ActivationFunctionType.NONE
    return _tfl_single_op(S, S.BuiltinOperator.AVERAGE_POOL_2D, tensors,
                          [S.BufferT(), S.BufferT(), S.BufferT()],
                          [0], [0], [1], S.BuiltinOptions.Pool2DOptions, opt, version=version)
