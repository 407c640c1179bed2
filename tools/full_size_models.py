#!/usr/bin/env python3
"""Full-size random-weight GGUF files: each model family of tools/make_family_models.py at the
widths of a real model (TinyLlama-1.1B, Mistral-7B, Qwen2.5-0.5B, ...), quantized the way
llama.cpp's quantizer would, so speed and memory can be measured on files of the real size
(tools/bench_vs_llamacpp.py --full-size) without fetching gigabytes of real weights.

    usage: tools/make_family_models.py --family NAME --full-size TYPE   (TYPE: q4_0 q4_1 q8_0 q4_k_m)
           tools/full_size_models.py --check-types [--family NAME ...]  (dev check, needs llama-cpp-python)
           tools/full_size_models.py --check-blocks                     (random blocks dequantize sanely)
           tools/full_size_models.py --list

How: a family's own tensors(f, r, n_vocab) runs with the real widths in `f` and a shape-only
stand-in for Rand (Shapes), which returns a Spec (kind, shape, the call's arguments) instead of an
array, so the full tensor list is known without allocating anything. Each tensor's type is chosen
as llama.cpp's llama_tensor_get_type does for the ftype (src/llama-quant.cpp: output and tied
token_embd -> Q6_K, or Q8_0 when the row does not split into 256-blocks; Q4_K_M's attn_v and
ffn_down "use_more_bits" layers -> Q6_K; types a row width cannot take fall back Q4_K -> Q5_0,
Q6_K -> Q8_0, else F16; 1-D tensors stay F32). --check-types compares that choice with
llama.cpp's own (a dry-run quantization of a sparse F32 file of the same shapes).

Weights are random quantized blocks written directly, tensor by tensor in row chunks (memory stays
at a few hundred MB whatever the model size): random quants, and fp16 block scales drawn so that
each tensor's values have the standard deviation the family's Rand call would give (gain/sqrt(n_in)
for mat, 0.25 for embd); no NaN or Inf. 1-D tensors (norms, biases, RoPE factors) are real Rand
draws. Keys and tokenizer come from make_family_models.add_keys, as in the small files.

Files: the model cache's families/full/<name>-<type>.gguf (name: a key of SHAPES).
"""
from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as QT

# Real shapes, keyed by the file's name. `family` (default: the key) is the FAMILIES entry whose
# tensors() and keys are used; every other key overrides that entry (widths, vocabulary, RoPE base,
# context length). `model` names the real model whose shape this is.
SHAPES = {
    "llama": dict(model="TinyLlama-1.1B", n_layer=22, n_embd=2048, n_head=32, n_head_kv=4, n_ff=5632,
                  ctx_train=2048, rope_base=10000.0),
    # SmolLM2's own tokenizer is the 49152-token StarCoder one's size; ../shared/testdata has
    # StarCoder's vocabulary (49152 tokens, pre-tokenizer 'starcoder'), used here.
    "smollm2": dict(family="llama", model="SmolLM2-135M", n_layer=30, n_embd=576, n_head=9, n_head_kv=3,
                    n_ff=1536, tied=True, vocab="starcoder", pre=None, ctx_train=8192, rope_base=100000.0),
    # Mistral v0.3: the llama architecture with its 32768-token vocabulary.
    "mistral": dict(model="Mistral-7B", n_layer=32, n_embd=4096, n_head=32, n_head_kv=8, n_ff=14336,
                    ctx_train=32768, rope_base=1000000.0),
    "llama3": dict(model="Llama-3.2-1B", n_layer=16, n_embd=2048, n_head=32, n_head_kv=8, n_ff=8192, tied=True,
                   ctx_train=131072, rope_base=500000.0),
    # Qwen2.5's real 151936-token vocabulary (the small qwen2 files use gpt-2's).
    "qwen2": dict(model="Qwen2.5-0.5B", n_layer=24, n_embd=896, n_head=14, n_head_kv=2, n_ff=4864, tied=True,
                  vocab="qwen2", pre=None, ctx_train=32768, rope_base=1000000.0),
    "phi3": dict(model="Phi-3-mini", n_layer=32, n_embd=3072, n_head=32, n_head_kv=32, n_ff=8192, ctx_train=4096, swa=2047,
                 rope_base=10000.0),
    "gemma2": dict(model="Gemma-2-2B", n_layer=26, n_embd=2304, n_head=8, n_head_kv=4, n_ff=9216, head_dim=256, window=4096,
                   ctx_train=8192, rope_base=10000.0),
    "gemma": dict(model="Gemma-2B", n_layer=18, n_embd=2048, n_head=8, n_head_kv=1, n_ff=16384, head_dim=256,
                  ctx_train=8192, rope_base=10000.0),
    # StableLM-3B-4E1T: head 80, rotary on 25% of it.
    "stablelm": dict(model="StableLM-3B-4E1T", n_layer=32, n_embd=2560, n_head=32, n_head_kv=32, n_ff=6912,
                     n_rot=20, ctx_train=4096, rope_base=10000.0),
}

