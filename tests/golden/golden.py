#!/usr/bin/env python3
"""Golden vectors for quantized global pooling, from the TFLite REFERENCE kernels.

For every case this script
  1. writes a one-op .tflite model in memory (flatbuffers + the TFLite schema
     object API that ships inside `ai-edge-litert`; no TensorFlow needed),
  2. runs it with LiteRT's *reference* op resolver
     (OpResolverType.BUILTIN_REF -> tflite/kernels/*.cc with kReference) and,
     where the type is supported, with the TFLite-Micro Python interpreter
     (`tflite-micro` wheel, reference kernels, reduce_common.cc / pooling),
  3. requires all reference runtimes to agree bit for bit, and
  4. cross-checks them against an independent pure-Python integer model of the
     reference arithmetic (double rounding, i.e. the default build without
     TFLITE_SINGLE_ROUNDING).

It also records what LiteRT's default optimized path (BUILTIN: optimized kernels
+ XNNPACK) returns, for information only; it is NOT the golden value.

Neither installable runtime is built with TFLITE_SINGLE_ROUNDING, so the
`expected_single_rounding` field is produced by the Python model only
(same arithmetic with the single-rounding MultiplyByQuantizedMultiplier);
it is marked as emulated in the output.

Ops / types covered:
  MEAN over axes [1,2] of NHWC, keep_dims true/false, input and output with
  their own scale / zero point:
    int8   LiteRT-ref + TFLM
    int16  zero points 0: LiteRT-ref + TFLM; non-zero zero points: TFLM only
           (LiteRT's Prepare rejects them)
    uint8  LiteRT-ref only (TFLM MEAN has no uint8)
  AVERAGE_POOL_2D, filter = H x W, stride 1, VALID, same scale/zp in and out:
    int8   LiteRT-ref + TFLM
    int16  (zp 0) LiteRT-ref + TFLM
    uint8  LiteRT-ref only (TFLM pooling rejects uint8)

Case sets (per file): the worked tie case (int8), a grid of spatial sizes
1, 2, 49 (7x7), 196 (14x14), 3136 (56x56) x channel counts 1, 3, 8, 17, 64, 100
(fewer channels on the big maps), a sweep of in/out scale ratios 2^-8 .. 2^8
(every power of two and non-powers between them), extreme zero points (type
min / max, both sides), constant min / max inputs (the largest sums), equal
in/out parameters, forced ties, seeded random shapes, and shift-cap edge cases.

Usage:  python3 tests/golden/golden.py --out tests/data [--seed 2024] [--random 16]
                                       [--format txt|json]
Writes one file per (op, dtype): mean_int8.txt, ..., avgpool_uint8.txt (the
line format is described in each file's header and in tests/golden/README.md).
The output is byte-identical for the same pins, seed and options.
"""
import argparse
import json
import math
import os
import sys
import zlib

import numpy as np
import flatbuffers

try:  # the schema object API (ModelT, ...) ships inside ai-edge-litert
    from ai_edge_litert import schema_py_generated as S
except ImportError:  # same generated file inside the tflite-micro wheel
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as S
from ai_edge_litert.interpreter import Interpreter, OpResolverType

try:
    from tflite_micro.python.tflite_micro import runtime as tflm_runtime
except ImportError:  # tflite-micro is optional; LiteRT-ref alone is still golden
    tflm_runtime = None

DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16}
TENSOR_TYPE = {np.int8: S.TensorType.INT8, np.uint8: S.TensorType.UINT8,
               np.int16: S.TensorType.INT16, np.int32: S.TensorType.INT32}
# Builtin op versions as the TFLite converter would set them.
OP_VERSION = {np.uint8: 1, np.int8: 2, np.int16: 3}


# --------------------------------------------------------------------------
# Model writer
# --------------------------------------------------------------------------
def _tensor(name, shape, dtype, buffer, scale=None, zero_point=None):
    t = S.TensorT()
    t.name = name.encode()
    t.shape = list(shape)
    t.type = TENSOR_TYPE[dtype]
    t.buffer = buffer
    if scale is not None:
        q = S.QuantizationParametersT()
        q.scale = [float(scale)]          # stored as float32 in the flatbuffer
        q.zeroPoint = [int(zero_point)]
        t.quantization = q
    return t


