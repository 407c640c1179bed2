#!/usr/bin/env python3
"""Dev-only: how far llama.cpp is from itself, to calibrate what "agrees with llama.cpp" can mean.

Re-runs every prompt of a model golden (tests/golden/models/NAME.json, made with n_batch=512)
through llama.cpp again with another batch size (default 1: the prompt token by token), on the
same file, the same machine, the same build, and measures that run against the golden exactly as
tests/golden/model_golden_test.cc measures slm: mean KL divergence over the golden's top-n tokens
plus a tail bucket, top-1 agreement, free-running greedy continuations identical, and the largest
logit gap at a first divergence. Writes tests/golden/models/NAME.noise.json.

With 4-bit weights and int8-quantized activations, tiny float differences (summation order, exp
approximations) flip activation roundings and grow through the layers; this file records how
large that effect is inside llama.cpp itself.
Usage: tools/measure_llamacpp_noise.py [--model NAME ...] [--n-batch 1]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from fetch_models import MODELS, models_dir  # noqa: E402

GOLDEN_DIR = os.path.join(os.path.dirname(__file__), "..", "tests", "golden", "models")


def kl_top_n(pos, row):
    m = row.max()
    lq = row - m - np.log(np.exp(row - m).sum())
    ids = [e[0] for e in pos["top"]]
    lp = np.array([e[1] for e in pos["top"]]) - pos["lse"]
    p = np.exp(lp)
    kl = float((p * (lp - lq[ids])).sum())
    p_tail, q_tail = max(0.0, 1 - p.sum()), max(1e-300, 1 - np.exp(lq[ids]).sum())
    if p_tail > 1e-12:
        kl += p_tail * np.log(p_tail / q_tail)
    return kl


def measure(name, n_batch):
    import llama_cpp
    golden = json.load(open(os.path.join(GOLDEN_DIR, name + ".json")))
    path = os.path.join(models_dir(), MODELS[name]["file"])
    llm = llama_cpp.Llama(model_path=path, n_ctx=golden["n_ctx"], n_batch=n_batch, n_ubatch=n_batch, n_threads=2,
                          n_threads_batch=2, logits_all=True, verbose=False)
    kls, top1, identical, worst_gap, per_prompt = [], [], 0, 0.0, []
    for p in golden["prompts"]:
        llm.reset()
        toks = p["tokens"]
        llm.eval(toks)
        scores = np.array(llm.scores[:len(toks)], dtype=np.float64)
        for i, pos in enumerate(p["positions"]):
            kls.append(kl_top_n(pos, scores[i]))
            top1.append(int(scores[i].argmax()) == pos["top"][0][0])
        got = []
        for k in range(len(p["greedy"])):
            got.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
            if k + 1 < len(p["greedy"]):
                llm.eval([got[-1]])
        same = got == p["greedy"]
        identical += same
        if not same:
            k = next(i for i, (a, b) in enumerate(zip(got, p["greedy"])) if a != b)
            top = dict((e[0], e[1]) for e in p["greedy_steps"][k]["top"])
            gap = top[p["greedy"][k]] - top.get(got[k], float("-inf"))
            worst_gap = max(worst_gap, gap)
        per_prompt.append(same)
    out = dict(model=name, compared="llama.cpp n_batch=%d vs the golden's n_batch=%d" % (n_batch, golden["settings"]["n_batch"]),
               generator=golden["generator"], mean_kl=float(np.mean(kls)), top1=float(np.mean(top1)),
               greedy_identical=identical, prompts=len(golden["prompts"]), worst_first_divergence_gap=worst_gap,
               greedy_identical_per_prompt=per_prompt)
    with open(os.path.join(GOLDEN_DIR, name + ".noise.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append")
    ap.add_argument("--n-batch", type=int, default=1)
    a = ap.parse_args()
    for name in a.model or ["smollm2-135m-instruct", "gemma3-270m"]:
        measure(name, a.n_batch)


if __name__ == "__main__":
    main()