# ftype name -> (general.file_type, llama.cpp's default tensor type for it)
TYPES = {
    "q4_0": (gguf.LlamaFileType.MOSTLY_Q4_0, QT.Q4_0),
    "q4_1": (gguf.LlamaFileType.MOSTLY_Q4_1, QT.Q4_1),
    "q8_0": (gguf.LlamaFileType.MOSTLY_Q8_0, QT.Q8_0),
    "q4_k_m": (gguf.LlamaFileType.MOSTLY_Q4_K_M, QT.Q4_K),
}

CHUNK_BYTES = 64 << 20  # rows written per step: memory stays ~ a few times this


def log(msg: str) -> None:
    print(f"[full_size_models] {msg}", file=sys.stderr, flush=True)


def out_dir(m) -> Path:
    return m.default_out() / "full"


# ---------------------------------------------------------------------------------------------
# Shape-only stand-in for make_family_models.Rand


@dataclass(frozen=True)
class Spec:
    """One tensor as a Rand call describes it, without its values. shape is numpy's order
    ([n_out, n_in]; ggml's ne reversed); the family may scale/shift it by scalars (a*x + b)."""
    kind: str     # mat | norm | bias | embd | uniform: the Rand method
    args: tuple   # that call's arguments, to replay it for the tensors written as floats
    shape: tuple
    a: float = 1.0
    b: float = 0.0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def std(self) -> float:
        """Standard deviation of the values the Rand call draws (times the family's scale)."""
        k, args = self.kind, self.args
        s = {"mat": lambda: (args[2] if len(args) > 2 else 1.0) / math.sqrt(args[1]), "norm": lambda: 0.1,
             "bias": lambda: args[1], "embd": lambda: 0.25,
             "uniform": lambda: (args[2] - args[1]) / math.sqrt(12.0)}[k]()
        return abs(self.a) * s

    def values(self, rand) -> np.ndarray:
        """The real draw (for tensors kept as floats: small, 1-D)."""
        return (self.a * getattr(rand, self.kind)(*self.args) + self.b).astype(np.float32)

    def _affine(self, a: float, b: float) -> "Spec":
        return replace(self, a=self.a * a, b=self.b * a + b)

    def __mul__(self, k):
        return self._affine(float(k), 0.0) if np.isscalar(k) else NotImplemented

    def __add__(self, k):
        return self._affine(1.0, float(k)) if np.isscalar(k) else NotImplemented

    def __sub__(self, k):
        return self._affine(1.0, -float(k)) if np.isscalar(k) else NotImplemented

    def __rsub__(self, k):
        return self._affine(-1.0, float(k)) if np.isscalar(k) else NotImplemented

    def __truediv__(self, k):
        return self._affine(1.0 / float(k), 0.0) if np.isscalar(k) else NotImplemented

    def __neg__(self):
        return self._affine(-1.0, 0.0)

    __rmul__, __radd__ = __mul__, __add__

    def astype(self, _dtype) -> "Spec":
        return self


class Shapes:
    """Rand's five methods, returning Specs: a family's tensors(f, Shapes(), n_vocab) lists every
    tensor (name -> Spec) at any width without allocating it."""

    def mat(self, n_out: int, n_in: int, gain: float = 1.0) -> Spec:
        return Spec("mat", (int(n_out), int(n_in), gain), (int(n_out), int(n_in)))

    def norm(self, n: int) -> Spec:
        return Spec("norm", (int(n),), (int(n),))

    def bias(self, n: int, s: float) -> Spec:
        return Spec("bias", (int(n), s), (int(n),))

    def embd(self, n_vocab: int, C: int) -> Spec:
        return Spec("embd", (int(n_vocab), int(C)), (int(n_vocab), int(C)))

    def uniform(self, n: int, lo: float, hi: float) -> Spec:
        return Spec("uniform", (int(n), lo, hi), (int(n),))


