#!/usr/bin/env python3
"""Chat-template goldens: Python jinja2 renderings, made the way Hugging Face transformers renders
chat templates, for slm's Jinja engine (tests/golden/template_golden_test.cc) to match byte for
byte.

Templates (none is copied into the repo except the built-ins, which live in the sources):
  minja      ../shared/testdata/chat-templates/minja-goldens/templates/*.jinja
  llama.cpp  ../shared/testdata/chat-templates/llama.cpp-models-templates/*.jinja
  ollama     ../shared/testdata/chat-templates/ollama/index.json (entry i -> "NN-<name>")
  gguf       tokenizer.chat_template of SmolLM2-135M-Instruct.Q4_1.gguf (model cache), checked
             by sha256; the test reads it from the GGUF
  builtin    src/chat/builtin_templates.cc (the R"slm(...)slm" literals)

Output: tests/golden/templates/<source>/<name>.json =
  {"template_path": path under ../shared/testdata | "gguf:smollm2-135m-instruct" | "builtin:NAME",
   "template_sha256": sha256 of the template's UTF-8 text,
   "model_file": the GGUF's file name in the model cache (gguf only),
   "jinja2_version": ...,
   "cases": [{"name", "context": the full render context, "output": str | "error": str}]}

The environment is transformers' (_compile_jinja_template in
transformers/utils/chat_template_utils.py): ImmutableSandboxedEnvironment(trim_blocks=True,
lstrip_blocks=True, extensions=[generation tag, loopcontrols]); filter tojson =
json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys);
globals raise_exception (raises TemplateError(message)) and strftime_now, here with the clock
fixed at 2024-07-26T00:00:00 (the date of minja's goldens; Unix time 1721952000, UTC). The
context is what apply_chat_template passes: messages, tools (None when there are none),
documents (None), add_generation_prompt, and the special tokens bos_token/eos_token (chosen by
the template's family, see family_tokens()).

Tool-call arguments: OpenAI sends `arguments` as a JSON string. Templates that contain
"tool_call.arguments | items" or "tool_call.arguments | tojson" expect an object, so for them the
strings are parsed into objects before rendering (minja's rule). The recorded context is the one
actually rendered, so the test needs no such rule.

A case where jinja2 raises (at parse or at render) records {"error": message}; slm must fail too.

Deterministic: no clock, no randomness, keys in insertion order; a rerun gives identical files.

  pip install jinja2 gguf       # made with jinja2 3.1.6
  tools/make_template_goldens.py [--out DIR] [--testdata DIR] [--model PATH]
"""
import argparse
import copy
import datetime
import hashlib
import json
import os
import re
import sys
from pathlib import Path

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = Path(__file__).resolve().parent.parent
FIXED_NOW = datetime.datetime(2024, 7, 26, 0, 0, 0)
GGUF_NAME = "smollm2-135m-instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


# ----------------------------------------------------------------------------------------------
# The environment

