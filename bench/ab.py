#!/usr/bin/python3
"""A/B two builds of one Google Benchmark program on a shared, noisy machine.

  bench/ab.py A_BIN B_BIN FILTER ROUNDS [--latency]

Runs A and B back to back, ROUNDS times, alternating which goes first, with
--benchmark_filter=FILTER --benchmark_min_time=0.2. Prints per benchmark the
medians of items_per_second, the median and range of the per-round B/A ratios
(robust to the machine's drift: both halves of a round see the same load), the
ratio of the best runs, and the same for the cpu_ns/rec counter when the
benchmark reports it (lower is better). With --latency, compares the p50_us,
p99_us and p999_us counters of latency rows instead (medians per build).

Keep a copy of the A binary (cp build/release/bench/pubsub_bench /tmp/a)
before rebuilding B.
"""
import collections
import json
import statistics
import subprocess
import sys


def run(binary, flt):
    out = subprocess.run([binary, "--benchmark_filter=" + flt, "--benchmark_format=json",
                          "--benchmark_min_time=0.2"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["benchmarks"]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    latency = "--latency" in sys.argv
    if len(args) != 4:
        sys.exit(__doc__)
    a, b, flt, rounds = args[0], args[1], args[2], int(args[3])
    rate = {"A": collections.defaultdict(list), "B": collections.defaultdict(list)}
    cpu = {"A": collections.defaultdict(list), "B": collections.defaultdict(list)}
    lat = {"A": collections.defaultdict(list), "B": collections.defaultdict(list)}
    for r in range(rounds):
        order = (("A", a), ("B", b)) if r % 2 == 0 else (("B", b), ("A", a))
        for tag, binary in order:
            for bm in run(binary, flt):
                name = bm["name"]
                rate[tag][name].append(bm.get("items_per_second") or 1e9 / bm["real_time"])
                if "cpu_ns/rec" in bm:
                    cpu[tag][name].append(bm["cpu_ns/rec"])
                if "p99_us" in bm:
                    lat[tag][name].append((bm["p50_us"], bm["p99_us"], bm["p999_us"]))
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    for name in rate["A"]:
        if latency and lat["A"][name]:
            for tag in "AB":
                cols = list(zip(*lat[tag][name]))
                print(f"{name} {tag}: p50 {statistics.median(cols[0]):.1f} us, p99 {statistics.median(cols[1]):.1f} us "
                      f"(runs {min(cols[1]):.0f}..{max(cols[1]):.0f}), p999 {statistics.median(cols[2]):.1f} us")
            continue
        ra, rb = rate["A"][name], rate["B"][name]
        ratios = sorted(y / x for x, y in zip(ra, rb))
        line = (f"{name:48s} A {statistics.median(ra) / 1e6:7.3f} M/s  B {statistics.median(rb) / 1e6:7.3f} M/s  "
                f"B/A {statistics.median(ratios):.2f} [{ratios[0]:.2f}..{ratios[-1]:.2f}] best {max(rb) / max(ra):.2f}")
        if cpu["A"][name]:
            ca, cb = cpu["A"][name], cpu["B"][name]
            cr = sorted(y / x for x, y in zip(ca, cb))
            line += (f"  cpu/rec B/A {statistics.median(cr):.2f} [{cr[0]:.2f}..{cr[-1]:.2f}] "
                     f"best {min(cb) / min(ca):.2f}")
        print(line)


if __name__ == "__main__":
    main()
