#!/usr/bin/env python3
"""Dev-only: slm vs llama.cpp on the same GGUF files, same machine, same run.

llama.cpp is driven through llama-cpp-python (pip install llama-cpp-python builds llama.cpp from
source for this CPU). Both engines are measured the way llama-bench measures: pp = one batch of N
random tokens from an empty context; tg = N tokens decoded one at a time from an empty context;
one warm-up, then --reps repetitions; medians. The two engines alternate per repetition so that
machine noise hits both alike. For tg rows the table also gives slm's % of its memory ceiling (from
slm bench's bandwidth probe: tg t/s over bandwidth / bytes per token).

Usage: tools/bench_vs_llamacpp.py [-m MODEL ...] [-p 512] [-n 128] [-t 1,2] [-r 5] [--slm build/slm]
MODEL is a .gguf path or a known short name (resolved like slm does).

--fresh (implied by --full-size): every repetition of every engine is a fresh process that loads
the file, opens a context of -c tokens (default 4096, n_batch 512), runs the warm-up + pp and tg
tests once, and exits; the table adds load time (model load + context creation, timed inside the
process), peak RSS (the child's ru_maxrss; for llama.cpp minus the RSS of the Python child before
it loads, i.e. without the interpreter) and whether the last prompt position's logits are finite
and have the same top-5 ids in both engines (both evaluate the same tokens: mt19937(1234) % n_vocab).
The file is read once first, so both engines map it from a hot page cache.
--full-size runs over every file of the model cache's families/full/ (tools/full_size_models.py).
"""
import argparse
import json
import os
import glob
import platform
import random
import statistics
import subprocess
import sys
import tempfile
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
    # slm's tg rows carry percent_of_ceiling (tg t/s over memory bandwidth / bytes per token)
    # unless its bandwidth probe was skipped.
    pct = next((r.get("percent_of_ceiling") for r in rows if r["test"].startswith("tg")), None)
    return get("pp"), get("tg"), pct


def run_child(cmd):
    """Runs cmd to its end; returns (stdout, its peak RSS in MB: ru_maxrss from wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if p.returncode != 0:
            sys.exit(f"bench_vs_llamacpp: {' '.join(cmd)} failed ({p.returncode}): {err.read().strip()[-2000:]}")
        return out.read(), ru.ru_maxrss / 1024.0


def slm_fresh(slm, path, threads, a):
    # --no-probe: the probe's 512 MiB buffer would count in the peak RSS measured here.
    out, rss = run_child([slm, "bench", "-m", path, "-p", str(a.p), "-n", str(a.n), "-t", str(threads), "-r", "1",
                          "-c", str(a.c), "--json", "--no-probe"])
    rows = json.loads(out)
    get = lambda prefix: next(r for r in rows if r["test"].startswith(prefix))
    return dict(load=rows[0]["load_seconds"], rss=rss, pp=get("pp")["tokens_per_second"]["median"],
                tg=get("tg")["tokens_per_second"]["median"], logits=get("pp")["last_logits"])


def bench_tokens(n, n_vocab):
    """slm bench's tokens: std::mt19937(1234)() % n_vocab (numpy's legacy MT19937 seeds the same)."""
    import numpy as np
    raw = np.random.RandomState(1234).randint(0, 2 ** 32, size=n, dtype=np.uint32)
    return [int(x) % n_vocab for x in raw]


def rss_now_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def llama_child(a):
    """--llama-child: one fresh llama.cpp run, as slm_fresh's slm bench; prints JSON."""
    import ctypes
    import numpy as np
    import llama_cpp
    base = rss_now_kb()
    t0 = time.perf_counter()
    llm = llama_cpp.Llama(model_path=a.llama_child, n_ctx=a.c, n_batch=512, n_ubatch=512, n_threads=a.t,
                          n_threads_batch=a.t, verbose=False)
    load = time.perf_counter() - t0
    n_vocab = llm.n_vocab()
    toks = bench_tokens(max(a.p, a.n), n_vocab)
    res = dict(load=load, base_rss_mb=base / 1024.0)
    for test, n in (("pp", a.p), ("tg", a.n)):
        for r in range(2):  # warm-up, then the measured run
            llm.reset()
            t0 = time.perf_counter()
            if test == "pp":
                llm.eval(toks[:n])
            else:
                for t in toks[:n]:
                    llm.eval([t])
            res[test] = n / (time.perf_counter() - t0)
        if test == "pp":
            l = np.ctypeslib.as_array(ctypes.cast(llm._ctx.get_logits(), ctypes.POINTER(ctypes.c_float)), shape=(n_vocab,))
            res["logits"] = dict(finite=bool(np.isfinite(l).all()), top5=[int(i) for i in np.argsort(-l, kind="stable")[:5]])
    print(json.dumps(res))


def llama_fresh(path, threads, a):
    out, rss = run_child([sys.executable, os.path.abspath(__file__), "--llama-child", path, "-p", str(a.p),
                          "-n", str(a.n), "-t", str(threads), "-c", str(a.c)])
    res = json.loads(out)
    res["rss"] = rss - res["base_rss_mb"]
    return res


def warm_page_cache(path):
    with open(path, "rb") as f:
        while f.read(16 << 20):
            pass


