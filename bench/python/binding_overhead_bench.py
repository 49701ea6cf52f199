#!/usr/bin/env python3
"""The Python binding's overhead per recall and per observe_batch, against
the same calls made from C++ in the same process and run.

Loads one LoCoMo conversation (conv-41, 663 turns, by default) into a store
with the built-in embedder. Then, repetition by repetition, it asks every
question once from Python (``store.recall(tenant, question, k=10)``: argument
checks, GIL release, conversion of the result to dataclasses) and once from
C++ (the same ``Store::Recall`` call in a C++ loop), in alternating order;
and it writes the whole conversation with ``observe_batch`` into a fresh
tenant from Python (dicts with ISO times) and from C++ (turns already
converted).

Two views of the cost:
  * the calls' medians (median over repetitions of each repetition's median)
    from Python and from C++, and their ratio: what a user sees, but on a
    busy machine run-to-run noise of a few percent swamps the binding;
  * the binding's overhead measured inside each Python call: its time minus
    the time the same call spent in engram's C++ API (``Store._last_call_us``),
    and the ratio of the two. Both clocks read the same call, so noise
    cancels.

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
from engram import _engram
from engram._store import _recall_options, _turn_tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def locomo_path():
    return os.environ.get("ENGRAM_LOCOMO", os.path.join(ROOT, "..", "shared", "data", "locomo", "locomo-dev5.json"))


def median_of_medians(runs):
    return statistics.median(statistics.median(run) for run in runs)


def timed_in_python(call):
    """(microseconds of call(), microseconds it spent in the C++ API)."""
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1e6, _engram.Store._last_call_us()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions of the recall passes (default 5)")
    parser.add_argument("--batch-reps", type=int, default=3, help="repetitions of observe_batch (default 3)")
    parser.add_argument("--conversation", default="conv-41", help="sample_id to load (default conv-41)")
    args = parser.parse_args()

    path = locomo_path()
    if not os.path.exists(path):
        print(f"LoCoMo not found at {path} (set ENGRAM_LOCOMO)", file=sys.stderr)
        return 1
    conversations = {c["sample_id"]: c for c in engram.read_locomo(path)}
    if args.conversation not in conversations:
        print(f"no conversation {args.conversation!r} in {path} (has {', '.join(conversations)})", file=sys.stderr)
        return 1
    conversation = conversations[args.conversation]
    tenant = conversation["sample_id"]
    # As a user's code would pass them: conversation-format dicts, ISO times.
    turns = [dict(t, time=t["time"].isoformat()) for t in conversation["turns"]]
    questions = [q["question"] for q in conversation["questions"]]
    print(f"conversation {tenant}: {len(turns)} turns, {len(questions)} questions")

    with tempfile.TemporaryDirectory(prefix="engram-bench-") as folder, engram.Store(folder) as store:
        native = store._native
        store.observe_batch(tenant, turns)
        options = _recall_options(10, "auto", None, None, None, "", "", None, None, "", "")
        for q in questions:  # warm-up: loads the tenant's indexes
            store.recall(tenant, q, k=10)

        py_runs, inside_runs, cpp_runs = [], [], []
        for rep in range(args.reps):
            py, inside, cpp = [], [], []
            for i, q in enumerate(questions):
                def from_python():
                    total, in_cpp = timed_in_python(lambda: store.recall(tenant, q, k=10))
                    py.append(total)
                    inside.append(in_cpp)

                def from_cpp():
                    cpp.extend(total for total, _ in native._time_recall(tenant, [q], options))

                for run in ((from_python, from_cpp) if (rep + i) % 2 == 0 else (from_cpp, from_python)):
                    run()
            py_runs.append(py)
            inside_runs.append(inside)
            cpp_runs.append(cpp)
        py_us, cpp_us = median_of_medians(py_runs), median_of_medians(cpp_runs)
        overhead = median_of_medians([[p - c for p, c in zip(a, b)] for a, b in zip(py_runs, inside_runs)])
        ratio = median_of_medians([[p / c for p, c in zip(a, b)] for a, b in zip(py_runs, inside_runs)])
        print(f"recall (k=10, route auto), {args.reps} reps x {len(questions)} questions:")
        inside_us = median_of_medians(inside_runs)
        print(f"  median call: python {py_us:9.1f} us   c++ {cpp_us:9.1f} us   ratio {py_us / cpp_us:.3f}")
        print(f"  of which in the C++ API, called from python: {inside_us:9.1f} us")
        print(f"  binding overhead inside the same call: {overhead:.1f} us, ratio {ratio:.4f}")

        py_batch, inside_batch, cpp_batch = [], [], []
        tuples = [_turn_tuple(t, tenant, f"turn {i}") for i, t in enumerate(turns)]
        for rep in range(args.batch_reps):
            def from_python():
                total, in_cpp = timed_in_python(lambda: store.observe_batch(f"py-{rep}", turns))
                py_batch.append(total)
                inside_batch.append(in_cpp)

            def from_cpp():
                cpp_batch.append(native._time_observe_batch(f"cpp-{rep}", tuples, False))

            # Alternate which goes first, so a warming cache favours neither.
            for run in ((from_python, from_cpp) if rep % 2 == 0 else (from_cpp, from_python)):
                run()
        py_b, cpp_b = statistics.median(py_batch), statistics.median(cpp_batch)
        overhead_b = statistics.median(p - c for p, c in zip(py_batch, inside_batch))
        ratio_b = statistics.median(p / c for p, c in zip(py_batch, inside_batch))
        print(f"observe_batch ({len(turns)} turns), {args.batch_reps} reps:")
        print(f"  median call: python {py_b / 1e3:9.1f} ms   c++ {cpp_b / 1e3:9.1f} ms   ratio {py_b / cpp_b:.3f}")
        print(f"  binding overhead inside the same call: {overhead_b / 1e3:.2f} ms, ratio {ratio_b:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