def _single_op_model(op, version, tensors, buffers, op_inputs, inputs, outputs,
                     options_type, options):
    code = S.OperatorCodeT()
    code.builtinCode = op
    code.deprecatedBuiltinCode = op   # < 127 for MEAN / AVERAGE_POOL_2D
    code.version = version
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
    m.description = b"globalpool golden"
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def mean_model(shape, dtype, in_scale, in_zp, out_scale, out_zp, keep_dims):
    """input [N,H,W,C] -> MEAN(axes=[1,2] const int32) -> [N,1,1,C] or [N,C]."""
    n, _, _, c = shape
    axes = S.BufferT()
    axes.data = list(np.array([1, 2], np.int32).tobytes())
    tensors = [
        _tensor("input", shape, dtype, 1, in_scale, in_zp),
        _tensor("axes", [2], np.int32, 2),
        _tensor("output", [n, 1, 1, c] if keep_dims else [n, c], dtype, 3,
                out_scale, out_zp),
    ]
    opt = S.ReducerOptionsT()
    opt.keepDims = bool(keep_dims)
    return _single_op_model(S.BuiltinOperator.MEAN, OP_VERSION[dtype], tensors,
                            [S.BufferT(), S.BufferT(), axes, S.BufferT()],
                            [0, 1], [0], [2], S.BuiltinOptions.ReducerOptions, opt)


def avgpool_model(shape, dtype, scale, zp):
    """input [N,H,W,C] -> AVERAGE_POOL_2D(filter HxW, stride 1, VALID) -> [N,1,1,C]."""
    n, h, w, c = shape
    tensors = [_tensor("input", shape, dtype, 1, scale, zp),
               _tensor("output", [n, 1, 1, c], dtype, 2, scale, zp)]
    opt = S.Pool2DOptionsT()
    opt.padding = S.Padding.VALID
    opt.strideW = opt.strideH = 1
    opt.filterWidth, opt.filterHeight = w, h
    opt.fusedActivationFunction = S.ActivationFunctionType.NONE
    return _single_op_model(S.BuiltinOperator.AVERAGE_POOL_2D, OP_VERSION[dtype],
                            tensors, [S.BufferT(), S.BufferT(), S.BufferT()],
                            [0], [0], [1], S.BuiltinOptions.Pool2DOptions, opt)


# --------------------------------------------------------------------------
# Runtimes
# --------------------------------------------------------------------------
def run_litert(model, x, resolver):
    it = Interpreter(model_content=model, experimental_op_resolver_type=resolver)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def run_tflm(model, x):
    it = tflm_runtime.Interpreter.from_bytes(model, arena_size=256 * 1024)
    it.set_input(x, 0)
    it.invoke()
    return it.get_output(0).copy()


# --------------------------------------------------------------------------
# Independent integer model of the reference kernels (for cross-checking and
# for the single-rounding variant, which no installable build provides).
# --------------------------------------------------------------------------
def quantize_multiplier(d):
    """tflite::QuantizeMultiplier (quantization_util.cc)."""
    if d == 0.0:
        return 0, 0
    q, shift = math.frexp(d)
    q_fixed = int(math.floor(q * (1 << 31) + 0.5))   # TfLiteRound, q > 0
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def _tdiv(a, b):  # C++ integer division (truncates toward zero)
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def mbqm_double(x, m, shift):
    """MultiplyByQuantizedMultiplier, default build (gemmlowp double rounding)."""
    x = x * (1 << shift) if shift > 0 else x
    if x == m == -(1 << 31):
        hi = (1 << 31) - 1
    else:  # SaturatingRoundingDoublingHighMul
        ab = x * m
        hi = _tdiv(ab + ((1 << 30) if ab >= 0 else 1 - (1 << 30)), 1 << 31)
    e = -shift if shift < 0 else 0           # RoundingDivideByPOT
    mask = (1 << e) - 1
    threshold = (mask >> 1) + (1 if hi < 0 else 0)
    return (hi >> e) + (1 if (hi & mask) > threshold else 0)


def mbqm_single(x, m, shift):
    """MultiplyByQuantizedMultiplier with TFLITE_SINGLE_ROUNDING."""
    total = 31 - shift
    return (x * m + (1 << (total - 1))) >> total


def emulate_mean(x, in_scale, in_zp, out_scale, out_zp, mbqm):
    """reference_ops::QuantizedMeanOrSum (integer form, as used by LiteRT's
    kReference MEAN and TFLM reduce_common.cc): 1/n is folded into the
    multiplier, then one MultiplyByQuantizedMultiplier on sum(q - zp_in)."""
    info = np.iinfo(x.dtype)
    n_el = x.shape[1] * x.shape[2]
    # scales are float32 in the model; the kernel divides them as doubles
    m, sh = quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    s = min(n_el.bit_length() - 1, 32, 31 + sh)       # 63 - CLZ64(n), capped
    m = _tdiv(m << s, n_el)
    sh -= s
    sums = (x.astype(np.int64) - in_zp).sum(axis=(1, 2))
    out = [min(max(mbqm(int(v), m, sh) + out_zp, int(info.min)), int(info.max))
           for v in sums.ravel()]
    return np.array(out, np.int64).reshape(sums.shape)


