#!/usr/bin/env python3
"""Writes the model golden files tests/golden/models/<model>.json with llama.cpp (dev-only; the
outputs are committed and the tests read them, so running this is needed only to add a model or
change the prompts).

For each prompt the file records llama.cpp's tokenization, the top logits and the log-sum-exp of
the full logits row at every prompt position, and a 32-token greedy continuation with the top
logits of each step. slm's tokenizer and forward pass are checked against these.

    usage: tools/make_model_goldens.py [--model NAME] [--out DIR]   (default: every model)
           tools/make_model_goldens.py --check [--model NAME] [--out DIR]
                 (re-reads the files: consistency checks and near-tie statistics; no llama.cpp)

Needs llama-cpp-python (pip install llama-cpp-python; made with 0.3.36) and numpy, and the models
in the cache (tools/fetch_models.py --all). Deterministic: fixed prompts, greedy decoding, fixed
thread count; running it twice on one machine gives identical files. (llama.cpp picks CPU kernels
by instruction set, so another machine may differ in the last digits.)

File layout (JSON, UTF-8 strings written raw, not \\u-escaped):
    model, file, file_sha256, generator, n_ctx, top_n, settings{...},
    prompts: [ { text,
                 tokens            llama.cpp tokenization, add_bos from the model's metadata,
                                   special=True (control-token text such as <|im_start|> is one token)
                 tokens_nospecial  the same with special=False (control-token text is plain text)
                 positions         one per prompt token: {lse, top: [[id, logit] x top_n]}, the
                                   logits after that token; top by descending logit, ties by id
                 greedy            32 ids, argmax continuation (ties to the lowest id), not stopping
                                   at EOS
                 greedy_steps      one per greedy token: {lse, top: [[id, logit] x 16]}, the logits
                                   that token was chosen from (step 0 = the last prompt position) } ]
Logits are rounded to 5 decimals; lse is the log-sum-exp of the whole row, computed in float64.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import fetch_models  # noqa: E402  (model names, file names, sha256 and the cache dir rule)

OUT_DIR = ROOT / "tests" / "golden" / "models"
TEXT_DIR = ROOT.parent / "shared" / "testdata" / "text"
LONG_SOURCE = TEXT_DIR / "gutenberg-1342" / "1342-0.txt"  # Pride and Prejudice, public domain

N_CTX = 1024
N_BATCH = 512
N_THREADS = 2
TOP_N = 64
GREEDY_N = 32
GREEDY_TOP = 16

# Per model: the chat prompt, the single-token prompt, and the token count the long prompt must
# reach (Gemma 3's must pass its 512-token sliding window).
MODEL_PROMPTS = {
    "smollm2-135m-instruct": {
        "chat": "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
        "chat_system": ("<|im_start|>system\nYou are a helpful AI assistant.<|im_end|>\n"
                        "<|im_start|>user\nName three primary colors.<|im_end|>\n<|im_start|>assistant\n"),
        "single": "Hello",
        "long_tokens": 450,
    },
    "gemma3-270m": {
        "chat": "<start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n<start_of_turn>model\n",
        "chat_system": ("<start_of_turn>user\nName three primary colors.<end_of_turn>\n"
                        "<start_of_turn>model\nRed, yellow and blue.<end_of_turn>\n"
                        "<start_of_turn>user\nAnd the secondary ones?<end_of_turn>\n<start_of_turn>model\n"),
        "single": "",  # add_bos: the text "" is just <bos>
        "long_tokens": 650,
    },
}

COMMON_PROMPTS = [
    # plain English continuation
    "The old lighthouse keeper climbed the narrow stairs every evening, and tonight, as the storm rolled in from the sea,",
    # a question
    "Why do leaves change color in the autumn?",
    # code
    'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n',
    # a list
    "Things to pack for a weekend hike:\n1. Water bottle\n2. Rain jacket\n3.",
    # numbers / arithmetic
    "12 + 35 = 47\n128 * 4 = 512\n3.14159 / 2 = 1.570795\n1999 - 1024 =",
    # French
    "Le petit chat dort sur le canapé pendant que la pluie tombe doucement sur la ville.",
    # German
    "Die Straßenbahn fährt heute wegen der Bauarbeiten nicht über den Marktplatz, sagte der Schaffner.",
    # CJK (Japanese, then Chinese)
    "東京は日本の首都です。今日は公園を散歩しました。我喜欢学习新的语言。",
    # emoji (incl. a ZWJ sequence and a variation selector)
    "Weekend plans: pizza 🍕, sunshine ☀️ and a party 🎉🎉 with the dev team 👩‍💻!",
    # whitespace oddities (leading spaces, tabs, blank lines, runs of spaces)
    "  Indented line\n\tTabbed line\n\n\nThree   spaces   between   words.",
]


def log(msg: str) -> None:
    print(f"[make_model_goldens] {msg}", file=sys.stderr, flush=True)


def long_prompt(tokenize, min_tokens: int) -> str:
    """Whole paragraphs of Pride and Prejudice from chapter 1's first line on, until the text is
    at least min_tokens tokens."""
    text = LONG_SOURCE.read_text(encoding="utf-8")
    start = text.index("It is a truth universally acknowledged")
    paras = text[start:].split("\n\n")
    out = ""
    for p in paras:
        out = p if not out else out + "\n\n" + p
        if len(tokenize(out)) >= min_tokens:
            return out
    raise RuntimeError("long prompt source too short")


def r5(x: float) -> float:
    v = round(float(x), 5)
    return 0.0 if v == 0.0 else v  # no "-0.0"


def row_summary(row: np.ndarray, k: int) -> dict:
    row64 = row.astype(np.float64)
    m = row64.max()
    lse = m + np.log(np.exp(row64 - m).sum())
    order = np.argsort(-row, kind="stable")[:k]  # descending logit, ties to the lowest id
    return {"lse": r5(lse), "top": [[int(i), r5(row[i])] for i in order]}


def add_bos_of(llm) -> bool:
    v = llm.metadata.get("tokenizer.ggml.add_bos_token")
    if v is not None:
        return v.lower() == "true"
    return bool(llm._model.add_bos_token())


def make_golden(name: str, llama_cpp) -> dict:
    spec = fetch_models.MODELS[name]
    path = Path(fetch_models.models_dir()) / spec["file"]
    if not path.exists():
        sys.exit(f"make_model_goldens: {path} is missing; run tools/fetch_models.py {name}")
    digest = fetch_models.sha256_of(path)
    if digest != spec["sha256"]:
        sys.exit(f"make_model_goldens: {path}: sha256 {digest}, expected {spec['sha256']}")

    llm = llama_cpp.Llama(model_path=str(path), n_ctx=N_CTX, n_batch=N_BATCH, n_ubatch=N_BATCH,
                          n_threads=N_THREADS, n_threads_batch=N_THREADS, logits_all=True,
                          flash_attn=False, seed=0, verbose=False)
    add_bos = add_bos_of(llm)

    def tok(text: str, special: bool = True) -> list[int]:
        return llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    mp = MODEL_PROMPTS[name]
    texts = list(COMMON_PROMPTS) + [mp["chat"], mp["chat_system"], long_prompt(tok, mp["long_tokens"]),
                                    mp["single"]]

    prompts = []
    for text in texts:
        tokens = tok(text)
        if text == mp["single"] and len(tokens) != 1:
            sys.exit(f"make_model_goldens: single-token prompt {text!r} is {len(tokens)} tokens")
        assert 1 <= len(tokens) and len(tokens) + GREEDY_N <= N_CTX
        llm.reset()
        llm.eval(tokens)
        positions = [row_summary(llm.scores[i], TOP_N) for i in range(len(tokens))]
        greedy, steps = [], []
        for step in range(GREEDY_N):
            row = llm.scores[llm.n_tokens - 1]
            t = int(np.argmax(row))  # first maximum = lowest id
            greedy.append(t)
            steps.append(row_summary(row, GREEDY_TOP))
            if step + 1 < GREEDY_N:
                llm.eval([t])
        prompts.append({"text": text, "tokens": tokens, "tokens_nospecial": tok(text, special=False),
                        "positions": positions, "greedy": greedy, "greedy_steps": steps})
        log(f"{name}: {len(tokens)} prompt tokens, greedy {llm.detokenize(greedy)[:40]!r}")
    llm.close()

    return {
        "model": name,
        "file": spec["file"],
        "file_sha256": digest,
        "generator": f"llama-cpp-python {llama_cpp.__version__}",
        "n_ctx": N_CTX,
        "top_n": TOP_N,
        "settings": {"add_bos": add_bos, "type_k": "f16", "type_v": "f16", "flash_attn": False,
                     "swa_full": True, "n_batch": N_BATCH, "n_ubatch": N_BATCH, "n_threads": N_THREADS,
                     "greedy_n": GREEDY_N, "greedy_top_n": GREEDY_TOP, "logit_decimals": 5},
        "prompts": prompts,
    }


def dumps(x) -> str:
    return json.dumps(x, ensure_ascii=False, separators=(",", ":"))


def write_golden(g: dict, path: Path) -> None:
    """Top-level keys one a line, one line per prompt field, one line per position."""
    lines = ["{"]
    for k, v in g.items():
        if k != "prompts":
            lines.append(f"  {dumps(k)}: {dumps(v)},")
    lines.append('  "prompts": [')
    for pi, p in enumerate(g["prompts"]):
        lines.append("    {")
        fields = list(p.items())
        for fi, (k, v) in enumerate(fields):
            comma = "," if fi + 1 < len(fields) else ""
            if k in ("positions", "greedy_steps"):
                lines.append(f"      {dumps(k)}: [")
                lines += [f"        {dumps(e)}" + ("," if i + 1 < len(v) else "") for i, e in enumerate(v)]
                lines.append(f"      ]{comma}")
            else:
                lines.append(f"      {dumps(k)}: {dumps(v)}{comma}")
        lines.append("    }" + ("," if pi + 1 < len(g["prompts"]) else ""))
    lines.append("  ]")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == g
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def check_golden(path: Path) -> bool:
    """Consistency of a written file, and how many greedy steps are near ties."""
    g = json.loads(path.read_text(encoding="utf-8"))
    ok = True
    near, steps, n_tok = 0, 0, 0
    for pi, p in enumerate(g["prompts"]):
        errs = []
        n_tok += len(p["tokens"])
        if len(p["positions"]) != len(p["tokens"]):
            errs.append("positions != tokens")
        if len(p["greedy"]) != GREEDY_N or len(p["greedy_steps"]) != GREEDY_N:
            errs.append("greedy length")
        if any(len(e["top"]) != g["top_n"] for e in p["positions"]):
            errs.append("top_n")
        if p["greedy"][0] != p["positions"][-1]["top"][0][0]:
            errs.append("greedy[0] != argmax of the last prompt position")
        if p["greedy_steps"][0] != {"lse": p["positions"][-1]["lse"], "top": p["positions"][-1]["top"][:GREEDY_TOP]}:
            errs.append("greedy_steps[0] != last prompt position")
        for s, (t, e) in enumerate(zip(p["greedy"], p["greedy_steps"])):
            top = e["top"]
            # (entries whose logits differ only past the 5th decimal can look out of id order)
            if t != top[0][0] or any(a[1] < b[1] for a, b in zip(top, top[1:])):
                errs.append(f"step {s}: token not the top entry or top not sorted")
            if top[0][1] > e["lse"]:
                errs.append(f"step {s}: max logit > lse")
            steps += 1
            near += (top[0][1] - top[1][1]) < 0.5
        for e in errs:
            log(f"{path.name}: prompt {pi}: {e}")
        ok &= not errs
    log(f"{path.name}: {'ok' if ok else 'FAILED'}: {len(g['prompts'])} prompts, {n_tok} prompt tokens, "
        f"{steps} greedy steps, {near} with a top-2 gap < 0.5")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", choices=list(MODEL_PROMPTS),
                    help="model to make goldens for (repeatable; default: all)")
    ap.add_argument("--out", type=Path, default=OUT_DIR, help=f"output dir (default: {OUT_DIR})")
    ap.add_argument("--check", action="store_true", help="check the files in --out instead of making them")
    args = ap.parse_args()
    if args.check:
        results = [check_golden(args.out / f"{n}.json") for n in args.model or list(MODEL_PROMPTS)]
        sys.exit(0 if all(results) else 1)
    import llama_cpp  # after argparse, so --help works without it

    for name in args.model or list(MODEL_PROMPTS):
        g = make_golden(name, llama_cpp)
        out = args.out / f"{name}.json"
        write_golden(g, out)
        log(f"{name}: wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {len(g['prompts'])} prompts)")


if __name__ == "__main__":
    main()
