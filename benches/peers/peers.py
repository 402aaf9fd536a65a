#!/usr/bin/env python3
"""Side-by-side benchmark of globalpool (C ABI, via ctypes) against peer inference engines.

Every engine runs single-threaded, in this one process, on the same input arrays. For each
(case, layout, op) cell every engine variant is built, run once and checked against a
float64 numpy reference (avg: rtol 1e-5; max: exact); a variant that fails is reported as
wrong and not timed. The variants that pass are timed round-robin (batch 1 of every variant,
then batch 2, ...) so a burst of background load hits all of them alike; each batch runs the
call enough times to last --batch-seconds and the cell's number is the median per-call time
over --batches batches. Only the call is timed: models are built, inputs bound and outputs
allocated beforehand.

Usage (normally through run.sh):
    python peers.py --lib /path/libglobalpool.so --out docs [--quick] [--cases 1x1280x7x7,...]
Writes <out>/peers.json (raw results), <out>/peers.md and <out>/peers.svg (via report.py).
"""
import argparse
import ctypes
import datetime
import functools
import gc
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field

# One thread everywhere. Each engine is also pinned through its own API below; these keep
# OpenMP / OpenBLAS pools (ncnn, torch, numpy's BLAS) from starting more threads at import.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import models  # noqa: E402
from models import NotExpressible  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One benchmark shape. `spatial` is (H, W) for images, (L,) for token sequences.

    dtype: "f32", or "i8" / "u8" for the quantized average cases (op "avg" only; scale and
    zero point from QUANT). An engine lists the dtypes it takes in `Engine.dtypes`.
    """
    name: str
    n: int
    c: int
    spatial: tuple
    dtype: str = "f32"
    ops: tuple = ("avg", "max")
    note: str = ""

    @property
    def s(self):
        out = 1
        for d in self.spatial:
            out *= d
        return out

    def shape(self, layout):
        return (self.n, self.c, *self.spatial) if layout == "NCHW" else (self.n, *self.spatial, self.c)

    def axes(self, layout):
        k = len(self.spatial)
        return tuple(range(2, 2 + k)) if layout == "NCHW" else tuple(range(1, 1 + k))

    @property
    def elements(self):
        return self.n * self.c * self.s

    @property
    def base(self):
        """The shape's name without the dtype suffix ("1x1280x7x7-i8" -> "1x1280x7x7")."""
        return self.name[:-len(self.dtype) - 1] if self.dtype != "f32" else self.name


ITEMSIZE = {"f32": 4, "i8": 1, "u8": 1}
NP_DTYPE = {"f32": np.float32, "i8": np.int8, "u8": np.uint8}

F32_CASES = [
    Case("1x1280x7x7", 1, 1280, (7, 7), note="MobileNetV2 / EfficientNet-B0 head"),
    Case("1x2048x7x7", 1, 2048, (7, 7), note="ResNet-50 head"),
    Case("1x512x14x14", 1, 512, (14, 14)),
    Case("1x64x112x112", 1, 64, (112, 112)),
    Case("8x256x56x56", 8, 256, (56, 56), note="25.7 MB, larger than L2"),
    Case("1x3x224x224", 1, 3, (224, 224), note="3 channels"),
    Case("tokens32x128x768", 32, 768, (128,),
         note="token mean pooling: 32 sequences x 128 tokens x 768 dims"),
    Case("tiny1x32x1x1", 1, 32, (1, 1), note="per-call overhead"),
]
# Quantized average pooling: input and output share one scale / zero point (what TFLite's
# AVERAGE_POOL_2D requires and what a QDQ model around GlobalAveragePool carries): the
# activations of a ReLU6 before the head, [0, 6] in 255 steps. MEAN models get the same
# parameters in and out, so both TFLite ops compute the same rounded mean.
QUANT = {"i8": (float(np.float32(6 / 255)), -128), "u8": (float(np.float32(6 / 255)), 0)}
INT_CASES = [Case(f"{c.name}-{dt}", c.n, c.c, c.spatial, dtype=dt, ops=("avg",), note=c.note)
             for dt in ("i8", "u8") for c in F32_CASES]
CASES = F32_CASES + INT_CASES
LAYOUTS = ("NCHW", "NHWC")


