#!/usr/bin/env python3
"""Writes the kernel golden files tests/golden/kernels/<type>.bin (dev-only; the outputs are
committed and the tests read them, so running this is needed only to add or change a type).

Each file holds a few blocks of one tensor type and gguf-py's dequantization of them, so that
slm's dequantize kernels are checked against an independent implementation of the format:

    usage: tools/make_kernel_goldens.py [TYPE ...]     (default: every type in TYPES)
           tools/make_kernel_goldens.py --list

Needs numpy and the `gguf` package (pip install gguf). Output is deterministic (fixed seeds).

File layout (little-endian):
    magic    8 bytes  b"SLMKGLD1"
    type_id  u32      GGUF type id
    n        u32      number of elements
    n_input  u32      0, or n: the f32 values `data` was quantized from
    n_data   u32      bytes of `data` (n / block_size * type_size)
    input    n_input x f32
    data     n_data bytes, the encoded row
    deq      n x f32, gguf-py's dequantization of data

To add a type (e.g. a k-quant) add a Spec to TYPES: either quantize random floats with gguf-py
(gen=gen_quantized) when gguf-py can quantize it, or fill random blocks with sane scales
(gen=gen_random_blocks(f16_offsets=..., f32_offsets=...)) when it can only dequantize.
"""
from __future__ import annotations

import argparse
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

MAGIC = b"SLMKGLD1"
OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden" / "kernels"


# ---- inputs ---------------------------------------------------------------------------------

