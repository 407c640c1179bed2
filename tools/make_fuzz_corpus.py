#!/usr/bin/env python3
"""Writes the seed corpus of the GGUF fuzzer (tests/fuzz/corpus/).

Small valid GGUF files written with the `gguf` package (pip install gguf): every metadata value
type, nested arrays, versions 2 and 3, several tensor types and alignments, a tokenizer-shaped
file; and, when the SmolLM2 model is in the cache, its first 16 KiB (a real header, cut) and a
shrunk copy of it (its real metadata with long arrays cut short, and its first tensors with their
real names and types but one block each). Output is deterministic, so the files can be committed;
they stay well under 200 KB in all.

Usage: tools/make_fuzz_corpus.py [--out tests/fuzz/corpus] [--model PATH]
"""
import argparse
import os
import sys
import tempfile

import numpy as np

try:
    import gguf
except ImportError:
    sys.exit("make_fuzz_corpus: needs the gguf package: python3 -m pip install gguf")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
Q = gguf.GGMLQuantizationType
V = gguf.GGUFValueType


def models_dir():
    if os.environ.get("SLM_MODELS_DIR"):
        return os.environ["SLM_MODELS_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "slm", "models")


def write(path, arch, fill, alignment=None, version=3):
    """Writes one file: fill(writer, rng) adds metadata and tensors."""
    w = gguf.GGUFWriter(path, arch)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    fill(w, np.random.default_rng(1234))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if version != 3:  # the writer only writes version 3; v2 has the same layout
        with open(path, "r+b") as f:
            f.seek(4)
            f.write(version.to_bytes(4, "little"))


def quant_tensor(w, rng, name, qtype, n_per_row, rows=1):
    """A tensor of a quantized type with random block bytes (the fuzzer only parses them)."""
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    assert n_per_row % block == 0
    raw = rng.integers(0, 256, size=(rows, n_per_row // block * size), dtype=np.uint8)
    w.add_tensor(name, raw, raw_dtype=qtype)


def all_types(w, rng):
    w.add_uint8("t.u8", 200)
    w.add_int8("t.i8", -100)
    w.add_uint16("t.u16", 60000)
    w.add_int16("t.i16", -30000)
    w.add_uint32("t.u32", 4000000000)
    w.add_int32("t.i32", -2000000000)
    w.add_float32("t.f32", 0.5)
    w.add_uint64("t.u64", 2**63 + 5)
    w.add_int64("t.i64", -(2**40))
    w.add_float64("t.f64", -2.25)
    w.add_bool("t.bool", True)
    w.add_string("t.str", "h\u00e9llo \u4e16\u754c")
    w.add_string("t.empty", "")
    w.add_array("t.arr_i32", [1, -2, 3])
    w.add_array("t.arr_f32", [1.5, -0.25])
    w.add_array("t.arr_str", ["a", "", "<|im_end|>"])
    w.add_array("t.arr_bool", [True, False, True])
    w.add_key_value("t.arr_u8", [1, 2, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_key_value("t.arr_u64", [2**40, 7], V.ARRAY, sub_type=V.UINT64)
    w.add_array("t.nested", [[1, 2], [3], [4, 5, 6]])
    w.add_array("t.nested_str", [["x", "yz"], ["w"]])
    w.add_array("t.deep", [[[7]], [[8, 9]]])
    w.add_tensor("a.weight", rng.standard_normal((2, 3), dtype=np.float32))
    w.add_tensor("b.weight", rng.standard_normal((4,)).astype(np.float16))


def quant_types(w, rng):
    w.add_uint32("general.quantization_version", 2)
    for qtype, n in [(Q.Q4_0, 64), (Q.Q4_1, 32), (Q.Q5_0, 32), (Q.Q5_1, 64), (Q.Q8_0, 32),
                     (Q.Q2_K, 256), (Q.Q3_K, 256), (Q.Q4_K, 256), (Q.Q5_K, 256), (Q.Q6_K, 256)]:
        quant_tensor(w, rng, f"{qtype.name.lower()}.weight", qtype, n, rows=2)
    w.add_tensor("bf16.weight", rng.integers(0, 2**16, size=(2, 8), dtype=np.uint16).view(np.uint8),
                 raw_dtype=Q.BF16)
    w.add_tensor("norm.weight", np.ones((8,), dtype=np.float32))


def aligned(w, rng):
    w.add_uint32("llama.block_count", 1)
    w.add_tensor("x.weight", rng.standard_normal((5,), dtype=np.float32))
    quant_tensor(w, rng, "y.weight", Q.Q8_0, 32)
    w.add_tensor("z.weight", rng.standard_normal((1, 1, 2, 3), dtype=np.float32))  # four dims


def tokenizer_like(w, rng):
    w.add_uint32("llama.context_length", 128)
    w.add_uint32("llama.embedding_length", 32)
    w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_string("tokenizer.ggml.model", "gpt2")
    tokens = ["<unk>", "<s>", "</s>"] + [chr(ord("a") + i) for i in range(26)] + ["\u0120the", "\u0120a"]
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.scores", [float(-i) for i in range(len(tokens))])
    w.add_array("tokenizer.ggml.token_type", [3, 3, 3] + [1] * (len(tokens) - 3))
    w.add_array("tokenizer.ggml.merges", ["t h", "th e", "\u0120 t"])
    w.add_uint32("tokenizer.ggml.bos_token_id", 1)
    w.add_uint32("tokenizer.ggml.eos_token_id", 2)
    w.add_string("tokenizer.chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}")
    quant_tensor(w, rng, "token_embd.weight", Q.Q8_0, 32, rows=len(tokens))
    w.add_tensor("output_norm.weight", np.ones((32,), dtype=np.float32))


def shrunk_model(src):
    """Real metadata (long arrays cut to 64 items) and the first tensors' real names and types."""
    r = gguf.GGUFReader(src)

    def fill(w, rng):
        for name, field in r.fields.items():
            if name.startswith("GGUF.") or name == "general.architecture":
                continue
            vtype = field.types[0]
            if vtype == V.ARRAY:
                sub = field.types[1] if len(field.types) > 1 else V.UINT8
                items = [field.contents(i) for i in range(min(len(field.data), 64))]
                if sub == V.STRING and not items:
                    continue
                w.add_key_value(name, items, V.ARRAY, sub_type=sub)
            else:
                w.add_key_value(name, field.contents(), vtype)
        for t in r.tensors[:24]:
            qtype = Q(t.tensor_type)
            block, _ = gguf.GGML_QUANT_SIZES[qtype]
            dims = [int(d) for d in t.shape]
            n_per_row = block if block > 1 else min(dims[0], 8)
            if qtype in (Q.F32, Q.F16):
                shape = (1,) * (len(dims) - 1) + (n_per_row,)
                dtype = np.float32 if qtype == Q.F32 else np.float16
                w.add_tensor(t.name, rng.standard_normal(shape).astype(dtype))
            else:
                quant_tensor(w, rng, t.name, qtype, n_per_row)

    return fill, r.fields["general.architecture"].contents()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "fuzz", "corpus"))
    ap.add_argument("--model", default=os.path.join(models_dir(), SMOLLM2),
                    help="the SmolLM2 GGUF to take a real header from (skipped when absent)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731

    write(out("minimal.gguf"), "llama", lambda w, rng: None)
    write(out("all_types_v3.gguf"), "test", all_types)
    write(out("all_types_v2.gguf"), "test", all_types, version=2)
    write(out("quant_types.gguf"), "test", quant_types)
    write(out("align_1.gguf"), "llama", aligned, alignment=1)
    write(out("align_64.gguf"), "llama", aligned, alignment=64)
    write(out("align_256.gguf"), "llama", aligned, alignment=256)
    write(out("tokenizer_v2.gguf"), "llama", tokenizer_like, version=2)

    if os.path.exists(args.model):
        with open(args.model, "rb") as f:
            head = f.read(16 * 1024)
        with open(out("smollm2_head_16k.bin"), "wb") as f:
            f.write(head)
        fill, arch = shrunk_model(args.model)
        write(out("smollm2_shrunk.gguf"), arch, fill)
    else:
        print(f"make_fuzz_corpus: {args.model} not found; skipping the real-model seeds", file=sys.stderr)

    total = 0
    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(out(name))
        total += size
        print(f"{size:8d}  {name}")
    print(f"{total:8d}  total")
    if total > 200 * 1024:
        sys.exit("make_fuzz_corpus: the corpus is over 200 KB")


if __name__ == "__main__":
    main()