def full_family(m, name: str) -> tuple[str, dict] | None:
    """(family, its FAMILIES entry at the real widths of SHAPES[name]); None (and a message) when
    the family is not defined in make_family_models.FAMILIES yet."""
    shape = dict(SHAPES[name])
    family = shape.pop("family", name)
    model = shape.pop("model")
    if family not in m.FAMILIES:
        log(f"{name}: family '{family}' is not defined in make_family_models.FAMILIES yet (defined: "
            f"{', '.join(m.FAMILIES)}); its full-size shape ({model}) is skipped")
        return None
    f = dict(m.FAMILIES[family], **shape)
    f["name"] = f"{model} shape, random weights"
    return family, f


def list_tensors(m, f: dict, n_vocab: int, name: str) -> dict[str, Spec]:
    specs = f.get("tensors", m.llama_tensors)(f, Shapes(), n_vocab)
    for t, s in specs.items():
        if not isinstance(s, Spec):
            sys.exit(f"full_size_models: {name}: tensor {t} was not made by one Rand method call "
                     f"(got {type(s).__name__}); families must make every tensor through r.mat/norm/bias/embd/uniform")
    return specs


def vocab_size(m, f: dict) -> int:
    r = gguf.GGUFReader(m.vocab_path(f["vocab"]))
    return len(r.fields["tokenizer.ggml.tokens"].data)


# ---------------------------------------------------------------------------------------------
# llama.cpp's type choice (src/llama-quant.cpp, llama_tensor_get_type and what it calls), for
# the ftypes of TYPES and models without experts.

FALLBACK = {QT.Q4_K: QT.Q5_0, QT.Q5_K: QT.Q5_1, QT.Q6_K: QT.Q8_0, QT.Q2_K: QT.Q4_0, QT.Q3_K: QT.Q4_0}


def block_size(t: QT) -> int:
    return gguf.GGML_QUANT_SIZES[t][0]


def category(name: str) -> str:
    """tensor_get_category: the first match wins."""
    if name == "output.weight":
        return "output"
    if name in ("token_embd.weight", "per_layer_token_embd.weight"):
        return "token_embd"
    for key, cat in (("attn_qkv.weight", "attn_v"), ("attn_kv_b.weight", "attn_v"), ("attn_v.weight", "attn_v"),
                     ("attn_k.weight", "attn_k"), ("attn_q.weight", "attn_q"), ("attn_output.weight", "attn_output"),
                     ("ffn_up", "ffn_up"), ("ffn_gate", "ffn_gate"), ("ffn_down", "ffn_down")):
        if key in name:
            return cat  # attn_qkv and attn_kv_b count as attn_v (category_is_attn_v)
    return "other"


def allows_quantization(name: str, ndim: int) -> bool:
    """tensor_allows_quantization, the checks that can apply to these families."""
    return (ndim >= 2 and name.endswith("weight") and "_norm.weight" not in name
            and "ffn_gate_inp.weight" not in name and name not in ("position_embd.weight", "token_types.weight"))


def layer_of(name: str) -> int:
    mm = re.match(r"blk\.(\d+)\.", name)
    return int(mm.group(1)) if mm else -1


def use_more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def llama_cpp_types(specs: dict[str, Spec], ftype: str, n_layer: int) -> dict[str, QT]:
    default = TYPES[ftype][1]
    tied = "output.weight" not in specs  # has_tied_embeddings: no output.weight
    n_attn_v = sum(category(n) == "attn_v" for n in specs)
    i_attn_v = i_ffn_down = 0
    types = {}
    # The quantizer walks its tensors sorted by layer, then name (weight_name_comparer): the
    # attn_v / ffn_down counters count in that order.
    for name in sorted(specs, key=lambda n: (layer_of(n), n)):
        s = specs[name]
        if not allows_quantization(name, s.ndim):
            types[name] = QT.F32  # stays as converted: F32 here
            continue
        ncols, t, cat = s.shape[-1], default, category(name)
        if cat == "output" or (tied and cat == "token_embd"):
            if ncols % block_size(t) != 0:
                t = QT.Q8_0
            elif t != QT.Q8_0:
                t = QT.Q6_K
        elif cat == "token_embd":
            pass
        elif cat == "attn_v":
            if ftype == "q4_k_m" and use_more_bits(i_attn_v, n_attn_v):
                t = QT.Q6_K
            i_attn_v += 1
        elif cat == "ffn_down":
            if ftype == "q4_k_m" and use_more_bits(i_ffn_down, n_layer):
                t = QT.Q6_K
            i_ffn_down += 1
        # tensor_type_fallback: a row that does not split into the type's blocks
        if ncols % block_size(t) != 0:
            if block_size(t) > 32:
                if t not in FALLBACK:
                    raise ValueError(f"no fallback for {t.name} ({name})")
                t = FALLBACK[t]
            if ncols % block_size(t) != 0:
                t = QT.F16
        types[name] = t
    return {n: types[n] for n in specs}


