#!/usr/bin/env python3
"""The Python binding's overhead per recall and per observe_batch, against
the same calls made from C++ in the same process and run.

Loads one LoCoMo conversation (about 600 turns) into a store with the
built-in embedder, then alternates, repetition by repetition:
  * Python: ``store.recall(tenant, question, k=10)`` for every question, each
    call timed with perf_counter (argument checks, GIL release, conversion of
    the result to dataclasses included);
  * C++: the same ``Store::Recall`` calls timed in a C++ loop;
and likewise ``observe_batch`` of the whole conversation into a fresh tenant
from Python (dicts with datetimes) and from C++ (turns already converted).
Prints per-call medians (median over repetitions of each repetition's
median) and the ratio Python / C++.

  PYTHONPATH=build/python /usr/bin/python3 bench/python/binding_overhead_bench.py [--reps 5]

Reads $ENGRAM_LOCOMO, default ../shared/data/locomo/locomo-dev5.json next to
the checkout.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

import engram
from engram._store import _turn_tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def locomo_path():
    return os.environ.get("ENGRAM_LOCOMO", os.path.join(ROOT, "..", "shared", "data", "locomo", "locomo-dev5.json"))


def median_of_medians(runs):
    return statistics.median(statistics.median(run) for run in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the recall passes (default 5)")
    parser.add_argument("--batch-reps", type=int, default=3, help="repetitions of observe_batch (default 3)")
    args = parser.parse_args()

    path = locomo_path()
    if not os.path.exists(path):
        print(f"LoCoMo not found at {path} (set ENGRAM_LOCOMO)", file=sys.stderr)
        return 1
    conversation = engram.read_locomo(path)[0]
    tenant, turns = conversation["sample_id"], conversation["turns"]
    questions = [q["question"] for q in conversation["questions"]]
    print(f"conversation {tenant}: {len(turns)} turns, {len(questions)} questions")

    with tempfile.TemporaryDirectory(prefix="engram-bench-") as folder, engram.Store(folder) as store:
        native = store._native
        store.observe_batch(tenant, turns)
        options = engram._store._recall_options(10, "auto", None, None, None, "", "", None, None, "", "")
        for q in questions:  # warm-up: loads the tenant's indexes
            store.recall(tenant, q, k=10)

        py_runs, cpp_runs = [], []
        for _ in range(args.reps):
            py = []
            for q in questions:
                t0 = time.perf_counter()
                store.recall(tenant, q, k=10)
                py.append((time.perf_counter() - t0) * 1e6)
            py_runs.append(py)
            cpp_runs.append(native._time_recall(tenant, questions, options))
        py_us, cpp_us = median_of_medians(py_runs), median_of_medians(cpp_runs)
        print(f"recall (k=10, route auto), median per call over {args.reps} reps x {len(questions)} questions:")
        print(f"  python {py_us:9.1f} us   c++ {cpp_us:9.1f} us   overhead {py_us - cpp_us:+7.1f} us   "
              f"ratio {py_us / cpp_us:.3f}")

        py_batch, cpp_batch = [], []
        tuples = [_turn_tuple(t, "x", f"turn {i}") for i, t in enumerate(turns)]
        for rep in range(args.batch_reps):
            t0 = time.perf_counter()
            store.observe_batch(f"py-{rep}", turns)
            py_batch.append((time.perf_counter() - t0) * 1e6)
            cpp_batch.append(native._time_observe_batch(f"cpp-{rep}", tuples, False))
        py_b, cpp_b = statistics.median(py_batch), statistics.median(cpp_batch)
        print(f"observe_batch ({len(turns)} turns), median over {args.batch_reps} reps:")
        print(f"  python {py_b / 1e3:9.1f} ms   c++ {cpp_b / 1e3:9.1f} ms   overhead {(py_b - cpp_b) / 1e3:+7.1f} ms   "
              f"ratio {py_b / cpp_b:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