def emulate_avgpool(x):
    """reference AveragePool over the whole map: rounded-half-away-from-zero
    integer division of the raw (zero-point-included) sum by H*W."""
    info = np.iinfo(x.dtype)
    n_el = x.shape[1] * x.shape[2]
    sums = x.astype(np.int64).sum(axis=(1, 2))
    out = [min(max(_tdiv(a + n_el // 2, n_el) if a > 0 else _tdiv(a - n_el // 2, n_el),
                   int(info.min)), int(info.max)) for a in sums.ravel()]
    return np.array(out, np.int64).reshape(sums.shape)


# --------------------------------------------------------------------------
# Case generation
# --------------------------------------------------------------------------
def f32(v):
    return float(np.float32(v))


def mean_cases(dtype, rng, n_random, nonzero_zp16):
    """(name, x, in_scale, in_zp, out_scale, out_zp, keep_dims) tuples."""
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    cases = []
    if dtype == np.int8:
        # worked tie example: (0 + 1) / 2 = 0.5 rounds up -> -127
        cases.append(("tie_zp_m128", np.array([-128, -127], np.int8).reshape(1, 1, 2, 1),
                      0.5, -128, 0.5, -128, True))
        cases.append(("tie_zp_m128_nokeep", np.array([-128, -127], np.int8).reshape(1, 2, 1, 1),
                      0.5, -128, 0.5, -128, False))
    zp16 = lambda: int(rng.integers(-3000, 3001)) if nonzero_zp16 else 0
    for i in range(n_random):
        shape = (int(rng.integers(1, 3)), int(rng.choice([1, 2, 3, 4, 5, 7, 8, 14])),
                 int(rng.choice([1, 2, 3, 4, 5, 7, 8, 14])), int(rng.integers(1, 6)))
        in_s = f32(np.exp(rng.uniform(np.log(1e-4), np.log(1.0))))
        out_s = f32(in_s * np.exp(rng.uniform(np.log(1 / 32), np.log(32))))
        if dtype == np.int16:
            in_zp, out_zp = zp16(), zp16()
        else:
            in_zp, out_zp = int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1))
        x = rng.integers(lo, hi + 1, size=shape).astype(dtype)
        if i % 4 < 2 and not (dtype == np.int16 and not nonzero_zp16):
            # half of the cases: pick out_zp so that the mean lands mid-range
            # (otherwise many outputs just saturate); the rest stay fully random
            real_mean = (float(x.mean()) - in_zp) * in_s
            out_zp = int(np.clip(round(-real_mean / out_s) + (lo + hi) // 2
                                 + int(rng.integers(-20, 21)), lo, hi))
        cases.append((f"random_{i}", x, in_s, in_zp, out_s, out_zp, bool(i % 2)))
    # edge cases: equal scales, saturation, tiny ratio (shift cap 31 + shift), big maps
    edge = [("same_scale_7x7", (1, 7, 7, 3), 0.02, 0.02),
            ("upscale_saturates", (1, 3, 3, 4), 0.5, 0.001),
            ("tiny_ratio_32x32", (1, 32, 32, 2), 1e-9, 1.0),
            ("small_ratio_16x16", (1, 16, 16, 2), 1e-6, 1.0)]
    for j, (name, shape, in_s, out_s) in enumerate(edge):
        if dtype == np.int16 and not nonzero_zp16:
            in_zp = out_zp = 0
        elif dtype == np.int16:
            in_zp, out_zp = -1234, 777
        else:
            in_zp, out_zp = [(lo + 1, hi - 1), (0, 0), (lo, lo), (hi, lo + 5), (3, -3 if lo < 0 else 3)][j]
        x = rng.integers(lo, hi + 1, size=shape).astype(dtype)
        cases.append((name, x, f32(in_s), in_zp, f32(out_s), out_zp, j % 2 == 0))
    return cases