def random_floats(rng: np.random.Generator, n: int, block: int) -> np.ndarray:
    """Normal values with a different magnitude per block (1e-3 .. 10), one all-zero block, and
    one block with exact .5 cases for the q8 rounding rule (amax 127 gives d = 1)."""
    nb = max(n // block, 1)
    x = np.empty(n, dtype=np.float32)
    for b in range(nb):
        lo, hi = b * block, min((b + 1) * block, n)
        x[lo:hi] = rng.standard_normal(hi - lo) * np.float32(10.0 ** rng.uniform(-3, 1))
    if n >= 3 * block and block > 1:
        x[block:2 * block] = 0.0
        ties = np.array([127.0, -2.5, 2.5, -0.5, 0.5, 1.5, -1.5, 126.5], dtype=np.float32)
        x[2 * block:2 * block + len(ties)] = ties
    return x


def special_floats(values: list[float]) -> Callable[[np.random.Generator, int, int], np.ndarray]:
    """random_floats with the given values written over the start (edge cases of a float type)."""
    def make(rng: np.random.Generator, n: int, block: int) -> np.ndarray:
        x = random_floats(rng, n, block)
        x[:len(values)] = np.array(values, dtype=np.float32)
        return x
    return make


# ---- encoders: (rng, spec) -> (input floats or None, encoded bytes) -------------------------

def quantize_q8_1(x: np.ndarray) -> bytes:
    """ggml's quantize_row_q8_1_ref (gguf-py has no q8_1): d = amax/127, q = roundf(x * (1/d)),
    s = f16(sum(q) * d) with the f32 d."""
    blocks = x.reshape(-1, 32).astype(np.float32)
    d = (np.abs(blocks).max(axis=1, keepdims=True) / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    q = quants.np_roundf((blocks * inv).astype(np.float32)).astype(np.int8)
    s = (q.astype(np.int32).sum(axis=1, keepdims=True).astype(np.float32) * d).astype(np.float32)
    out = np.concatenate([d.astype(np.float16).view(np.uint8), s.astype(np.float16).view(np.uint8),
                          q.view(np.uint8)], axis=1)
    return out.tobytes()


def dequantize_q8_1(data: bytes) -> np.ndarray:
    b = np.frombuffer(data, dtype=np.uint8).reshape(-1, 36)
    d = b[:, 0:2].copy().view(np.float16).astype(np.float32)
    q = b[:, 4:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(-1)


def gen_quantized(make_input=random_floats):
    """Quantize random floats with gguf-py (the type must have a gguf-py quantizer)."""
    def gen(rng: np.random.Generator, spec: "Spec"):
        block, _ = spec.block_and_type_size()
        x = make_input(rng, spec.n, block)
        if spec.qtype == T.Q8_1:
            return x, quantize_q8_1(x)
        return x, np.ascontiguousarray(quants.quantize(x.reshape(1, -1), spec.qtype)).tobytes()
    return gen


def gen_random_blocks(f16_offsets: tuple[int, ...] = (), f32_offsets: tuple[int, ...] = (),
                      scale_range: tuple[float, float] = (1e-4, 1e-1)):
    """Random bytes per block, with the f16 / f32 scale fields at the given byte offsets set to
    finite values of random sign and magnitude in scale_range (for types gguf-py cannot quantize)."""
    def gen(rng: np.random.Generator, spec: "Spec"):
        block, type_size = spec.block_and_type_size()
        nb = spec.n // block
        data = rng.integers(0, 256, size=(nb, type_size), dtype=np.uint8)
        for b in range(nb):
            for off in f16_offsets:
                v = np.float16(rng.choice([-1, 1]) * 10.0 ** rng.uniform(np.log10(scale_range[0]), np.log10(scale_range[1])))
                data[b, off:off + 2] = np.frombuffer(v.tobytes(), dtype=np.uint8)
            for off in f32_offsets:
                v = np.float32(rng.choice([-1, 1]) * 10.0 ** rng.uniform(np.log10(scale_range[0]), np.log10(scale_range[1])))
                data[b, off:off + 4] = np.frombuffer(v.tobytes(), dtype=np.uint8)
        return None, data.tobytes()
    return gen


def quantize_q8_K(x: np.ndarray) -> bytes:
    """ggml's quantize_row_q8_K_ref (gguf-py has no q8_K): per 256 block, max = the first element
    of largest |x| (signed), iscale = -127/max, q = min(127, round-half-even(iscale*x)),
    bsums = sums of 16 q, d = 1/iscale (f32); an all-zero block is all zeros."""
    out = []
    for blk in x.reshape(-1, 256).astype(np.float32):
        q = np.zeros(256, dtype=np.int8)
        d = np.float32(0)
        amax = np.abs(blk).max()
        if amax != 0:
            mx = blk[int(np.argmax(np.abs(blk)))]
            iscale = np.float32(-127.0) / mx
            q = np.minimum(np.rint((iscale * blk).astype(np.float32)), 127).astype(np.int8)
            d = np.float32(1.0) / iscale
        bsums = q.astype(np.int16).reshape(16, 16).sum(axis=1).astype("<i2")
        out.append(np.float32(d).astype("<f4").tobytes() + q.tobytes() + bsums.tobytes())
    return b"".join(out)


def dequantize_q8_K(data: bytes) -> np.ndarray:
    b = np.frombuffer(data, dtype=np.uint8).reshape(-1, 292)
    d = b[:, 0:4].copy().view("<f4")
    q = b[:, 4:260].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(-1)


def gen_q8_K(rng: np.random.Generator, spec: "Spec"):
    x = random_floats(rng, spec.n, 256)
    x[3 * 256 + 5] = -2 * np.abs(x[3 * 256:]).max()  # block 3: a negative maximum (block 1 is zero)
    return x, quantize_q8_K(x)


# ---- the table ------------------------------------------------------------------------------

@dataclass
class Spec:
    qtype: T
    n: int                                   # elements (a multiple of the block size)
    gen: Callable                            # (rng, spec) -> (input | None, data)
    dequantize: Callable | None = None       # data -> f32; default gguf.quants.dequantize
    sizes: tuple[int, int] | None = None     # (block size, type size); default GGML_QUANT_SIZES

    def block_and_type_size(self) -> tuple[int, int]:
        return self.sizes or GGML_QUANT_SIZES[self.qtype]


F16_EDGES = [0.0, -0.0, 1.0, -2.0, 65504.0, 65519.0, 65520.0, -1e6, float("inf"), 6.103515625e-05,
             1e-7, -5.960464477539063e-08, 2.0 ** -25, 3 * 2.0 ** -25, 1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11]
BF16_EDGES = [0.0, -0.0, 1.0, -3.0, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 3.4028234663852886e38,
              -float("inf"), 1e-40, 1.17549435e-38]

TYPES: dict[str, Spec] = {
    "f32": Spec(T.F32, 67, gen_quantized(special_floats([0.0, -0.0, float("inf"), 1e-45, 3.4e38]))),
    "f16": Spec(T.F16, 67, gen_quantized(special_floats(F16_EDGES))),
    "bf16": Spec(T.BF16, 67, gen_quantized(special_floats(BF16_EDGES))),
    "q4_0": Spec(T.Q4_0, 8 * 32, gen_quantized()),
    "q4_1": Spec(T.Q4_1, 8 * 32, gen_quantized()),
    "q5_0": Spec(T.Q5_0, 8 * 32, gen_quantized()),
    "q5_1": Spec(T.Q5_1, 8 * 32, gen_quantized()),
    "q8_0": Spec(T.Q8_0, 8 * 32, gen_quantized()),
    # gguf-py has no q8_1 codec, and its size table still says 40 bytes (f32 d and s); ggml's
    # block_q8_1 is 36 bytes (f16 d and s), which is what GGUF files and slm use.
    "q8_1": Spec(T.Q8_1, 8 * 32, gen_quantized(), dequantize=dequantize_q8_1, sizes=(32, 36)),
    # k-quants: gguf-py can only dequantize them, so random blocks with sane f16 scales (the
    # offsets of d / dmin in each block). q8_K (no gguf-py codec) is quantized by quantize_q8_K.
    "q2_K": Spec(T.Q2_K, 4 * 256, gen_random_blocks(f16_offsets=(80, 82))),
    "q3_K": Spec(T.Q3_K, 4 * 256, gen_random_blocks(f16_offsets=(108,))),
    "q4_K": Spec(T.Q4_K, 4 * 256, gen_random_blocks(f16_offsets=(0, 2))),
    "q5_K": Spec(T.Q5_K, 4 * 256, gen_random_blocks(f16_offsets=(0, 2))),
    "q6_K": Spec(T.Q6_K, 4 * 256, gen_random_blocks(f16_offsets=(208,))),
    "q8_K": Spec(T.Q8_K, 4 * 256, gen_q8_K, dequantize=dequantize_q8_K),
}


def dequantize(spec: Spec, data: bytes) -> np.ndarray:
    if spec.dequantize is not None:
        return spec.dequantize(data).astype(np.float32)
    arr = np.frombuffer(data, dtype=np.uint8).reshape(1, -1)
    return np.asarray(quants.dequantize(arr, spec.qtype), dtype=np.float32).reshape(-1)


def write(name: str, spec: Spec, seed: int) -> Path:
    block, type_size = spec.block_and_type_size()
    assert spec.n % block == 0, f"{name}: n={spec.n} is not a multiple of the block size {block}"
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore"):
        x, data = spec.gen(rng, spec)
    assert len(data) == spec.n // block * type_size, f"{name}: {len(data)} bytes"
    deq = dequantize(spec, data)
    assert deq.shape == (spec.n,), deq.shape
    inp = b"" if x is None else np.asarray(x, dtype="<f4").tobytes()
    out = OUT_DIR / f"{name}.bin"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<4I", int(spec.qtype), spec.n, 0 if x is None else spec.n, len(data)))
        f.write(inp)
        f.write(data)
        f.write(deq.astype("<f4").tobytes())
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("types", nargs="*", help="type names (default: all): " + " ".join(TYPES))
    ap.add_argument("--list", action="store_true", help="list the known types and exit")
    args = ap.parse_args()
    if args.list:
        print(" ".join(TYPES))
        return 0
    names = args.types or list(TYPES)
    for name in names:
        if name not in TYPES:
            print(f"unknown type {name!r}; known: {' '.join(TYPES)}", file=sys.stderr)
            return 2
    for name in names:
        # seed from the type id so that each file is reproducible on its own
        path = write(name, TYPES[name], seed=1000 + int(TYPES[name].qtype))
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