class GenerationTag(jinja2.ext.Extension):
    """transformers' {% generation %}...{% endgeneration %} block; outside assistant-mask
    tracking it renders its body unchanged."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render_body"), [], [], body).set_lineno(lineno)

    def _render_body(self, caller):
        return caller()


def _raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def _strftime_now(fmt):
    return FIXED_NOW.strftime(fmt)


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    return env


# ----------------------------------------------------------------------------------------------
# Conversations

def _long_text():
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
             "kappa", "lambda", "mu"]
    lines = []
    n = 0
    for i in range(60):
        line = " ".join(words[(i * 7 + j) % len(words)] for j in range(8))
        lines.append(f"{i:02d}. {line.capitalize()} ({i * 37 % 101}).")
        n += len(lines[-1]) + 1
    return "\n".join(lines)


LONG = _long_text()  # ~3.5 KB, shared by the long cases

TOOLS = [
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "The city, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"]}}},
    {"type": "function", "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {"type": "object", "properties": {
            "a": {"type": "integer", "description": "First term"},
            "b": {"type": "integer", "description": "Second term"}},
            "required": ["a", "b"]}}},
]

SYS = {"role": "system", "content": "You are a helpful assistant."}
U1 = {"role": "user", "content": "Hello, how are you?"}
A1 = {"role": "assistant", "content": "I'm doing great. How can I help you today?"}
U2 = {"role": "user", "content": "I'd like to show off how chat templating works!"}
A2 = {"role": "assistant", "content": "Sure: a chat template turns a list of messages into text."}
U3 = {"role": "user", "content": "Great, thanks."}

# Mistral-family templates require 9-character alphanumeric tool-call ids.
CALL_W = {"id": "call00001", "type": "function",
          "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}
CALL_A = {"id": "call00002", "type": "function",
          "function": {"name": "add", "arguments": "{\"a\": 2, \"b\": 3}"}}
Q_WEATHER = {"role": "user", "content": "What's the weather in Paris? Also, what is 2 + 3?"}


def conversations():
    """(name, messages, add_generation_prompt, has_tools)."""
    c = []
    c.append(("user", [U1], True, False))
    c.append(("user_no_gen", [U1], False, False))
    c.append(("system_user", [SYS, U1], True, False))
    c.append(("multi_turn", [U1, A1, U2], True, False))
    c.append(("system_multi_turn_no_gen", [SYS, U1, A1, U2], False, False))
    c.append(("system_long_dialogue", [SYS, U1, A1, U2, A2, U3], True, False))
    c.append(("assistant_last", [U1, A1], False, False))
    c.append(("system_assistant_last", [SYS, U1, A1, U2, A2], False, False))
    c.append(("empty_content", [{"role": "user", "content": ""},
                                {"role": "assistant", "content": ""},
                                {"role": "user", "content": "Hi"}], True, False))
    c.append(("empty_system", [{"role": "system", "content": ""}, U1], True, False))
    c.append(("long_content", [SYS, {"role": "user", "content": "Summarize this list:\n" + LONG},
                               {"role": "assistant", "content": LONG},
                               {"role": "user", "content": "Shorter, please."}], True, False))
    c.append(("unicode", [
        {"role": "system", "content": "Réponds en français, s'il te plaît. Ça va ? Ünïcödé ñ ß"},
        {"role": "user", "content": "你好，世界！日本語のテキスト。한국어 🙂🚀👩‍💻 🇫🇷"},
        {"role": "assistant", "content": "مرحبا بالعالم — שלום עולם — Ελληνικά — Кириллица"},
        {"role": "user", "content": "Combining: e\u0301 a\u0308; zero-width:\u200b; nbsp:\u00a0end"}],
        True, False))
    c.append(("jinja_like_text", [
        {"role": "system", "content": "Literal {{ messages }} and {% if x %}y{% endif %} and {# c #}."},
        {"role": "user", "content": "Quotes ' \" `back`, backslashes \\ \\n \\\\, tab\there,\n"
                                    "newlines\n\n  indented line\r\nCRLF, and {{ '{{' }}."},
        {"role": "assistant", "content": "  leading and trailing spaces  \n"},
        {"role": "user", "content": "\n\nStarts with newlines and ends with a brace }}"}],
        True, False))
    c.append(("consecutive_same_role", [U1, U2, A1, A2, U3], True, False))
    c.append(("system_not_first", [U1, A1, SYS, U2], True, False))
    c.append(("system_only", [SYS], True, False))
    c.append(("tools_user", [Q_WEATHER], True, True))
    c.append(("tools_system_user", [SYS, Q_WEATHER], True, True))
    c.append(("tool_call", [
        Q_WEATHER,
        {"role": "assistant", "content": "", "tool_calls": [CALL_W]},
        {"role": "tool", "tool_call_id": "call00001", "name": "get_weather",
         "content": "{\"temperature\": 21, \"condition\": \"sunny\"}"}], True, True))
    c.append(("tool_calls_two_results", [
        SYS, Q_WEATHER,
        {"role": "assistant", "content": None, "tool_calls": [CALL_W, CALL_A]},
        {"role": "tool", "tool_call_id": "call00001", "name": "get_weather",
         "content": "{\"temperature\": 21, \"condition\": \"sunny\"}"},
        {"role": "tool", "tool_call_id": "call00002", "name": "add", "content": "5"},
        {"role": "assistant", "content": "It is 21 °C and sunny in Paris, and 2 + 3 = 5."},
        {"role": "user", "content": "Thanks!"}], True, True))
    c.append(("tool_call_no_gen", [
        Q_WEATHER,
        {"role": "assistant", "content": "Let me check.", "tool_calls": [CALL_W]}], False, True))
    return c


def family_tokens(text):
    """bos_token, eos_token by what the template prints (HF passes the tokenizer's own)."""
    if "<|start_header_id|>" in text or "<|eot_id|>" in text:
        return "<|begin_of_text|>", "<|eot_id|>"
    if "<start_of_turn>" in text or "<|turn>" in text:
        return "<bos>", "<eos>"
    if "<｜Assistant｜>" in text or "<｜User｜>" in text:
        return "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
    if "<|im_start|>" in text:
        return "<|startoftext|>", "<|endoftext|>"
    return "<s>", "</s>"


def wants_object_arguments(text):
    return "tool_call.arguments | items" in text or "tool_call.arguments | tojson" in text


def build_context(text, messages, add_generation_prompt, has_tools, bos, eos):
    messages = copy.deepcopy(messages)
    if wants_object_arguments(text):
        for m in messages:
            for tc in m.get("tool_calls") or []:
                f = tc.get("function", {})
                if isinstance(f.get("arguments"), str):
                    f["arguments"] = json.loads(f["arguments"])
    return {
        "messages": messages,
        "tools": copy.deepcopy(TOOLS) if has_tools else None,
        "documents": None,
        "add_generation_prompt": add_generation_prompt,
        "bos_token": bos,
        "eos_token": eos,
    }


def error_text(e):
    return f"{type(e).__name__}: {e}"


def render_all(text, bos_eos=None):
    env = make_env()
    bos, eos = bos_eos or family_tokens(text)
    try:
        tmpl = env.from_string(text)
        parse_error = None
    except Exception as e:  # noqa: BLE001 - any jinja2 failure is a golden "error"
        tmpl, parse_error = None, error_text(e)
    cases = []
    for name, msgs, agp, has_tools in conversations():
        ctx = build_context(text, msgs, agp, has_tools, bos, eos)
        case = {"name": name, "context": ctx}
        if parse_error is not None:
            case["error"] = parse_error
        else:
            try:
                case["output"] = tmpl.render(**copy.deepcopy(ctx))
            except Exception as e:  # noqa: BLE001
                case["error"] = error_text(e)
        cases.append(case)
    return cases


# ----------------------------------------------------------------------------------------------
# Template sources

def builtin_templates():
    src = (REPO / "src/chat/builtin_templates.cc").read_text(encoding="utf-8")
    found = re.findall(r'\{"(\w+)",\s*R"slm\((.*?)\)slm"\}', src, flags=re.S)
    if len(found) < 7:
        sys.exit(f"expected >= 7 built-in templates in builtin_templates.cc, found {len(found)}")
    return found


def gguf_template(path):
    import gguf  # only needed for this source
    r = gguf.GGUFReader(str(path))

    def s(key):
        f = r.fields[key]
        return bytes(f.parts[f.data[0]]).decode("utf-8")

    def token(key):
        f = r.fields[key]
        tid = int(f.parts[f.data[0]][0])
        tf = r.fields["tokenizer.ggml.tokens"]
        return bytes(tf.parts[tf.data[tid]]).decode("utf-8")

    return s("tokenizer.chat_template"), token("tokenizer.ggml.bos_token_id"), \
        token("tokenizer.ggml.eos_token_id")


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write(out_dir, source, name, template_path, text, bos_eos=None, extra=None):
    cases = render_all(text, bos_eos)
    doc = {"template_path": template_path, "template_sha256": sha256(text)}
    doc.update(extra or {})
    doc["jinja2_version"] = jinja2.__version__
    doc["cases"] = cases
    d = out_dir / source
    d.mkdir(parents=True, exist_ok=True)
    with open(d / f"{name}.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_err = sum(1 for c in cases if "error" in c)
    return len(cases), n_err


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(REPO / "tests/golden/templates"))
    ap.add_argument("--testdata", default=str(REPO.parent / "shared/testdata"))
    default_models = os.environ.get("SLM_MODELS_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "slm/models")
    ap.add_argument("--model", default=os.path.join(default_models, GGUF_FILE))
    args = ap.parse_args()
    out = Path(args.out)
    td = Path(args.testdata)
    ct = td / "chat-templates"
    stats = {}

    def add(source, name, path, text, bos_eos=None, extra=None):
        n, e = write(out, source, name, path, text, bos_eos, extra)
        s = stats.setdefault(source, [0, 0, 0])
        s[0] += 1
        s[1] += n
        s[2] += e

    for p in sorted((ct / "minja-goldens/templates").glob("*.jinja")):
        add("minja", p.stem, str(p.relative_to(td)), p.read_text(encoding="utf-8"))
    for p in sorted((ct / "llama.cpp-models-templates").glob("*.jinja")):
        add("llama.cpp", p.stem, str(p.relative_to(td)), p.read_text(encoding="utf-8"))
    index = json.loads((ct / "ollama/index.json").read_text(encoding="utf-8"))
    for i, entry in enumerate(index):
        add("ollama", f"{i:02d}-{entry['name']}",
            f"chat-templates/ollama/index.json#{i}", entry["template"])
    if Path(args.model).exists():
        text, bos, eos = gguf_template(args.model)
        add("gguf", GGUF_NAME, f"gguf:{GGUF_NAME}", text, (bos, eos), {"model_file": GGUF_FILE})
    else:
        print(f"warning: {args.model} not found; gguf goldens not written", file=sys.stderr)
    for name, text in builtin_templates():
        add("builtin", name, f"builtin:{name}", text)

    for source, (files, n, e) in stats.items():
        print(f"{source:10s} {files:3d} templates {n:5d} cases {e:5d} errors")


if __name__ == "__main__":
    main()