def avgpool_cases(dtype, rng, n_random):
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    cases = []
    if dtype == np.int8:
        # worked tie example: (-255 - 1) / 2 = -128 (half away from zero on the raw sum)
        cases.append(("tie_zp_m128", np.array([-128, -127], np.int8).reshape(1, 1, 2, 1), 0.5, -128))
    for i in range(n_random):
        shape = (int(rng.integers(1, 3)), int(rng.choice([1, 2, 3, 4, 5, 7, 8, 14])),
                 int(rng.choice([1, 2, 3, 4, 5, 7, 8, 14])), int(rng.integers(1, 6)))
        s = f32(np.exp(rng.uniform(np.log(1e-4), np.log(1.0))))
        zp = 0 if dtype == np.int16 else int(rng.integers(lo, hi + 1))
        cases.append((f"random_{i}", rng.integers(lo, hi + 1, size=shape).astype(dtype), s, zp))
    for name, shape in [("map_7x7", (1, 7, 7, 8)), ("map_32x32", (1, 32, 32, 2))]:
        cases.append((name, rng.integers(lo, hi + 1, size=shape).astype(dtype), 0.05,
                      0 if dtype == np.int16 else lo + 3))
    return cases



# --------------------------------------------------------------------------
# Structured cases (issue 5): spatial sizes x channel counts, scale ratios,
# extreme zero points, extreme inputs, ties
# --------------------------------------------------------------------------
SPATIAL_HW = {1: (1, 1), 2: (1, 2), 49: (7, 7), 196: (14, 14), 3136: (56, 56)}
CHANNELS = (1, 3, 8, 17, 64, 100)


def grid(dtype, wide_big=False):
    """(spatial, channels): every channel count on the small maps, fewer on the big ones (the
    data must stay small); 56x56 with 17 channels (a SIMD width plus a remainder) only where
    wide_big (int8 MEAN)."""
    big = (1, 3, 17) if wide_big else (1, 3)
    return ([(s, c) for s in (1, 2, 49) for c in CHANNELS]
            + [(196, c) for c in (1, 3, 8, 17)]
            + [(3136, c) for c in big])
# in/out scale ratios: every power of two 2^-8 .. 2^8, and non-powers between them
RATIO_EXPS = ([float(k) for k in range(-8, 9)]
              + [k + f for k, f in zip(range(-8, 8), [0.37, 0.5, 0.91, 0.13, 0.66, 0.25, 0.8, 0.42,
                                                       0.58, 0.2, 0.75, 0.33, 0.09, 0.61, 0.87, 0.49])])


def _ratio_label(e):
    return f"2^{int(e)}" if e == int(e) else f"2^{e:.2f}"


def _scales(rng, ratio_exp):
    """(in_scale, out_scale) as f32 with in/out = 2^ratio_exp (exactly, for integer exponents)."""
    in_s = f32(np.exp(rng.uniform(np.log(1e-3), np.log(0.1))))
    out_s = f32(in_s / 2.0 ** ratio_exp)
    return in_s, out_s


def _input(rng, shape, dtype, mode, center=0, amp=0):
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    if mode == "uniform":
        return rng.integers(lo, hi + 1, size=shape).astype(dtype)
    if mode == "near":   # center +- amp (clipped): means that do not saturate at big ratios
        return np.clip(center + rng.integers(-amp, amp + 1, size=shape), lo, hi).astype(dtype)
    if mode == "min":
        return np.full(shape, lo, dtype)
    if mode == "max":
        return np.full(shape, hi, dtype)
    if mode == "minmax":  # only the two extremes
        return np.where(rng.integers(0, 2, size=shape) == 1, hi, lo).astype(dtype)
    raise ValueError(mode)