# ---------------------------------------------------------------------------------------------
# Random quantized blocks (layouts: ggml-common.h). Each maker returns [n_blocks, type_size]
# uint8 whose dequantized values have standard deviation ~sigma: block scales are
# sigma / (std of the quant codes) times a jitter in [0.75, 1.25].

def _fp16(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float16).view(np.uint8).reshape(-1, 2)


def _scales(rng, n: int, sigma: float, code_std: float, signed: bool = False) -> np.ndarray:
    """signed: a random sign, as ggml's Q4_0/Q5_0 quantizers give (d = the block's extreme / -8 or
    -16), which also cancels the codes' -0.5 d mean."""
    u = rng.random(n, dtype=np.float32)
    d = (sigma / code_std) * (0.75 + 0.5 * u)
    return np.where(rng.random(n, dtype=np.float32) < 0.5, -d, d) if signed else d


def _rand_bytes(rng, n_blocks: int, n: int) -> np.ndarray:
    return np.frombuffer(rng.bytes(n_blocks * n), dtype=np.uint8).reshape(n_blocks, n)


U4_STD = math.sqrt((16 ** 2 - 1) / 12)  # std of a uniform 4-bit code (0..15)


def blocks_q4_0(rng, nb, sigma):  # {d: f16, qs[16]: nibbles}; x = d * (q - 8)
    b = np.empty((nb, 18), np.uint8)
    b[:, :2] = _fp16(_scales(rng, nb, sigma, U4_STD, signed=True))
    b[:, 2:] = _rand_bytes(rng, nb, 16)
    return b


def blocks_q4_1(rng, nb, sigma):  # {d, m: f16, qs[16]}; x = d * q + m, m = -7.5 d (centred)
    d = _scales(rng, nb, sigma, U4_STD)
    b = np.empty((nb, 20), np.uint8)
    b[:, :2], b[:, 2:4] = _fp16(d), _fp16(-7.5 * d)
    b[:, 4:] = _rand_bytes(rng, nb, 16)
    return b


def blocks_q5_0(rng, nb, sigma):  # {d: f16, qh: u32 (5th bits), qs[16]}; x = d * (q - 16)
    b = np.empty((nb, 22), np.uint8)
    b[:, :2] = _fp16(_scales(rng, nb, sigma, math.sqrt((32 ** 2 - 1) / 12), signed=True))
    b[:, 2:] = _rand_bytes(rng, nb, 20)
    return b


def blocks_q8_0(rng, nb, sigma):  # {d: f16, qs[32]: int8 in -127..127}; x = d * q
    b = np.empty((nb, 34), np.uint8)
    b[:, :2] = _fp16(_scales(rng, nb, sigma, math.sqrt((255 ** 2 - 1) / 12)))
    q = _rand_bytes(rng, nb, 32).view(np.int8)
    b[:, 2:] = np.maximum(q, -127).view(np.uint8)  # the quantizer never writes -128
    return b


def blocks_q4_k(rng, nb, sigma):
    """{d, dmin: f16, scales[12]: 8 6-bit (scale, min) pairs, qs[128]}; sub-block j (32 values):
    x = d*sc_j*q - dmin*m_j. Here m_j = sc_j in 32..63 and dmin = 7.5 d: x = d*sc_j*(q - 7.5)."""
    sc = (32 + (_rand_bytes(rng, nb, 8) & 31)).astype(np.uint8)
    code_std = math.sqrt(float(np.mean(np.arange(32, 64) ** 2))) * U4_STD
    d = _scales(rng, nb, sigma, code_std)
    b = np.empty((nb, 144), np.uint8)
    b[:, :2], b[:, 2:4] = _fp16(d), _fp16(7.5 * d)
    lo, hi = sc[:, :4], sc[:, 4:]  # packing of get_scale_min_k4, with m = sc
    b[:, 4:8] = lo | ((hi >> 4) << 6)
    b[:, 8:12] = lo | ((hi >> 4) << 6)
    b[:, 12:16] = (hi & 0xF) | ((hi & 0xF) << 4)
    b[:, 16:] = _rand_bytes(rng, nb, 128)
    return b


