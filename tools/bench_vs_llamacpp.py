#!/usr/bin/env python3
"""Dev-only: slm vs llama.cpp on the same GGUF files, same machine, same run.

llama.cpp is driven through llama-cpp-python (pip install llama-cpp-python builds llama.cpp from
source for this CPU). Both engines are measured the way llama-bench measures: pp = one batch of N
random tokens from an empty context; tg = N tokens decoded one at a time from an empty context;
one warm-up, then --reps repetitions; medians. The two engines alternate per repetition so that
machine noise hits both alike.

Usage: tools/bench_vs_llamacpp.py [-m MODEL ...] [-p 512] [-n 128] [-t 1,2] [-r 5] [--slm build/slm]
MODEL is a .gguf path or a known short name (resolved like slm does).
"""
import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from fetch_models import MODELS, models_dir  # noqa: E402


def resolve(name):
    if name in MODELS:
        return os.path.join(models_dir(), MODELS[name]["file"])
    return name


def llama_cpp_times(path, threads, n_prompt, n_gen, reps):
    import llama_cpp
    llm = llama_cpp.Llama(model_path=path, n_ctx=max(n_prompt, n_gen) + 8, n_batch=512, n_ubatch=512,
                          n_threads=threads, n_threads_batch=threads, verbose=False)
    rng = random.Random(1234)
    toks = [rng.randrange(llm.n_vocab()) for _ in range(max(n_prompt, n_gen))]
    pp, tg = [], []
    for r in range(reps + 1):
        if n_prompt:
            llm.reset()
            t0 = time.perf_counter()
            llm.eval(toks[:n_prompt])
            dt = time.perf_counter() - t0
            if r:
                pp.append(n_prompt / dt)
        if n_gen:
            llm.reset()
            t0 = time.perf_counter()
            for t in toks[:n_gen]:
                llm.eval([t])
            dt = time.perf_counter() - t0
            if r:
                tg.append(n_gen / dt)
    del llm
    return pp, tg


def slm_times(slm, path, threads, n_prompt, n_gen, reps):
    out = subprocess.run([slm, "bench", "-m", path, "-p", str(n_prompt), "-n", str(n_gen), "-t", str(threads),
                          "-r", str(reps), "--json"], check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)
    get = lambda prefix: next((r["tokens_per_second"]["median"] for r in rows if r["test"].startswith(prefix)), None)
    return get("pp"), get("tg")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", action="append")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-t", default="1,2")
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("--slm", default=os.path.join(os.path.dirname(__file__), "..", "build", "slm"))
    ap.add_argument("--json", help="also write the rows to this file")
    a = ap.parse_args()
    models = a.model or ["smollm2-135m-instruct", "gemma3-270m"]
    threads = [int(x) for x in a.t.split(",")]
    rows = []
    for m in models:
        path = resolve(m)
        for t in threads:
            # Alternate engines per repetition block to share the machine's noise.
            s_pp, s_tg, l_pp, l_tg = [], [], [], []
            for _ in range(a.r):
                sp, st = slm_times(a.slm, path, t, a.p, a.n, 1)
                lp, lt = llama_cpp_times(path, t, a.p, a.n, 1)
                s_pp.append(sp)
                s_tg.append(st)
                l_pp += lp
                l_tg += lt
            for test, s, l in (("pp%d" % a.p, s_pp, l_pp), ("tg%d" % a.n, s_tg, l_tg)):
                sm, lm = statistics.median(s), statistics.median(l)
                rows.append(dict(model=os.path.basename(path), test=test, threads=t, slm=sm, llama_cpp=lm,
                                 ratio=sm / lm, slm_all=s, llama_cpp_all=l))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"{time.strftime('%Y-%m-%d')}; medians of {a.r}")
    print("| file | test | threads | slm t/s | llama.cpp t/s | slm / llama.cpp |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['test']} | {r['threads']} | {r['slm']:.1f} | {r['llama_cpp']:.1f} | {r['ratio']:.2f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
