#!/usr/bin/env python3
"""Dev-only: writes tests/golden/tokenizer/<name>.json, the token ids llama.cpp (through
llama-cpp-python, vocab_only) gives for a set of texts, for tests/unit/tokenizer_test.cc.

usage: tools/make_tokenizer_goldens.py [--models-dir DIR] [--out DIR]
"""
import argparse
import json
import os
import sys

MODELS = {
    "smollm2-135m-instruct": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gemma-3-270m": "gemma-3-270m-q4_k_m.gguf",
}

# Varied text: code, emoji (multi-codepoint too), CJK, accents, whitespace runs, tabs, numbers,
# chat-template markers of both model families.
TEXTS = [
    "",
    " ",
    "Hello world",
    " Hello World!",
    "  leading and trailing spaces   ",
    "tabs\tand\t\ttabs\n\nnew\nlines\n\n\n   \n",
    "def fib(n: int) -> int:\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "Numbers: 0 7 42 123 1234 12345 3.14159 -2e10 1,000,000 0x1F",
    "Emoji: 🦙 🚀🔥 👩‍💻 🏳️‍🌈 ❤️ 👍🏽",
    "CJK: 我想在apple工作。日本語のテキストです。한국어 문장입니다.",
    "Accents: café naïve résumé Ångström façade Zürich São Paulo ñandú",
    "Кириллица и ελληνικά, עברית, العربية, हिन्दी",
    "Mixed  double  spaces\u00a0nbsp and\u3000ideographic space",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
    "<start_of_turn>user\nWhat's 2+2?<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>",
    "<bos><eos><|endoftext|> <unk> <pad> literal </s>",
    "I'm sure they'll say it's OK, we've done what you'd expect—isn't it?",
    "URL: https://example.com/path?q=a+b&x=1#frag  email: someone@example.org",
    "    indented\n\t\tdeeper\n\t \t mixed\r\nwindows line\r\n",
    "a" * 40 + " " + "ab" * 20 + " " + "!!!???..." * 3,
    "\u2581already\u2581escaped\u2581 and ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models-dir", default=os.environ.get(
        "SLM_MODELS_DIR", os.path.expanduser("~/.cache/slm/models")))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "tokenizer"))
    args = ap.parse_args()

    import llama_cpp  # noqa: E402  (only needed here)

    os.makedirs(args.out, exist_ok=True)
    for name, fname in MODELS.items():
        path = os.path.join(args.models_dir, fname)
        if not os.path.exists(path):
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
        cases = []
        for text in TEXTS:
            for add_special in (False, True):
                for parse_special in (False, True):
                    ids = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
                    cases.append({"text": text, "add_special": add_special,
                                  "parse_special": parse_special, "ids": list(ids)})
        out = {
            "model": fname,
            "generator": f"llama-cpp-python {llama_cpp.__version__} (llama_tokenize, vocab_only)",
            "cases": cases,
        }
        with open(os.path.join(args.out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=None, separators=(",", ":"))
            f.write("\n")
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()