def aligned_empty(shape, dtype, offset):
    """A C-contiguous array whose data starts `offset` bytes after a 64-byte boundary.

    Engines that copy the input into their own tensors (LiteRT, ncnn, tract) align those to
    64 bytes; the ones that read the caller's buffer (globalpool, numpy, torch, ONNX Runtime,
    OpenVINO) get this one. Offset 0 gives all of them the same, aligned start; --offset 16
    shows what a plain malloc'd buffer (16-byte aligned) costs each of them."""
    dt = np.dtype(dtype)
    n = int(np.prod(shape))
    raw = np.empty(n * dt.itemsize + 64 + offset, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    return raw[start:start + n * dt.itemsize].view(dt).reshape(shape)


def make_input(case, layout, rng, offset=0):
    shape = case.shape(layout)
    x = aligned_empty(shape, NP_DTYPE[case.dtype], offset)
    if case.dtype == "f32":
        # N(1, 1): signs mixed, channel means far from 0 so a relative tolerance is meaningful
        x[...] = rng.standard_normal(shape, dtype=np.float32) + np.float32(1.0)
    else:  # quantized: uniform over the whole type range
        info = np.iinfo(NP_DTYPE[case.dtype])
        x[...] = rng.integers(info.min, info.max + 1, size=shape)
    assert x.flags.c_contiguous and (x.ctypes.data - offset) % 64 == 0
    return x


def reference(case, layout, op, x):
    """float64 result, shape (N, C). Quantized: the mean of the dequantized input, requantized
    with the (same) output parameters, not rounded: mean(scale * (q - zp)) / scale + zp."""
    ax = case.axes(layout)
    x64 = x.astype(np.float64)
    if case.dtype != "f32":
        scale, zp = QUANT[case.dtype]
        return ((scale * (x64 - zp)).mean(axis=ax) / scale + zp).reshape(case.n, case.c)
    r = x64.mean(axis=ax) if op == "avg" else x64.max(axis=ax)
    return r.reshape(case.n, case.c)


def tflite_avg_rule(case, layout, x):
    """TFLite AVERAGE_POOL_2D (reference kernel) over the whole map, written out in numpy:
    the raw sum rounded half away from zero, (acc +- n/2) / n with C division. globalpool's
    gp_global_avg_pool_{i8,u8} must equal it bit for bit."""
    n = case.s
    acc = x.astype(np.int64).sum(axis=case.axes(layout)).reshape(case.n, case.c)
    q = np.where(acc > 0, (acc + n // 2) // n, -((n // 2 - acc) // n))
    info = np.iinfo(NP_DTYPE[case.dtype])
    return np.clip(q, info.min, info.max)


def diff_counts(got, exact):
    """[equal, off by 1, off by more] between two quantized outputs."""
    d = np.abs(np.asarray(got).reshape(exact.shape).astype(np.int64) - exact.astype(np.int64))
    return [int((d == 0).sum()), int((d == 1).sum()), int((d > 1).sum())]


def check(case, op, got, ref):
    """None if `got` passes, else a short reason."""
    got = np.asarray(got)
    if got.size != ref.size:
        return f"output has {got.size} values, expected {ref.size}"
    if case.dtype != "f32":
        if got.dtype != NP_DTYPE[case.dtype]:
            return f"output is {got.dtype}, expected {np.dtype(NP_DTYPE[case.dtype])}"
        info = np.iinfo(NP_DTYPE[case.dtype])
        rounded = np.clip(np.round(ref), info.min, info.max)   # correctly rounded (ties even)
        err = np.abs(got.reshape(ref.shape).astype(np.float64) - rounded)
        if (err > 1).any():
            return (f"quantized avg off by more than 1 LSB: {int((err > 1).sum())} of {err.size} "
                    f"(worst {err.max():.0f})")
        return None
    got = got.reshape(ref.shape).astype(np.float64)
    if not np.all(np.isfinite(got)):
        return "non-finite output"
    if op == "max":
        bad = got != ref
        if bad.any():
            i = np.flatnonzero(bad)[0]
            return f"max not exact: {bad.sum()} of {bad.size} differ, e.g. {got.flat[i]!r} vs {ref.flat[i]!r}"
        return None
    tol = 1e-5 * np.abs(ref) + 1e-6 * max(float(np.abs(ref).mean()), 1e-30)
    err = np.abs(got - ref)
    if (err > tol).any():
        rel = float((err / np.maximum(np.abs(ref), 1e-30)).max())
        return f"avg off: {int((err > tol).sum())} of {err.size} outside rtol 1e-5 (worst rel {rel:.2e})"
    return None


# --------------------------------------------------------------------------
# Engines
# --------------------------------------------------------------------------
@dataclass
class Variant:
    """A ready-to-time call. `call` does the work only; `result` fetches the output."""
    tag: str          # short code shown in the table
    desc: str         # what it is
    call: object
    result: object
    keep: list = field(default_factory=list)   # objects that must outlive the call
    note: str = ""


class Engine:
    name = "?"
    dtypes = ("f32", "i8", "u8")
    no_dtype = ""      # why an engine lacks a dtype, for the n/a cells

    def version(self):
        return "?"

    def config(self):
        return ""

    def variants(self, case, layout, op, x, tmp):
        """Yields Variant objects, or (tag, desc, exception) for a variant that could not be
        built (NotExpressible means 'n/a', anything else is reported as an error)."""
        raise NotImplementedError


def _out(case):
    return np.empty((case.n, case.c), np.float32 if case.dtype == "f32" else NP_DTYPE[case.dtype])


class Globalpool(Engine):
    name = "globalpool"

    def __init__(self, lib_path):
        self.lib = ctypes.CDLL(lib_path)
        self.path = lib_path
        self.lib.gp_isa_name.restype = ctypes.c_char_p
        self.lib.gp_isa_name.argtypes = []
        self.fns = {}
        for op in ("avg", "max"):
            # No argtypes: the call gets ready-made ctypes objects (see variants), which
            # halves ctypes' per-call cost against converting 8 Python ints each time.
            f = getattr(self.lib, f"gp_global_{op}_pool_f32")
            f.restype = ctypes.c_int
            self.fns[op] = f
        for dt, c in (("i8", "i8"), ("u8", "u8")):
            for key, sym in (("avg", f"gp_global_avg_pool_{c}"),
                             ("mean", f"gp_global_mean_quantized_{c}")):
                f = getattr(self.lib, sym)
                f.restype = ctypes.c_int
                self.fns[(key, dt)] = f

    def isa(self):
        return self.lib.gp_isa_name().decode()

    def version(self):
        return f"0.1.0, this repository (path `{self.isa()}`)"

    def config(self):
        return ("`gp_global_{avg,max}_pool_f32` from the cdylib built with `--profile capi "
                "--features capi`, called through ctypes (`functools.partial` over ready-made "
                "ctypes arguments: about 0.6 µs of ctypes cost per call here); detected path "
                f"`{self.isa()}`; the library never starts threads. int8 / uint8 forms: "
                "A = `gp_global_avg_pool_{i8,u8}` (TFLite AVERAGE_POOL_2D: the raw sum rounded "
                "half away from zero, same scale / zero point in and out; 8 arguments), "
                "M = `gp_global_mean_quantized_{i8,u8}` (TFLite MEAN, reference-kernel bits, "
                "default double rounding, in / out parameters those of the models; 13 arguments)")

    def variants(self, case, layout, op, x, tmp):
        lay = 0 if layout == "NCHW" else 1
        sz = ctypes.c_size_t
        head = (ctypes.c_void_p(x.ctypes.data), sz(x.size), sz(case.n), sz(case.c), sz(case.s),
                ctypes.c_uint32(lay))
        if case.dtype == "f32":
            forms = [("C", "C ABI via ctypes", self.fns[op], ())]
        else:
            scale, zp = QUANT[case.dtype]
            q = (ctypes.c_float(scale), ctypes.c_int32(zp), ctypes.c_float(scale),
                 ctypes.c_int32(zp), ctypes.c_uint32(0))
            forms = [("A", f"gp_global_avg_pool_{case.dtype} (AVERAGE_POOL_2D rule)",
                      self.fns[("avg", case.dtype)], ()),
                     ("M", f"gp_global_mean_quantized_{case.dtype} (TFLite MEAN, double rounding)",
                      self.fns[("mean", case.dtype)], q)]
        for tag, desc, f, extra in forms:
            out = _out(case)
            args = head + extra + (ctypes.c_void_p(out.ctypes.data), sz(out.size))
            status = f(*args)
            if status != 0:
                yield (tag, desc, RuntimeError(f"gp status {status}"))
                continue
            if tag == "A":   # bit-exact with the reference kernel, or the run stops being useful
                rule = tflite_avg_rule(case, layout, x)
                if not np.array_equal(out.astype(np.int64), rule):
                    yield (tag, desc, RuntimeError(
                        f"not the AVERAGE_POOL_2D rule: {int((out != rule).sum())} outputs differ"))
                    continue
            yield Variant(tag, desc, functools.partial(f, *args), lambda out=out: out, [x, out])


class Numpy(Engine):
    name = "numpy"

    def version(self):
        return np.__version__

    def config(self):
        return ("`x.mean(axis=...)` / `x.max(axis=...)` over the spatial axes; numpy reductions "
                "are single-threaded. int8 / uint8: the int32 sum, then TFLite's rounding "
                "`where(s > 0, (s + n//2) // n, -((n//2 - s) // n))`, `clip`, `astype`; "
                "a = `x.astype(np.int32).sum(axis)`, d = `x.sum(axis, dtype=np.int32)` (no copy)")

    def variants(self, case, layout, op, x, tmp):
        ax = case.axes(layout)
        res = {}
        if case.dtype != "f32":
            yield from self.int_variants(case, layout, x)
            return
        if op == "avg":
            def call():
                res["y"] = x.mean(axis=ax)
        else:
            def call():
                res["y"] = x.max(axis=ax)
        call()
        yield Variant("np", f"x.{'mean' if op == 'avg' else 'max'}(axis={ax})", call,
                      lambda: res["y"], [x])

    def int_variants(self, case, layout, x):
        """int8 / uint8: the int32 sum and TFLite's rounding, written as a numpy user would."""
        ax, n, h = case.axes(layout), case.s, case.s // 2
        info = np.iinfo(NP_DTYPE[case.dtype])
        lo, hi, dt = info.min, info.max, NP_DTYPE[case.dtype]
        res = {}

        def finish(s):
            return np.clip(np.where(s > 0, (s + h) // n, -((h - s) // n)), lo, hi).astype(dt)

        def call_a():
            res["a"] = finish(x.astype(np.int32).sum(axis=ax))

        def call_d():
            res["d"] = finish(x.sum(axis=ax, dtype=np.int32))
        for tag, desc, call in [("a", "x.astype(np.int32).sum(spatial axes) + rounding", call_a),
                                ("d", "x.sum(spatial axes, dtype=np.int32) + rounding", call_d)]:
            call()
            yield Variant(tag, desc, call, lambda tag=tag: res[tag], [x])


class Torch(Engine):
    name = "torch"

    def __init__(self):
        import torch
        torch.set_num_threads(1)
        torch.set_num_interop_threads(1)
        torch.set_grad_enabled(False)   # as under inference_mode, without a context per call
        self.torch = torch

    def version(self):
        return self.torch.__version__

    def config(self):
        return ("`torch.set_num_threads(1)`, `set_num_interop_threads(1)`, autograd off; "
                "`x.mean(dims)` / `x.amax(dims)` on a `torch.from_numpy` tensor (no copy); "
                "NHWC as a contiguous channels-last tensor reduced over its spatial dims (c), "
                "or as the NCHW-shaped `permute` view of it, i.e. `channels_last` memory "
                "format for 4-D (cl). int8 / uint8: the input as a quantized tensor "
                "(`torch._make_per_tensor_quantized_tensor`, qint8 / quint8 with the model's "
                "scale and zero point, made once; torch 2.x warns that quantized tensors are "
                "deprecated), qm = `qx.mean(spatial dims)`, qa = `adaptive_avg_pool2d(qx, 1)` "
                "(`_pool1d` for tokens; NHWC: on the channels-last view), s = "
                "`t.sum(dims, dtype=torch.int32)` of the plain int8 / uint8 tensor with "
                "TFLite's rounding")

    def variants(self, case, layout, op, x, tmp):
        torch = self.torch
        if case.dtype != "f32":
            yield from self.int_variants(case, layout, x)
            return
        t = torch.from_numpy(x)
        res = {}
        fn = torch.mean if op == "avg" else torch.amax
        k = len(case.spatial)
        if layout == "NCHW":
            dims = tuple(range(2, 2 + k))
            forms = [("t", f"x.{'mean' if op == 'avg' else 'amax'}({dims})", t, dims)]
        else:
            dims = tuple(range(1, 1 + k))
            perm = (0, k + 1, *range(1, k + 1))   # logical N, C, spatial... on NHWC memory
            cl = t.permute(*perm)
            forms = [("c", f"NHWC tensor .{'mean' if op == 'avg' else 'amax'}({dims})", t, dims),
                     ("cl", "channels-last view (NCHW shape, NHWC strides)", cl,
                      tuple(range(2, 2 + k)))]
        for tag, desc, tt, d in forms:
            def call(tt=tt, d=d, tag=tag):
                res[tag] = fn(tt, d)
            call()
            yield Variant(tag, desc, call, lambda tag=tag: res[tag].numpy(), [x, t, tt])

    def int_variants(self, case, layout, x):
        """int8 / uint8: torch's quantized tensors (qint8 / quint8 with the model's scale and
        zero point; made once, a copy) and their mean / adaptive average pooling, or the plain
        integer sum of the int8 tensor with TFLite's rounding."""
        import warnings
        torch = self.torch
        F = torch.nn.functional
        scale, zp = QUANT[case.dtype]
        k = len(case.spatial)
        t = torch.from_numpy(x)
        with warnings.catch_warnings():   # quantized tensors are deprecated (still work)
            warnings.simplefilter("ignore")
            qx = torch._make_per_tensor_quantized_tensor(t, scale, zp)
        if layout == "NCHW":
            dims, qv = tuple(range(2, 2 + k)), qx
        else:
            dims = tuple(range(1, 1 + k))
            qv = qx.permute(0, k + 1, *range(1, k + 1))   # NCHW shape, NHWC strides
        pool = F.adaptive_avg_pool2d if k == 2 else F.adaptive_avg_pool1d
        n, h = case.s, case.s // 2
        info = torch.iinfo(t.dtype)
        res = {}

        def call_qm():
            res["qm"] = qx.mean(dims)

        def call_qa():
            res["qa"] = pool(qv, 1)

        def call_s():
            s = t.sum(dims, dtype=torch.int32)
            res["s"] = torch.where(s > 0, (s + h) // n, -((h - s) // n)).clamp_(
                info.min, info.max).to(t.dtype)
        forms = [("qm", "quantized tensor .mean(spatial dims)", call_qm, lambda: res["qm"].int_repr()),
                 ("qa", "adaptive_avg_pool(quantized tensor, 1)", call_qa, lambda: res["qa"].int_repr()),
                 ("s", "t.sum(spatial dims, dtype=int32) + rounding", call_s, lambda: res["s"])]
        for tag, desc, call, get in forms:
            try:
                call()
            except Exception as e:  # noqa: BLE001
                yield (tag, desc, e)
                continue
            yield Variant(tag, desc, call, lambda get=get: get().numpy(), [x, t, qx, qv])


class OnnxRuntime(Engine):
    name = "onnxruntime"

    def __init__(self):
        import onnxruntime as ort
        self.ort = ort
        ort.set_default_logger_severity(3)

    def version(self):
        return self.ort.__version__

    def config(self):
        return ("CPUExecutionProvider, `intra_op_num_threads=1`, `inter_op_num_threads=1`, "
                "sequential execution; input and a preallocated output bound once with "
                "`io_binding()` (`bind_cpu_input`, `bind_output` on the numpy buffer), timed "
                "call `sess.run_with_iobinding(io)`. Forms: G = GlobalAveragePool / "
                "GlobalMaxPool at the default optimization level (ORT_ENABLE_ALL), "
                "Ge = the same at ORT_ENABLE_EXTENDED (no NCHWc layout transform), "
                "R = ReduceMean / ReduceMax at the default level. int8 / uint8, default level: "
                "G = QDQ model DequantizeLinear -> GlobalAveragePool -> QuantizeLinear, which "
                "ORT fuses into its QLinearGlobalAveragePool kernel (NCHW only); R = QDQ "
                "around ReduceMean, which ORT does not fuse (runs DequantizeLinear, float "
                "ReduceMean, QuantizeLinear); Q = the contrib op com.microsoft."
                "QLinearGlobalAveragePool written directly (`channels_last=1` for NHWC)")

    def variants(self, case, layout, op, x, tmp):
        ort = self.ort
        shape, axes = case.shape(layout), case.axes(layout)
        L = ort.GraphOptimizationLevel
        quant = case.dtype != "f32"
        if quant:
            forms = [("G", "qdq_global", L.ORT_ENABLE_ALL, "QDQ GlobalAveragePool"),
                     ("R", "qdq_reduce", L.ORT_ENABLE_ALL, "QDQ ReduceMean"),
                     ("Q", "qlinear", L.ORT_ENABLE_ALL, "com.microsoft QLinearGlobalAveragePool")]
        else:
            forms = [("G", "global", L.ORT_ENABLE_ALL, "Global*Pool, ORT_ENABLE_ALL"),
                     ("Ge", "global", L.ORT_ENABLE_EXTENDED, "Global*Pool, ORT_ENABLE_EXTENDED"),
                     ("R", "reduce", L.ORT_ENABLE_ALL, "Reduce*, ORT_ENABLE_ALL")]
        for tag, form, level, desc in forms:
            try:
                if quant:
                    m = models.onnx_qdq_model(form, shape, axes, case.dtype, *QUANT[case.dtype])
                else:
                    m = models.onnx_model(form, op, shape, axes)
                so = ort.SessionOptions()
                so.intra_op_num_threads = 1
                so.inter_op_num_threads = 1
                so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                so.graph_optimization_level = level
                so.log_severity_level = 3
                if quant:   # record which kernels ORT made of the QDQ graph
                    opt_path = os.path.join(tmp, f"ort_{tag}_opt.onnx")
                    so.optimized_model_filepath = opt_path
                sess = ort.InferenceSession(m, so, providers=["CPUExecutionProvider"])
                if quant:
                    import onnx
                    ran = [nd.op_type for nd in onnx.load(opt_path).graph.node]
                    desc += " (runs as " + " -> ".join(ran) + ")"
                out = _out(case)
                io = sess.io_binding()
                io.bind_cpu_input("x", x)
                io.bind_output("y", "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)
                sess.run_with_iobinding(io)
            except Exception as e:  # noqa: BLE001
                yield (tag, desc, e)
                continue
            yield Variant(tag, desc, lambda sess=sess, io=io: sess.run_with_iobinding(io),
                          lambda out=out: out, [x, out, sess, io])


class OpenVino(Engine):
    name = "openvino"

    def __init__(self):
        import openvino as ov
        self.ov = ov
        self.core = ov.Core()
        hint = self.core.get_property("CPU", "INFERENCE_PRECISION_HINT")
        self.default_precision = getattr(hint, "type_name", None) or str(hint)

    def version(self):
        return self.ov.__version__.split("-")[0]

    def config(self):
        return ("CPU plugin, ONNX model read with `core.read_model`, compiled with "
                "`INFERENCE_NUM_THREADS=1`, `NUM_STREAMS=1`, `PERFORMANCE_HINT=LATENCY`, "
                "`INFERENCE_PRECISION_HINT=f32` (the CPU plugin's default here is "
                f"`{self.default_precision}`, see the `Rd` rows); input set once as a shared "
                "`ov.Tensor`, timed call `req.infer(share_outputs=True)`. Forms: G = "
                "GlobalAveragePool / GlobalMaxPool, R = ReduceMean / ReduceMax, Rd = R with "
                "the default inference precision. int8 / uint8: the QDQ ONNX models of "
                "onnxruntime's G and R, default precision; the CPU plugin folds the "
                "Dequantize/Quantize pair into the reduction and runs it on i8 / u8 "
                "(runtime precision in `peers.json`, `desc`)")

    def variants(self, case, layout, op, x, tmp):
        ov = self.ov
        shape, axes = case.shape(layout), case.axes(layout)
        base = {"INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY"}
        quant = case.dtype != "f32"
        if quant:
            forms = [("G", "qdq_global", base, "QDQ GlobalAveragePool"),
                     ("R", "qdq_reduce", base, "QDQ ReduceMean")]
        else:
            forms = [("G", "global", dict(base, INFERENCE_PRECISION_HINT="f32"), "Global*Pool, f32"),
                     ("R", "reduce", dict(base, INFERENCE_PRECISION_HINT="f32"), "Reduce*, f32")]
            if self.default_precision not in ("f32", "float32"):
                forms.append(("Rd", "reduce", base, f"Reduce*, default precision ({self.default_precision})"))
        for tag, form, cfg, desc in forms:
            try:
                if quant:
                    m = models.onnx_qdq_model(form, shape, axes, case.dtype, *QUANT[case.dtype])
                else:
                    m = models.onnx_model(form, op, shape, axes)
                path = os.path.join(tmp, f"ov_{tag}.onnx")
                with open(path, "wb") as fh:
                    fh.write(m)
                model = self.core.read_model(path)
                compiled = self.core.compile_model(model, "CPU", cfg)
                req = compiled.create_infer_request()
                req.set_input_tensor(ov.Tensor(x, shared_memory=True))
                req.infer(share_outputs=True)
                if quant:   # which precision the CPU plugin runs the reduction in
                    rt = [(o.get_rt_info()["layerType"].astype(str),
                           o.get_rt_info()["runtimePrecision"].astype(str))
                          for o in compiled.get_runtime_model().get_ordered_ops()]
                    desc += " (runs as " + ", ".join(f"{a} {b}" for a, b in rt
                                                     if a not in ("Const",)) + ")"
            except Exception as e:  # noqa: BLE001
                yield (tag, desc, e)
                continue
            yield Variant(tag, desc, lambda req=req: req.infer(share_outputs=True),
                          lambda req=req: req.get_output_tensor().data.copy(),
                          [x, compiled, req])


class Tract(Engine):
    name = "tract"

    def __init__(self):
        import tract
        self.tract = tract

    def version(self):
        return self.tract.version()

    def config(self):
        return ("`tract.onnx().load(path).into_model().into_runnable()` (optimized), one "
                "`spawn_state()` and one input `tract.Tensor` made once; timed call "
                "`state.run([tensor])` (tract's C API copies the input tensor into the run); "
                "tract runs single-threaded by default. Forms: G = Global*Pool, R = Reduce*; "
                "int8 / uint8: the same QDQ ONNX models as onnxruntime's G and R")

    def variants(self, case, layout, op, x, tmp):
        tract = self.tract
        shape, axes = case.shape(layout), case.axes(layout)
        quant = case.dtype != "f32"
        forms = ([("G", "qdq_global", "QDQ GlobalAveragePool"), ("R", "qdq_reduce", "QDQ ReduceMean")]
                 if quant else [("G", "global", "Global*Pool"), ("R", "reduce", "Reduce*")])
        for tag, form, desc in forms:
            try:
                if quant:
                    m = models.onnx_qdq_model(form, shape, axes, case.dtype, *QUANT[case.dtype])
                else:
                    m = models.onnx_model(form, op, shape, axes)
                path = os.path.join(tmp, f"tract_{tag}.onnx")
                with open(path, "wb") as fh:
                    fh.write(m)
                runnable = tract.onnx().load(path).into_model().into_runnable()
                state = runnable.spawn_state()
                t = tract.Tensor.from_numpy(x)
                res = {"y": state.run([t])[0]}
            except Exception as e:  # noqa: BLE001
                yield (tag, desc, e)
                continue

            def call(state=state, t=t, res=res):
                res["y"] = state.run([t])[0]
            yield Variant(tag, desc, call, lambda res=res: res["y"].to_numpy(),
                          [x, runnable, state, t])


class Ncnn(Engine):
    name = "ncnn"
    dtypes = ("f32",)
    no_dtype = ("ncnn has no int8 pooling: its int8 models quantize Convolution / "
                "InnerProduct only, Pooling and Reduction run on float (fp32 / fp16 / bf16) Mats")

    def __init__(self):
        import ncnn
        self.ncnn = ncnn

    def version(self):
        try:
            from importlib.metadata import version
            return version("ncnn")
        except Exception:  # noqa: BLE001
            return "?"

    def config(self):
        return ("`opt.num_threads=1`, Vulkan off, other options at their defaults; the .param "
                "is written by the script, `load_model(DataReaderFromEmpty())`. ncnn has no "
                "batch axis: one `ncnn.Mat` per image / sequence, made once; the timed call "
                "loops over them, each `create_extractor()`, `input`, `extract` (as ncnn "
                "programs do). P = Pooling `global_pooling=1` on a (c=C, h, w) Mat (NCHW); "
                "R = Reduction (mean / max) over the rows of a (h=HW, w=C) Mat (NHWC)")

    def variants(self, case, layout, op, x, tmp):
        ncnn = self.ncnn
        if layout == "NCHW":
            tag, form, desc = "P", "pooling", "Pooling global_pooling=1"
            per = [np.ascontiguousarray(x[i].reshape(case.c, *(case.spatial if len(case.spatial) == 2 else (1, case.s))))
                   for i in range(case.n)]
        else:
            tag, form, desc = "R", "reduction", "Reduction over h of a (h=HW, w=C) Mat"
            per = [np.ascontiguousarray(x[i].reshape(case.s, case.c)) for i in range(case.n)]
        try:
            net = ncnn.Net()
            net.opt.num_threads = 1
            net.opt.use_vulkan_compute = False
            if net.load_param_mem(models.ncnn_param(form, op, per[0].shape)) != 0:
                raise RuntimeError("load_param_mem failed")
            net.load_model(ncnn.DataReaderFromEmpty())
            mats = [ncnn.Mat(a) for a in per]
            res = {}

            def call():
                for m in mats:
                    ex = net.create_extractor()
                    ex.input("in", m)
                    ex.extract("out")

            def result():
                outs = []
                for m in mats:
                    ex = net.create_extractor()
                    ex.input("in", m)
                    ret, y = ex.extract("out")
                    if ret != 0:
                        raise RuntimeError(f"extract returned {ret}")
                    outs.append(np.array(y).reshape(-1).copy())
                return np.stack(outs)
            call()
        except Exception as e:  # noqa: BLE001
            yield (tag, desc, e)
            return
        yield Variant(tag, desc, call, result, [x, net, mats, per, res])


class LiteRT(Engine):
    """ai-edge-litert's interpreter, with (`xnnpack=True`) or without its default XNNPACK
    delegate."""

    def __init__(self, xnnpack):
        from ai_edge_litert import interpreter as lit
        self.lit = lit
        self.xnnpack = xnnpack
        self.name = "litert+xnnpack" if xnnpack else "litert"

    def version(self):
        try:
            from importlib.metadata import version
            return version("ai-edge-litert")
        except Exception:  # noqa: BLE001
            return "?"

    def config(self):
        if self.xnnpack:
            return ("`Interpreter(model_content=..., num_threads=1)` with the default op "
                    "resolver BUILTIN, which applies the XNNPACK delegate; a form whose op "
                    "XNNPACK does not take stays on the builtin kernel and is marked *nd* "
                    "(not delegated). Input set once with `set_tensor`, timed call `invoke()`. "
                    "M = MEAN / REDUCE_MAX, P = AVERAGE_POOL_2D / MAX_POOL_2D over the whole map. "
                    "int8 / uint8: quantized MEAN / AVERAGE_POOL_2D models (op versions 2 / 1 "
                    "as the converter writes them, same scale / zero point in and out); XNNPACK "
                    "takes the quantized MEAN, not the quantized AVERAGE_POOL_2D (Pnd)")
        return ("`Interpreter(model_content=..., num_threads=1, experimental_op_resolver_type="
                "BUILTIN_WITHOUT_DEFAULT_DELEGATES)`: TFLite's optimized builtin kernels, no "
                "XNNPACK. Input set once with `set_tensor`, timed call `invoke()`. M = MEAN / "
                "REDUCE_MAX, P = AVERAGE_POOL_2D / MAX_POOL_2D over the whole map (NHWC only). "
                "int8 / uint8: quantized MEAN (any axes) / AVERAGE_POOL_2D models (op versions "
                "2 / 1 as the converter writes them, same scale / zero point in and out)")

    def variants(self, case, layout, op, x, tmp):
        lit = self.lit
        R = lit.OpResolverType
        resolver = R.BUILTIN if self.xnnpack else R.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        shape, axes = case.shape(layout), case.axes(layout)
        quant = case.dtype != "f32"
        for tag, form, desc in [("M", "reduce", "MEAN / REDUCE_MAX"),
                                ("P", "pool2d", "AVERAGE_POOL_2D / MAX_POOL_2D")]:
            try:
                if quant:
                    desc = f"{case.dtype} " + ("MEAN" if form == "reduce" else "AVERAGE_POOL_2D")
                    m = models.tflite_quant_model(form, shape, axes, case.dtype, *QUANT[case.dtype])
                else:
                    m = models.tflite_model(form, op, shape, axes)
                it = lit.Interpreter(model_content=m, num_threads=1,
                                     experimental_op_resolver_type=resolver)
                it.allocate_tensors()
                it.set_tensor(it.get_input_details()[0]["index"], x)
                it.invoke()
                out_idx = it.get_output_details()[0]["index"]
                note = ""
                if self.xnnpack:
                    ops = [d.get("op_name", "") for d in it._get_ops_details()]
                    if not any("DELEGATE" in o for o in ops):
                        note = "nd"
            except NotExpressible as e:
                yield (tag, desc, e)
                continue
            except Exception as e:  # noqa: BLE001
                yield (tag, desc, e)
                continue
            yield Variant(tag + note, desc + (" (not delegated)" if note else ""), it.invoke,
                          lambda it=it, out_idx=out_idx: it.get_tensor(out_idx).copy(), [x, it],
                          note=note)


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------
def run_batch(call, iters):
    t0 = time.perf_counter_ns()
    for _ in itertools.repeat(None, iters):
        call()
    return (time.perf_counter_ns() - t0) / iters


def calibrate(call, batch_seconds):
    """Calls per batch so that one batch lasts about batch_seconds."""
    iters = 1
    while True:
        t0 = time.perf_counter_ns()
        for _ in itertools.repeat(None, iters):
            call()
        dt = time.perf_counter_ns() - t0
        if dt >= 0.2 * batch_seconds * 1e9 or iters >= 1 << 22:
            per = dt / iters
            return max(1, int(batch_seconds * 1e9 / max(per, 1.0))), per
        iters *= 4


def machine_info():
    info = {"platform": platform.platform(), "python": platform.python_version()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            k, _, v = line.partition(":")
            k, v = k.strip(), v.strip()
            if k in ("Model name", "Core(s) per socket", "Socket(s)", "Thread(s) per core",
                     "CPU(s)", "L2 cache", "L3 cache", "Hypervisor vendor"):
                info[k] = v
            if k == "Flags":
                fl = set(v.split())
                info["simd"] = " ".join(f for f in ("avx2", "avx512f", "avx512_fp16", "amx_bf16")
                                        if f in fl)
    except Exception:  # noqa: BLE001
        pass
    info["nproc"] = os.cpu_count()
    return info


def build_engines(args):
    engines, failed = [], {}
    makers = [("globalpool", lambda: Globalpool(args.lib)),
              ("numpy", Numpy),
              ("torch", Torch),
              ("onnxruntime", OnnxRuntime),
              ("openvino", OpenVino),
              ("tract", Tract),
              ("ncnn", Ncnn),
              ("litert", lambda: LiteRT(False)),
              ("litert+xnnpack", lambda: LiteRT(True))]
    only = set(args.engines.split(",")) if args.engines else None
    for name, make in makers:
        if only and name not in only:
            continue
        try:
            engines.append(make())
        except Exception as e:  # noqa: BLE001
            failed[name] = f"{type(e).__name__}: {e}".splitlines()[0][:200]
            print(f"[peers] {name}: not available: {failed[name]}", file=sys.stderr)
    return engines, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", required=True, help="path of libglobalpool.so")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs"))
    ap.add_argument("--batches", type=int, default=9)
    ap.add_argument("--batch-seconds", type=float, default=0.05)
    ap.add_argument("--offset", type=int, default=0,
                    help="input data starts this many bytes after a 64-byte boundary (default 0)")
    ap.add_argument("--quick", action="store_true", help="3 batches of 5 ms: a smoke test")
    ap.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    ap.add_argument("--engines", default="", help="comma-separated engine names (default: all)")
    ap.add_argument("--ops", default="avg,max")
    ap.add_argument("--dtypes", default="f32,i8,u8",
                    help="element types (default f32,i8,u8: the int ones run avg only)")
    ap.add_argument("--layouts", default="NCHW,NHWC")
    ap.add_argument("--command", default="", help="the regenerating command, for the report")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--crate-rev", default="", help="the globalpool commit the library was built from")
    args = ap.parse_args()
    if args.quick:
        args.batches, args.batch_seconds = 3, 0.005

    engines, failed = build_engines(args)
    if not engines or engines[0].name != "globalpool":
        sys.exit("globalpool itself could not be loaded")
    dtypes = args.dtypes.split(",")
    wanted = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if c.dtype in dtypes
             and (wanted is None or c.name in wanted or c.base in wanted)]
    ops = args.ops.split(",")
    layouts = args.layouts.split(",")
    rng = np.random.default_rng(args.seed)
    t_start = time.time()
    load_start = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        for case in cases:
            for layout in layouts:
                x = make_input(case, layout, rng, args.offset)
                for op in ops:
                    if op not in case.ops:
                        continue
                    ref = reference(case, layout, op, x)
                    cell = f"{case.name}/{layout}/{op}"
                    timed = []
                    exact = {}   # globalpool's quantized outputs, by form
                    for eng in engines:
                        if case.dtype not in eng.dtypes:
                            results.append(dict(case=case.name, layout=layout, op=op, engine=eng.name,
                                                tag="", status="n/a",
                                                reason=eng.no_dtype or f"no {case.dtype}"))
                            continue
                        try:
                            vs = list(eng.variants(case, layout, op, x, tmp))
                        except Exception as e:  # noqa: BLE001
                            vs = [("?", "?", e)]
                        for v in vs:
                            base = dict(case=case.name, layout=layout, op=op, engine=eng.name)
                            if isinstance(v, tuple):
                                tag, desc, e = v
                                st = "n/a" if isinstance(e, NotExpressible) else "error"
                                msg = f"{type(e).__name__}: {e}".strip().splitlines()
                                results.append(dict(base, tag=tag, desc=desc, status=st,
                                                    reason=(msg[0] if msg else "")[:300]))
                                continue
                            extra = {}
                            try:
                                got = v.result()
                                bad = check(case, op, got, ref)
                                if not bad and case.dtype != "f32":
                                    # how far from the real mean, and from globalpool's
                                    # reference-exact results (A: AVERAGE_POOL_2D, M: MEAN)
                                    g = np.asarray(got).reshape(ref.shape).astype(np.float64)
                                    extra["max_dev"] = round(float(np.abs(g - ref).max()), 4)
                                    if eng.name == "globalpool":
                                        exact[v.tag] = np.array(got, copy=True).reshape(ref.shape)
                                    extra["vs_gp"] = {k: diff_counts(got, e) for k, e in exact.items()}
                            except Exception as e:  # noqa: BLE001
                                bad = f"result: {type(e).__name__}: {e}"
                            if bad:
                                results.append(dict(base, tag=v.tag, desc=v.desc, status="wrong",
                                                    reason=bad))
                                print(f"[peers] {cell} {eng.name}/{v.tag}: WRONG: {bad}", file=sys.stderr)
                                continue
                            r = dict(base, tag=v.tag, desc=v.desc, status="ok", note=v.note, **extra)
                            timed.append((r, v))
                    # calibrate, then round-robin batches
                    for r, v in timed:
                        v.call()
                        r["iters"], _ = calibrate(v.call, args.batch_seconds)
                        r["samples_ns"] = []
                    for _ in range(args.batches):
                        for r, v in timed:
                            r["samples_ns"].append(run_batch(v.call, r["iters"]))
                    for r, v in timed:
                        # re-check after timing: the engine must still produce the right output
                        bad = check(case, op, v.result(), ref)
                        if bad:
                            r.update(status="wrong", reason="after timing: " + bad)
                        else:
                            med = statistics.median(r["samples_ns"])
                            r["median_us"] = med / 1e3
                            r["gbps"] = case.elements * ITEMSIZE[case.dtype] / med
                        results.append(r)
                    best = min((r for r, _ in timed if r["status"] == "ok"),
                               key=lambda r: r["median_us"], default=None)
                    gp = next((r for r, _ in timed if r["engine"] == "globalpool"), None)
                    line = " ".join(f"{r['engine']}/{r['tag']}={r['median_us']:.1f}"
                                    for r, _ in timed if r["status"] == "ok")
                    print(f"[peers] {cell}: {line}", file=sys.stderr)
                    if best and gp:
                        print(f"[peers]   fastest {best['engine']}/{best['tag']}", file=sys.stderr)
                    del timed
                    gc.collect()
                del x
    wall = time.time() - t_start
    meta = dict(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        command=args.command or " ".join([os.path.basename(sys.executable)] + sys.argv),
        machine=machine_info(),
        crate_rev=args.crate_rev or "unknown",
        globalpool_isa=engines[0].isa(),
        batches=args.batches, batch_seconds=args.batch_seconds, quick=args.quick,
        input_offset=args.offset,
        wall_seconds=round(wall, 1),
        loadavg_1min=[round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        engines={e.name: dict(version=e.version(), config=e.config()) for e in engines},
        unavailable=failed,
        cases=[dict(name=c.name, base=c.base, n=c.n, c=c.c, spatial=list(c.spatial), dtype=c.dtype,
                    note=c.note, bytes=c.elements * ITEMSIZE[c.dtype]) for c in cases],
        quant={dt: dict(scale=QUANT[dt][0], zero_point=QUANT[dt][1]) for dt in QUANT if dt in dtypes},
        layouts=layouts, ops=ops,
    )
    os.makedirs(args.out, exist_ok=True)
    data = dict(meta=meta, results=results)
    with open(os.path.join(args.out, "peers.json"), "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")
    import report
    report.write(data, args.out)
    print(f"[peers] done in {wall:.0f} s; wrote {args.out}/peers.json, peers.md, peers.svg",
          file=sys.stderr)


if __name__ == "__main__":
    main()
