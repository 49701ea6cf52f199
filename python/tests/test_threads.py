"""Store calls release the GIL: Python threads observe and recall in
parallel, and nothing is lost."""

import os
import threading
import time
import unittest

import engram
from support import StoreTestCase, use_lite_available


def conversation(tenant, n):
    return [{"session": f"{tenant}-s{i // 20}", "speaker": "Ada" if i % 2 == 0 else "Bram",
             "text": f"Turn {i} of {tenant}: we talked about hiking trail number {i} and the lake near it.",
             "id": f"{tenant}:{i}"} for i in range(n)]


@unittest.skipUnless(use_lite_available(), "the built-in model is not fetched (scripts/fetch-model.sh)")
class ThreadsTest(StoreTestCase):
    def setUp(self):
        super().setUp()
        # The built-in embedder runs in C++, so a store call holds no GIL at all.
        self.store = engram.Store(self.path)

    def tearDown(self):
        self.store.close()
        super().tearDown()

    def test_python_runs_while_another_thread_is_inside_a_store_call(self):
        started, finished = threading.Event(), threading.Event()
        errors = []

        def write():
            started.set()
            try:
                self.store.observe_batch("big", conversation("big", 300))
            except Exception as e:  # reported by the main thread
                errors.append(e)
            finished.set()

        writer = threading.Thread(target=write)
        writer.start()
        started.wait()
        ticks = 0
        while not finished.is_set():
            ticks += 1  # runs only if the writer's store call released the GIL
            time.sleep(0.001)
        writer.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.store.stats("big").turns, 300)
        self.assertGreater(ticks, 10, "the main thread could not run while observe_batch worked")

    def run_threads(self, threads_n, work):
        """Runs work(index) on threads_n threads started together; returns
        the wall time in microseconds and the errors they raised."""
        errors = []
        barrier = threading.Barrier(threads_n + 1)

        def run(index):
            barrier.wait()
            try:
                work(index)
            except Exception as e:  # reported by the test
                errors.append(e)

        workers = [threading.Thread(target=run, args=(i,)) for i in range(threads_n)]
        for w in workers:
            w.start()
        barrier.wait()
        wall0 = time.perf_counter()
        for w in workers:
            w.join()
        return (time.perf_counter() - wall0) * 1e6, errors

    def test_threads_observe_then_recall_at_once_and_lose_nothing(self):
        threads_n, turns_n = 4, 30

        def observe(index):
            tenant = f"t{index}"
            for i, turn in enumerate(conversation(tenant, turns_n)):
                self.store.observe(tenant, **turn)
                self.store.observe("shared", speaker=f"writer{index}", text=f"shared note {i} from {index}",
                                   id=f"shared:{index}:{i}")
                self.store.recall(tenant, f"hiking trail number {i}", k=3)

        _, errors = self.run_threads(threads_n, observe)
        self.assertEqual(errors, [])
        for i in range(threads_n):
            self.assertEqual([t.id for t in self.store.scan_turns(f"t{i}")],
                             [f"t{i}:{n}" for n in range(turns_n)])
        self.assertEqual(self.store.stats("shared").turns, threads_n * turns_n)

        recall_us = [0] * threads_n  # time spent inside Recall, as engram measured it
        recalled = [0] * threads_n

        def recall(index):
            tenant = f"t{index}"
            for i in range(turns_n):
                result = self.store.recall(tenant, f"hiking trail number {i} and the lake", k=3)
                recall_us[index] += result.embed_us + result.search_us
                recalled[index] += any(f"{tenant}:" in sid for h in result.hits for sid in h.source_ids)

        wall_us, errors = self.run_threads(threads_n, recall)
        self.assertEqual(errors, [])
        self.assertEqual(recalled, [turns_n] * threads_n)
        # The summed time inside Recall exceeds the wall time only if recalls
        # of different threads ran at the same time; holding the GIL through
        # a call would serialise them (sum below the wall time, on any number
        # of cores).
        busy_us = sum(recall_us)
        if os.environ.get("ENGRAM_TEST_VERBOSE"):
            print(f"recall busy {busy_us / 1e6:.2f}s, wall {wall_us / 1e6:.2f}s")
        self.assertGreater(busy_us, 1.3 * wall_us, f"recalls did not overlap: {busy_us / 1e6:.2f}s inside "
                                                   f"Recall, {wall_us / 1e6:.2f}s wall")


if __name__ == "__main__":
    unittest.main()
