"""Store calls release the GIL: Python threads observe and recall in
parallel, and nothing is lost."""

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

    def test_threads_observe_and_recall_at_once_and_lose_nothing(self):
        threads_n, turns_n = 4, 30
        durations = [[] for _ in range(threads_n)]
        recalled = [0] * threads_n
        errors = []
        barrier = threading.Barrier(threads_n)

        def work(index):
            tenant = f"t{index}"
            try:
                barrier.wait()
                for i, turn in enumerate(conversation(tenant, turns_n)):
                    t0 = time.perf_counter()
                    self.store.observe(tenant, **turn)
                    self.store.observe("shared", speaker=f"writer{index}", text=f"shared note {i} from {index}",
                                       id=f"shared:{index}:{i}")
                    result = self.store.recall(tenant, f"hiking trail number {i}", k=3)
                    durations[index].append(time.perf_counter() - t0)
                    if any(f"{tenant}:" in sid for h in result.hits for sid in h.source_ids):
                        recalled[index] += 1
            except Exception as e:
                errors.append(e)

        wall0 = time.perf_counter()
        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - wall0

        self.assertEqual(errors, [])
        for i in range(threads_n):
            self.assertEqual([t.id for t in self.store.scan_turns(f"t{i}")],
                             [f"t{i}:{n}" for n in range(turns_n)])
            self.assertEqual(recalled[i], turns_n, f"thread {i} recalled its own turns {recalled[i]} times")
        self.assertEqual(self.store.stats("shared").turns, threads_n * turns_n)
        # Time spent inside store calls, summed over threads, exceeds the
        # wall time only if calls ran at the same time: with the GIL held
        # through each call they could not.
        busy = sum(sum(d) for d in durations)
        self.assertGreater(busy, wall * 1.2, f"calls did not overlap: busy {busy:.2f}s, wall {wall:.2f}s")


if __name__ == "__main__":
    unittest.main()