def _centered_out_zp(rng, x, in_s, in_zp, out_s, lo, hi):
    """An output zero point that puts the mean mid-range (so outputs do not just saturate)."""
    real_mean = (float(x.astype(np.float64).mean()) - in_zp) * in_s
    return int(np.clip(round(-real_mean / out_s) + (lo + hi) // 2 + int(rng.integers(-20, 21)), lo, hi))


def _near_amp(lo, hi, ratio_exp):
    return int(max(2, min((hi - lo) // 2, (hi - lo) / 2.0 ** (ratio_exp + 1))))


def mean_structured(dtype, rng, nonzero_zp16):
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    zp_free = not (dtype == np.int16 and not nonzero_zp16)   # LiteRT int16: zp must be 0
    rand_zp = (lambda: int(rng.integers(lo, hi + 1))) if zp_free else (lambda: 0)
    cases = []

    def add(name, x, in_s, in_zp, out_s, out_zp, kd):
        cases.append((name, x, in_s, in_zp, out_s, out_zp, kd))

    # grid: spatial x channels; scale ratio and input mode rotate through the grid
    for j, (s, c) in enumerate(grid(dtype, wide_big=dtype == np.int8)):
        h, w = SPATIAL_HW[s]
        n = 2 if s * c <= 400 else 1
        e = RATIO_EXPS[(5 * j) % len(RATIO_EXPS)]
        in_s, out_s = _scales(rng, e)
        in_zp = rand_zp()
        if j % 2 == 0:
            x = _input(rng, (n, h, w, c), dtype, "uniform")
        else:
            x = _input(rng, (n, h, w, c), dtype, "near", in_zp, _near_amp(lo, hi, e))
        out_zp = _centered_out_zp(rng, x, in_s, in_zp, out_s, lo, hi) if zp_free else 0
        add(f"grid_s{s}_c{c}_r{_ratio_label(e)}", x, in_s, in_zp, out_s, out_zp, j % 3 != 0)

    # scale-ratio sweep over small maps
    for j, e in enumerate(RATIO_EXPS):
        s = (1, 2, 49)[j % 3]
        c = (3, 8, 17, 1)[(j // 3) % 4]
        h, w = SPATIAL_HW[s]
        in_s, out_s = _scales(rng, e)
        in_zp = rand_zp()
        x = _input(rng, (2 if s < 49 else 1, h, w, c), dtype, "near", in_zp, _near_amp(lo, hi, e))
        out_zp = _centered_out_zp(rng, x, in_s, in_zp, out_s, lo, hi) if zp_free else 0
        add(f"ratio_{_ratio_label(e)}_s{s}_c{c}", x, in_s, in_zp, out_s, out_zp, j % 2 == 0)

    # ties: power-of-two ratios on 1 and 2 positions make x.5 results (both signs)
    for s, e in [(1, -1.0), (1, -2.0), (2, 0.0), (2, -1.0), (2, 1.0)]:
        h, w = SPATIAL_HW[s]
        in_s, out_s = _scales(rng, e)
        in_zp = rand_zp()
        x = _input(rng, (2, h, w, 17), dtype, "near", in_zp, _near_amp(lo, hi, e))
        out_zp = _centered_out_zp(rng, x, in_s, in_zp, out_s, lo, hi) if zp_free else 0
        add(f"ties_s{s}_r{_ratio_label(e)}", x, in_s, in_zp, out_s, out_zp, True)

    # equal input and output parameters (common in converted models)
    for s, c in [(2, 17), (49, 8), (196, 3), (3136, 1)]:
        h, w = SPATIAL_HW[s]
        sc = f32(np.exp(rng.uniform(np.log(1e-3), np.log(0.1))))
        zp = rand_zp()
        add(f"same_params_s{s}_c{c}", _input(rng, (1, h, w, c), dtype, "uniform"),
            sc, zp, sc, zp, True)

    # extreme zero points (type min / max on either side) and extreme inputs
    zps = ([(lo, lo), (lo, hi), (hi, lo), (hi, hi), (lo, 0 if lo < 0 else hi // 2)]
           if zp_free else [(0, 0)] * 2)
    modes = ("uniform", "min", "max", "minmax", "near")
    for j, (in_zp, out_zp) in enumerate(zps):
        for k, (s, c) in enumerate([(1, 8), (2, 3), (49, 17), (196, 1), (3136, 1)][:5 if j == 0 else 4]):
            h, w = SPATIAL_HW[s]
            e = (0.0, -8.0, 8.0, 3.37, -5.5)[(j + k) % 5]
            mode = modes[(j + 2 * k) % 5]
            in_s, out_s = _scales(rng, e)
            x = _input(rng, (1, h, w, c), dtype, mode, in_zp, _near_amp(lo, hi, e))
            tag = "zp" if zp_free else "zp0"
            add(f"{tag}_{in_zp}_{out_zp}_{mode}_s{s}_c{c}_r{_ratio_label(e)}", x, in_s, in_zp,
                out_s, out_zp, k % 2 == 0)
    return cases


def avgpool_structured(dtype, rng):
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    zp_free = dtype != np.int16
    cases = []
    zp_cycle = [lo, hi, 0 if lo < 0 else 128] if zp_free else [0]
    for j, (s, c) in enumerate(grid(dtype)):
        h, w = SPATIAL_HW[s]
        n = 2 if s * c <= 400 else 1
        mode = ("uniform", "ties", "uniform", "minmax")[j % 4]
        x = _input(rng, (n, h, w, c), dtype, "minmax" if mode == "minmax" else "uniform")
        if mode == "ties":
            x = _force_ties(x)
        sc = f32(np.exp(rng.uniform(np.log(1e-3), np.log(0.1))))
        cases.append((f"grid_s{s}_c{c}_{mode}", x, sc, zp_cycle[j % len(zp_cycle)]))
    for s in (2, 196, 3136):   # every channel a tie (n even), both signs
        h, w = SPATIAL_HW[s]
        c = (17, 8, 1)[(2, 196, 3136).index(s)]
        cases.append((f"ties_s{s}_c{c}", _force_ties(_input(rng, (1, h, w, c), dtype, "uniform")),
                      0.05, zp_cycle[0]))
    for mode in ("min", "max"):   # the largest sums
        for s, c in [(1, 3), (49, 17), (3136, 1)]:
            h, w = SPATIAL_HW[s]
            cases.append((f"const_{mode}_s{s}_c{c}", _input(rng, (1, h, w, c), dtype, mode),
                          0.05, zp_cycle[-1]))
    return cases


def _force_ties(x):
    """Adjust each channel so that its sum is an odd multiple of n/2 (n = H*W even): the
    average is exactly x.5. Maps with odd n cannot tie and are returned unchanged."""
    info = np.iinfo(x.dtype)
    lo, hi = int(info.min), int(info.max)
    n_el = x.shape[1] * x.shape[2]
    if n_el % 2:
        return x
    y = x.astype(np.int64).reshape(x.shape[0], n_el, x.shape[3])
    for b in range(y.shape[0]):
        for c in range(y.shape[2]):
            col = y[b, :, c]
            delta = (n_el // 2 - int(col.sum())) % n_el     # raise the sum by delta ...
            for i in range(n_el):
                step = min(delta, hi - int(col[i]))
                col[i] += step
                delta -= step
            if delta:                                        # ... or lower it by n - delta
                delta = n_el - delta
                for i in range(n_el):
                    step = min(delta, int(col[i]) - lo)
                    col[i] -= step
                    delta -= step
            assert int(col.sum()) % n_el == n_el // 2
    return y.reshape(x.shape).astype(x.dtype)

# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------
def evaluate(model, x, use_litert_ref, use_tflm):
    """Run the reference runtimes; return (golden, sources, optimized)."""
    results = {}
    if use_litert_ref:
        results["litert_builtin_ref"] = run_litert(model, x, OpResolverType.BUILTIN_REF)
    if use_tflm and tflm_runtime is not None:
        results["tflite_micro"] = run_tflm(model, x)
    if not results:
        raise RuntimeError("no reference runtime available for this case")
    golden = next(iter(results.values()))
    for k, v in results.items():
        if v.shape != golden.shape or not np.array_equal(v, golden):
            raise AssertionError(f"reference runtimes disagree: {k}")
    optimized = None
    if use_litert_ref:   # informational: LiteRT default (optimized + XNNPACK)
        optimized = run_litert(model, x, OpResolverType.BUILTIN)
    return golden, sorted(results), optimized


def record(name, op, x, golden, sources, optimized, **params):
    r = {"name": name, "op": op, "dtype": str(x.dtype), "input_shape": list(x.shape)}
    r.update(params)
    r.update({"input": x.ravel().tolist(),             # NHWC, row-major
              "output_shape": list(golden.shape),
              "expected": golden.ravel().tolist(),      # reference kernels
              "reference_sources": sources})
    if optimized is not None:
        r["litert_optimized"] = optimized.ravel().tolist()
        r["litert_optimized_differs"] = bool(not np.array_equal(optimized, golden))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="golden_out")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--random", type=int, default=16, help="random cases per file")
    ap.add_argument("--format", choices=["txt", "json"], default="txt")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # one independent, reproducible stream per output file (and one for its structured cases,
    # so that --random does not change them)
    file_rng = lambda fname: np.random.default_rng([args.seed, zlib.crc32(fname.encode())])
    import ai_edge_litert
    versions = {"ai-edge-litert": getattr(ai_edge_litert, "__version__", "?"),
                "tflite-micro": getattr(sys.modules.get("tflite_micro"), "__version__", None),
                "numpy": np.__version__}
    command = (f"python3 tests/golden/golden.py --out tests/data --seed {args.seed} "
               f"--random {args.random} --format {args.format}")
    summary = []

    # ---- MEAN ----
    for tag, dtype, nz16 in [("int8", np.int8, False), ("uint8", np.uint8, False),
                             ("int16", np.int16, False), ("int16_nonzero_zp", np.int16, True)]:
        records = []
        if nz16 and tflm_runtime is None:
            print("skipping mean_int16_nonzero_zp: only tflite-micro accepts it", file=sys.stderr)
            continue
        cases = (mean_cases(dtype, file_rng(f"mean_{tag}"), args.random, nz16)
                 + mean_structured(dtype, file_rng(f"mean_{tag}/structured"), nz16))
        for name, x, in_s, in_zp, out_s, out_zp, kd in cases:
            model = mean_model(x.shape, dtype, in_s, in_zp, out_s, out_zp, kd)
            golden, sources, opt = evaluate(
                model, x,
                use_litert_ref=not nz16,               # LiteRT: int16 needs zp == 0
                use_tflm=dtype != np.uint8)            # TFLM MEAN: no uint8
            emu = emulate_mean(x, in_s, in_zp, out_s, out_zp, mbqm_double)
            if not np.array_equal(emu.ravel(), golden.ravel().astype(np.int64)):
                raise AssertionError(f"mean {tag} {name}: python model != reference")
            single = emulate_mean(x, in_s, in_zp, out_s, out_zp, mbqm_single)
            r = record(name, "MEAN", x, golden, sources, opt, axes=[1, 2], keep_dims=kd,
                       input_scale=in_s, input_scale_f32_bits=f"{np.float32(in_s).view(np.uint32):08x}",
                       input_zero_point=in_zp,
                       output_scale=out_s, output_scale_f32_bits=f"{np.float32(out_s).view(np.uint32):08x}",
                       output_zero_point=out_zp)
            r["expected_single_rounding"] = single.ravel().tolist()
            r["expected_single_rounding_source"] = "python emulation (no installable build uses TFLITE_SINGLE_ROUNDING)"
            records.append(r)
        summary.append(_write(args.out, f"mean_{tag}", records, versions, command, args))

    # ---- AVERAGE_POOL_2D (global) ----
    for tag, dtype in [("int8", np.int8), ("uint8", np.uint8), ("int16", np.int16)]:
        records = []
        cases = (avgpool_cases(dtype, file_rng(f"avgpool_{tag}"), args.random)
                 + avgpool_structured(dtype, file_rng(f"avgpool_{tag}/structured")))
        for name, x, s, zp in cases:
            model = avgpool_model(x.shape, dtype, s, zp)
            golden, sources, opt = evaluate(model, x, use_litert_ref=True,
                                            use_tflm=dtype != np.uint8)  # TFLM pool: no uint8
            if not np.array_equal(emulate_avgpool(x).ravel(), golden.ravel().astype(np.int64)):
                raise AssertionError(f"avgpool {tag} {name}: python model != reference")
            records.append(record(name, "AVERAGE_POOL_2D", x, golden, sources, opt,
                                  filter=[x.shape[1], x.shape[2]], stride=[1, 1], padding="VALID",
                                  scale=s, scale_f32_bits=f"{np.float32(s).view(np.uint32):08x}",
                                  zero_point=zp))
        summary.append(_write(args.out, f"avgpool_{tag}", records, versions, command, args))

    for line in summary:
        print(line)


SOURCE_TAG = {"litert_builtin_ref": "litert-ref", "tflite_micro": "tflm"}

TXT_FORMAT = """\
# Format: '#' lines are comments. Each case is a block of lines 'key values...',
# from 'case NAME' to 'end'. Keys:
#   case NAME            unique within the file
#   op                   MEAN or AVERAGE_POOL_2D
#   dtype                int8, uint8 or int16
#   shape N H W C        the NHWC input shape (globalpool: Shape::new(N, C, H*W), Layout::Nhwc)
#   in_scale BITS REPR   MEAN: input scale, f32 bit pattern in hex (authoritative), then decimal
#   in_zp Z              MEAN: input zero point
#   out_scale BITS REPR  MEAN: output scale
#   out_zp Z             MEAN: output zero point
#   keep_dims 0|1        MEAN: output [N,1,1,C] (1) or [N,C] (0); same values in the same order
#   scale BITS REPR      AVERAGE_POOL_2D: scale of input and output (filter H x W, stride 1, VALID)
#   zp Z                 AVERAGE_POOL_2D: zero point of input and output
#   ref SRC...           the reference runtimes that produced 'expected' and agreed bit for bit:
#                        litert-ref (LiteRT, OpResolverType.BUILTIN_REF) and/or tflm (TFLite-Micro)
#   input V...           the input, NHWC row-major, in decimal; may span several 'input' lines
#                        (concatenate them)
#   input_hex HEX        instead of 'input' for inputs of more than 256 values: each value in
#                        fixed-width two's-complement hex without separators (2 digits for int8 /
#                        uint8, 4 for int16; 'ff' is -1 in int8, 255 in uint8), 64 values a line
#   expected V...        the reference output, [N][C] row-major
#   expected_single_rounding V...
#                        MEAN only: EMULATED by golden.py's integer model with TFLITE_SINGLE_ROUNDING
#                        arithmetic; no installable runtime is built that way
#   litert_optimized V...  informational, NOT golden: LiteRT's default resolver (optimized
#                        kernels + XNNPACK); absent when LiteRT rejects the model
#   end
"""


DECIMAL_MAX = 256   # inputs up to this many values are written in decimal, longer ones in hex


def _input_lines(vals, dtype):
    """'input' lines (decimal, 32 a line) for short inputs; 'input_hex' lines (fixed-width
    two's-complement hex, 64 values a line) for long ones, to keep the data small."""
    if len(vals) <= DECIMAL_MAX:
        return ["input " + " ".join(map(str, vals[i:i + 32])) for i in range(0, len(vals), 32)]
    bits = np.iinfo(DTYPES[dtype]).bits
    fmt = "{:02x}" if bits == 8 else "{:04x}"
    mask = (1 << bits) - 1
    return ["input_hex " + "".join(fmt.format(v & mask) for v in vals[i:i + 64])
            for i in range(0, len(vals), 64)]


def _write(out_dir, stem, records, versions, command, args):
    srcs = sorted({s for r in records for s in r["reference_sources"]})
    if any("litert_optimized" in r for r in records):
        n_opt = sum(r["litert_optimized_differs"] for r in records)
        opt = f"litert-optimized differs in {n_opt} cases"
    else:
        n_opt = None
        opt = "litert-optimized not run (LiteRT rejects these models)"
    n_vals = sum(len(r["input"]) for r in records)
    if args.format == "json":
        path = os.path.join(out_dir, stem + ".json")
        with open(path, "w") as f:
            json.dump({"generator": "golden.py", "versions": versions, "command": command,
                       "cases": records}, f, separators=(",", ":"))
            f.write("\n")
    else:
        path = os.path.join(out_dir, stem + ".txt")
        r0 = records[0]
        lines = [f"# globalpool golden vectors: {r0['op']} {r0['dtype']}"
                 + (" (non-zero zero points)" if stem.endswith("nonzero_zp") else ""),
                 "# Generated by tests/golden/golden.py; do not edit. Regenerate with:",
                 f"#   {command}",
                 "# Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
                 f"# Seed: {args.seed}. Reference runtimes: "
                 + ", ".join(SOURCE_TAG[s] for s in srcs) + ".",
                 f"# {len(records)} cases, {n_vals} input values"
                 + (f"; LiteRT's optimized kernels differ from the reference in {n_opt} cases."
                    if n_opt is not None else "; LiteRT rejects these models (no optimized run)."),
                 *TXT_FORMAT.rstrip("\n").split("\n")]
        for r in records:
            n, h, w, c = r["input_shape"]
            lines += [f"case {r['name']}", f"op {r['op']}", f"dtype {r['dtype']}",
                      f"shape {n} {h} {w} {c}"]
            if r["op"] == "MEAN":
                lines += [f"in_scale {r['input_scale_f32_bits']} {r['input_scale']!r}",
                          f"in_zp {r['input_zero_point']}",
                          f"out_scale {r['output_scale_f32_bits']} {r['output_scale']!r}",
                          f"out_zp {r['output_zero_point']}",
                          f"keep_dims {int(r['keep_dims'])}"]
            else:
                lines += [f"scale {r['scale_f32_bits']} {r['scale']!r}", f"zp {r['zero_point']}"]
            lines.append("ref " + " ".join(SOURCE_TAG[s] for s in r["reference_sources"]))
            lines += _input_lines(r["input"], r["dtype"])
            lines.append("expected " + " ".join(map(str, r["expected"])))
            if "expected_single_rounding" in r:
                lines.append("expected_single_rounding "
                             + " ".join(map(str, r["expected_single_rounding"])))
            if "litert_optimized" in r:
                lines.append("litert_optimized " + " ".join(map(str, r["litert_optimized"])))
            lines.append("end")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
    n_single = sum(r["expected_single_rounding"] != r["expected"] for r in records
                   if "expected_single_rounding" in r)
    return (f"{os.path.basename(path)}: {len(records)} cases, {n_vals} input values, "
            f"{os.path.getsize(path)} bytes, sources={srcs}, {opt}"
            + (f", single rounding differs in {n_single} cases" if records[0]["op"] == "MEAN" else ""))


if __name__ == "__main__":
    main()