def blocks_q6_k(rng, nb, sigma):
    """{ql[128], qh[64]: 6-bit codes, scales[16]: int8, d: f16}; x = d * scale_j * (q - 32)."""
    b = np.empty((nb, 210), np.uint8)
    b[:, :192] = _rand_bytes(rng, nb, 192)
    b[:, 192:208] = 64 + (_rand_bytes(rng, nb, 16) & 63)  # scales 64..127
    code_std = math.sqrt(float(np.mean(np.arange(64, 128) ** 2))) * math.sqrt((64 ** 2 - 1) / 12)
    b[:, 208:] = _fp16(_scales(rng, nb, sigma, code_std))
    return b


def blocks_f16(rng, n, sigma):
    return (sigma * rng.standard_normal(n, dtype=np.float32)).astype(np.float16).view(np.uint8).reshape(n, 2)


BLOCKS = {QT.Q4_0: blocks_q4_0, QT.Q4_1: blocks_q4_1, QT.Q5_0: blocks_q5_0, QT.Q8_0: blocks_q8_0,
          QT.Q4_K: blocks_q4_k, QT.Q6_K: blocks_q6_k, QT.F16: blocks_f16}


def row_bytes(t: QT, ncols: int) -> int:
    bs, ts = gguf.GGML_QUANT_SIZES[t]
    return ncols // bs * ts


# ---------------------------------------------------------------------------------------------

