#!/usr/bin/env python3
"""A/B speed comparison of two or more slm builds on a noisy machine.

Runs `<binary> bench ... --no-probe --json` for each binary in turn, ROUNDS times (alternating, so
that a slow spell of the machine hits every binary alike), and prints per (model file, test,
threads) the median over rounds of each run's median t/s, with the range.

  tools/ab_bench.py 4 "-m a.gguf b.gguf -p 0 -n 64 -t 1,2 -r 3" /tmp/slm_old build/slm
"""
import json
import statistics
import subprocess
import sys


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    rounds, args, binaries = int(sys.argv[1]), sys.argv[2].split(), sys.argv[3:]
    results = {b: {} for b in binaries}  # binary -> (file, test, threads) -> [t/s]
    files = [a for a in args if a.endswith(".gguf")]
    for _ in range(rounds):
        for b in binaries:
            out = subprocess.run([b, "bench", *args, "--no-probe", "--json"], capture_output=True, text=True, check=True)
            rows = json.loads(out.stdout)
            # rows come per file in the order given, tests and threads inside
            per_file = len(rows) // max(1, len(files))
            for i, row in enumerate(rows):
                name = files[i // per_file].rsplit("/", 1)[-1] if files and per_file else row["model"]
                key = (name, row["test"], row["threads"])
                results[b].setdefault(key, []).append(row["tokens_per_second"]["median"])
    for key in results[binaries[0]]:
        line = f"{key[0]:36s} {key[1]:6s} t{key[2]}"
        for b in binaries:
            v = results[b][key]
            line += f" | {b}: {statistics.median(v):8.2f} ({min(v):.1f}-{max(v):.1f})"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
