"""A LoCoMo-format conversation (hand-written fixture) recalled end to end
with the built-in embedder."""

import os
import unittest

import engram
from support import StoreTestCase, TEST_DATA_DIR, use_lite_available

FIXTURE = os.path.join(TEST_DATA_DIR, "fixture_locomo_format.json")


class ReadLocomoTest(unittest.TestCase):
    def test_reads_turns_times_and_questions(self):
        conversations = engram.read_locomo(FIXTURE)
        self.assertEqual([c["sample_id"] for c in conversations], ["tiny-1", "tiny-2"])
        first = conversations[0]
        self.assertEqual((first["speaker_a"], first["speaker_b"]), ("Ada", "Bram"))
        self.assertEqual([t["id"] for t in first["turns"]], ["D1:1", "D1:2", "D1:3", "D2:1", "D2:2"])
        self.assertIn("green bookshelf", first["turns"][2]["text"])
        self.assertEqual(first["turns"][0]["time"].isoformat(), "2023-05-08T13:56:00+00:00")
        self.assertEqual(first["questions"][0]["evidence"], ["D1:3"])

    def test_missing_file_is_an_error_naming_it(self):
        with self.assertRaisesRegex(engram.Error, "no-such-file.json"):
            engram.read_locomo(os.path.join(TEST_DATA_DIR, "no-such-file.json"))


@unittest.skipUnless(use_lite_available(), "the built-in model is not fetched (scripts/fetch-model.sh)")
class LocomoRecallTest(StoreTestCase):
    def test_questions_recall_their_evidence(self):
        conversations = engram.read_locomo(FIXTURE)
        with engram.Store(self.path) as store:
            for c in conversations:
                store.observe_batch(c["sample_id"], c["turns"])
            self.assertEqual(sorted(store.list_tenants()), ["tiny-1", "tiny-2"])
            question = conversations[0]["questions"][0]
            result = store.recall("tiny-1", question["question"], k=3)
            recalled = [sid for h in result.hits for sid in h.source_ids]
            self.assertIn("D1:3", recalled, result.hits)
            # Tenants are isolated: nothing of tiny-2 comes back.
            self.assertFalse([sid for h in store.recall("tiny-2", "bookshelf tram Lisbon").hits
                              for sid in h.source_ids if sid.startswith("D2")])
            summaries = store.summaries("tiny-1")
            self.assertEqual(len(summaries), 2)


if __name__ == "__main__":
    unittest.main()
