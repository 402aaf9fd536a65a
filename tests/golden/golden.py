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

Usage:  python golden.py --out tests/data [--seed 2024] [--random 200]
Writes one JSON file per (op, dtype): e.g. mean_int8.json, avgpool_uint8.json.
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
            ("small_ratio_16x16", (1, 16, 16, 2), 1e-6, 1.0),
            ("big_map_64x64", (1, 64, 64, 2), 0.01, 0.03)]
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
    ap.add_argument("--random", type=int, default=100, help="random cases per file")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    # one independent, reproducible stream per output file
    file_rng = lambda fname: np.random.default_rng([args.seed, zlib.crc32(fname.encode())])
    import ai_edge_litert
    versions = {"ai-edge-litert": getattr(ai_edge_litert, "__version__", "?"),
                "tflite-micro": getattr(sys.modules.get("tflite_micro"), "__version__", None),
                "numpy": np.__version__}
    summary = []

    # ---- MEAN ----
    for tag, dtype, nz16 in [("int8", np.int8, False), ("uint8", np.uint8, False),
                             ("int16", np.int16, False), ("int16_nonzero_zp", np.int16, True)]:
        records = []
        if nz16 and tflm_runtime is None:
            print("skipping mean_int16_nonzero_zp: only tflite-micro accepts it", file=sys.stderr)
            continue
        for name, x, in_s, in_zp, out_s, out_zp, kd in mean_cases(dtype, file_rng(f"mean_{tag}"), args.random, nz16):
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
        summary.append(_write(args.out, f"mean_{tag}.json", records, versions))

    # ---- AVERAGE_POOL_2D (global) ----
    for tag, dtype in [("int8", np.int8), ("uint8", np.uint8), ("int16", np.int16)]:
        records = []
        for name, x, s, zp in avgpool_cases(dtype, file_rng(f"avgpool_{tag}"), args.random):
            model = avgpool_model(x.shape, dtype, s, zp)
            golden, sources, opt = evaluate(model, x, use_litert_ref=True,
                                            use_tflm=dtype != np.uint8)  # TFLM pool: no uint8
            if not np.array_equal(emulate_avgpool(x).ravel(), golden.ravel().astype(np.int64)):
                raise AssertionError(f"avgpool {tag} {name}: python model != reference")
            records.append(record(name, "AVERAGE_POOL_2D", x, golden, sources, opt,
                                  filter=[x.shape[1], x.shape[2]], stride=[1, 1], padding="VALID",
                                  scale=s, scale_f32_bits=f"{np.float32(s).view(np.uint32):08x}",
                                  zero_point=zp))
        summary.append(_write(args.out, f"avgpool_{tag}.json", records, versions))

    for line in summary:
        print(line)


def _write(out_dir, fname, records, versions):
    path = os.path.join(out_dir, fname)
    with open(path, "w") as f:
        json.dump({"generator": "golden.py", "versions": versions, "cases": records}, f,
                  separators=(",", ":"))
        f.write("\n")
    srcs = sorted({s for r in records for s in r["reference_sources"]})
    if any("litert_optimized" in r for r in records):
        n_opt = sum(r["litert_optimized_differs"] for r in records)
        opt = f"litert-optimized differs in {n_opt} cases"
    else:
        opt = "litert-optimized not run (LiteRT rejects these models)"
    return f"{fname}: {len(records)} cases, sources={srcs}, {opt}"


if __name__ == "__main__":
    main()