def write(m, name: str, ftype: str, out: Path | None = None) -> Path | None:
    """Writes <out>/<name>-<ftype>.gguf (default out: the cache's families/full/); None when the
    family is not defined."""
    ff = full_family(m, name)
    if ff is None:
        return None
    family, f = ff
    out = out or out_dir(m)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}-{ftype}.gguf"
    tmp = path.with_suffix(".gguf.tmp")
    w = gguf.GGUFWriter(tmp, f["arch"])
    n_vocab = m.add_keys(w, name, f, TYPES[ftype][0])
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)  # as llama.cpp's quantizer writes
    specs = list_tensors(m, f, n_vocab, name)
    types = llama_cpp_types(specs, ftype, f["n_layer"])
    for t, s in specs.items():
        rows = int(np.prod(s.shape[:-1]))
        nbytes = rows * (4 * s.shape[-1] if types[t] == QT.F32 else row_bytes(types[t], s.shape[-1]))
        w.add_tensor_info(t, s.shape, np.dtype(np.float32), nbytes, raw_dtype=None if types[t] == QT.F32 else types[t])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    fout = w.fout[0]
    rng = np.random.default_rng([f["seed"], list(TYPES).index(ftype), sorted(SHAPES).index(name)])
    rand = m.Rand(rng)
    for t, s in specs.items():
        w.write_padding(fout, fout.tell())
        qt = types[t]
        if qt == QT.F32:
            a = s.values(rand)
            a.tofile(fout)
            nbytes = a.nbytes
        else:
            ncols, rows = s.shape[-1], int(np.prod(s.shape[:-1]))
            rb = row_bytes(qt, ncols)
            per_row = ncols // block_size(qt)
            step = max(1, CHUNK_BYTES // rb)
            for r0 in range(0, rows, step):
                n = min(step, rows - r0)
                BLOCKS[qt](rng, n * per_row, s.std()).tofile(fout)
            nbytes = rows * rb
        w.write_padding(fout, nbytes)
    w.close()
    os.replace(tmp, path)
    mix = {}
    for qt in types.values():
        mix[qt.name] = mix.get(qt.name, 0) + 1
    log(f"wrote {path} ({path.stat().st_size / 1e9:.2f} GB; {', '.join(f'{k}: {v}' for k, v in mix.items())})")
    return path


def check_blocks() -> bool:
    """Dequantizes each block maker's output with gguf-py: finite, and the asked-for spread."""
    ok = True
    rng = np.random.default_rng(0)
    for qt, make in BLOCKS.items():
        b = make(rng, 4096, 0.02)
        x = b.view(np.float16).astype(np.float32) if qt == QT.F16 else gguf.quants.dequantize(b.reshape(-1), qt)
        good = b.shape[1] == gguf.GGML_QUANT_SIZES[qt][1] and bool(np.isfinite(x).all()) and abs(x.std() / 0.02 - 1) < 0.05
        ok &= good
        log(f"{qt.name}: {'ok' if good else 'WRONG'}: std {x.std():.4f} (asked 0.02), mean {x.mean():+.4f}, max |x| {np.abs(x).max():.3f}")
    return ok


def check_types(m, names: list[str]) -> bool:
    """Compares llama_cpp_types with llama.cpp's own choice: a dry-run quantization (no output)
    of a sparse F32 file of the same tensor shapes, reading the types from llama.cpp's log."""
    import ctypes
    import llama_cpp
    lines: list[str] = []

    @llama_cpp.llama_log_callback
    def on_log(level, text, user_data):
        lines.append(text.decode("utf-8", "replace"))

    llama_cpp.llama_log_set(on_log, ctypes.c_void_p(0))
    ok = True
    for name in names:
        ff = full_family(m, name)
        if ff is None:
            continue
        family, f = ff
        with tempfile.TemporaryDirectory() as tmpdir:
            src = Path(tmpdir) / "f32.gguf"
            w = gguf.GGUFWriter(src, f["arch"])
            n_vocab = m.add_keys(w, name, f, gguf.LlamaFileType.ALL_F32)
            specs = list_tensors(m, f, n_vocab, name)
            for t, s in specs.items():
                w.add_tensor_info(t, s.shape, np.dtype(np.float32), 4 * int(np.prod(s.shape)))
            w.write_header_to_file()
            w.write_kv_data_to_file()
            w.write_ti_data_to_file()
            fout = w.fout[0]
            size = w.ggml_pad(fout.tell(), w.data_alignment)
            size += sum(w.ggml_pad(4 * int(np.prod(s.shape)), w.data_alignment) for s in specs.values())
            fout.truncate(size)  # zeros, never written: a sparse file
            w.close()
            for ftype, (ft, _) in TYPES.items():
                p = llama_cpp.llama_model_quantize_default_params()
                p.ftype, p.dry_run, p.nthread = int(ft), True, 1
                lines.clear()
                rc = llama_cpp.llama_model_quantize(str(src).encode(), str(Path(tmpdir) / "out.gguf").encode(), p)
                text = "".join(lines)
                got = {}
                for mm in re.finditer(r"\]\s+(\S+)\s+- \[[^\]]*\], type =\s*(\w+), size =[^\n(]*(?:\((\w+)\))?", text):
                    got[mm.group(1)] = (mm.group(3) or mm.group(2)).upper()
                mine = {t: q.name.upper() for t, q in llama_cpp_types(specs, ftype, f["n_layer"]).items()}
                diff = [f"{t}: ours {mine[t]}, llama.cpp {got.get(t)}" for t in mine if got.get(t) != mine[t]]
                if rc != 0 or diff or len(got) != len(mine):
                    ok = False
                    log(f"{name} {ftype}: MISMATCH (rc {rc}, {len(got)}/{len(mine)} tensors): " + "; ".join(diff[:6]))
                else:
                    mix = sorted({v for v in mine.values()})
                    log(f"{name} {ftype}: {len(mine)} tensor types identical to llama.cpp's ({', '.join(mix)})")
    import llama_cpp._logger
    llama_cpp.llama_log_set(llama_cpp._logger.llama_log_callback, ctypes.c_void_p(0))  # its own again
    return ok


def main() -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_family_models as m
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", action="append", choices=list(SHAPES))
    ap.add_argument("--check-types", action="store_true", help="compare the type mix with llama.cpp's quantizer")
    ap.add_argument("--check-blocks", action="store_true", help="dequantize the random blocks with gguf-py")
    ap.add_argument("--list", action="store_true", help="print each shape's tensors and types")
    ap.add_argument("--type", default="q4_k_m", choices=list(TYPES), help="for --list")
    a = ap.parse_args()
    names = a.family or list(SHAPES)
    if a.check_blocks or a.check_types:
        ok = (not a.check_blocks or check_blocks()) and (not a.check_types or check_types(m, names))
        sys.exit(0 if ok else 1)
    if a.list:
        for name in names:
            ff = full_family(m, name)
            if ff is None:
                continue
            family, f = ff
            specs = list_tensors(m, f, vocab_size(m, f), name)
            types = llama_cpp_types(specs, a.type, f["n_layer"])
            print(f"{name} ({f['name']}, family {family}, {a.type}):")
            for t, s in specs.items():
                print(f"  {t:32s} {str(list(reversed(s.shape))):16s} {types[t].name}")
        return
    ap.error("nothing to do: make files with tools/make_family_models.py --full-size TYPE, or pass --check-types/--list")


if __name__ == "__main__":
    main()