def logits_note(s, l):
    if not (s["finite"] and l["finite"]):
        return f"NOT FINITE (slm {s['finite']}, llama.cpp {l['finite']})"
    if s["top5"] == l["top5"]:
        return "finite, top-5 same"
    return "finite, top-1 same" if s["top5"][0] == l["top5"][0] else f"finite, top-1 differs ({s['top5'][0]} vs {l['top5'][0]})"


def main_fresh(a, paths, threads):
    rows = []
    for path in paths:
        warm_page_cache(path)
        for t in threads:
            runs = {"slm": [], "llama_cpp": []}
            for _ in range(a.r):  # alternate engines so machine noise hits both alike
                runs["slm"].append(slm_fresh(a.slm, path, t, a))
                runs["llama_cpp"].append(llama_fresh(path, t, a))
            med = {e: {k: statistics.median(r[k] for r in rs) for k in ("load", "rss", "pp", "tg")}
                   for e, rs in runs.items()}
            rows.append(dict(file=os.path.basename(path), gb=os.path.getsize(path) / 1e9, threads=t, n_ctx=a.c,
                             slm=med["slm"], llama_cpp=med["llama_cpp"],
                             logits=logits_note(runs["slm"][-1]["logits"], runs["llama_cpp"][-1]["logits"]),
                             runs=runs))
            print(f"[bench_vs_llamacpp] {rows[-1]['file']} t={t}: done", file=sys.stderr, flush=True)
    base = statistics.median(r["base_rss_mb"] for row in rows for r in row["runs"]["llama_cpp"])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"{time.strftime('%Y-%m-%d')}; medians of {a.r} fresh processes per engine; n_ctx {a.c}, n_batch 512; "
          f"llama.cpp RSS without the Python child's {base:.0f} MB before loading")
    print(f"| file | size GB | threads | load s (slm / llama.cpp) | peak RSS MB (slm / llama.cpp) "
          f"| pp{a.p} t/s (slm / llama.cpp / ratio) | tg{a.n} t/s (slm / llama.cpp / ratio) | last logits |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        s, l = r["slm"], r["llama_cpp"]
        print(f"| {r['file']} | {r['gb']:.2f} | {r['threads']} | {s['load']:.2f} / {l['load']:.2f} "
              f"| {s['rss']:.0f} / {l['rss']:.0f} | {s['pp']:.1f} / {l['pp']:.1f} / {s['pp'] / l['pp']:.2f} "
              f"| {s['tg']:.1f} / {l['tg']:.1f} / {s['tg'] / l['tg']:.2f} | {r['logits']} |")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", action="append")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-t", default="1,2")
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("--slm", default=os.path.join(os.path.dirname(__file__), "..", "build", "slm"))
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--fresh", action="store_true", help="a fresh process per run: adds load time and peak RSS")
    ap.add_argument("--full-size", action="store_true",
                    help="--fresh over the model cache's families/full/*.gguf (after any -m)")
    ap.add_argument("-c", type=int, default=4096, help="context size for --fresh (default 4096)")
    ap.add_argument("--llama-child", metavar="PATH", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.llama_child:
        a.t = int(a.t)
        return llama_child(a)
    threads = [int(x) for x in a.t.split(",")]
    if a.fresh or a.full_size:
        paths = [resolve(m) for m in a.model or []]
        if a.full_size:
            full = sorted(glob.glob(os.path.join(models_dir(), "families", "full", "*.gguf")), key=os.path.getsize)
            if not full:
                sys.exit("bench_vs_llamacpp: no files in families/full/: make them with "
                         "tools/make_family_models.py --family NAME --full-size TYPE")
            paths += full
        rows = main_fresh(a, paths or [resolve(m) for m in ["smollm2-135m-instruct", "gemma3-270m"]], threads)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(rows, f, indent=1)
        return
    models = a.model or ["smollm2-135m-instruct", "gemma3-270m"]
    rows = []
    for m in models:
        path = resolve(m)
        for t in threads:
            # Alternate engines per repetition block to share the machine's noise.
            s_pp, s_tg, s_pct, l_pp, l_tg = [], [], [], [], []
            for _ in range(a.r):
                sp, st, pct = slm_times(a.slm, path, t, a.p, a.n, 1)
                lp, lt = llama_cpp_times(path, t, a.p, a.n, 1)
                s_pp.append(sp)
                s_tg.append(st)
                if pct is not None:
                    s_pct.append(pct)
                l_pp += lp
                l_tg += lt
            for test, s, l, pct in (("pp%d" % a.p, s_pp, l_pp, []), ("tg%d" % a.n, s_tg, l_tg, s_pct)):
                sm, lm = statistics.median(s), statistics.median(l)
                rows.append(dict(model=os.path.basename(path), test=test, threads=t, slm=sm, llama_cpp=lm,
                                 ratio=sm / lm, slm_all=s, llama_cpp_all=l,
                                 slm_pct_of_ceiling=statistics.median(pct) if pct else None))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"{time.strftime('%Y-%m-%d')}; medians of {a.r}")
    print("| file | test | threads | slm t/s | llama.cpp t/s | slm / llama.cpp | slm % of ceiling |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        pct = "-" if r["slm_pct_of_ceiling"] is None else f"{r['slm_pct_of_ceiling']:.1f}"
        print(f"| {r['model']} | {r['test']} | {r['threads']} | {r['slm']:.1f} | {r['llama_cpp']:.1f} | {r['ratio']:.2f} "
              f"| {pct} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
