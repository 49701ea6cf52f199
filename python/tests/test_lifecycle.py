"""Forgetting and correcting one memory through engram.Store: forget (a turn,
a fact, a relation), update, history, and the stable ids."""

import unittest

import engram
from support import StoreTestCase

TURNS = [
    {"session": "s1", "time": "2024-03-10T09:15:00Z", "speaker": "Dana",
     "text": "I live in Porto now.", "id": "s1:1"},
    {"session": "s1", "time": "2024-03-10T09:16:00Z", "speaker": "Dana",
     "text": "I love running by the river.", "id": "s1:2"},
    {"session": "s1", "time": "2024-03-10T09:17:00Z", "speaker": "Dana",
     "text": "My sister Ines lives in Lisbon. I love running.", "id": "s1:3"},
]


class LifecycleTest(StoreTestCase):
    def test_ids_are_set_and_forget_removes_one_turn(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            facts = store.profile("dana")
            self.assertTrue(facts)
            self.assertTrue(all(f.id.startswith("fact:") for f in facts))
            self.assertTrue(all(u.id.startswith("unit:") for u in store.event_units("dana")))
            dry = store.forget("dana", "s1:2", dry_run=True)
            self.assertTrue(dry.dry_run)
            self.assertEqual(dry.removed["turns"], 1)
            self.assertEqual(store.get_turn("dana", id="s1:2").text, "I love running by the river.")
            report = store.forget("dana", "s1:2", sync=True)
            self.assertTrue(report.disk_checked)
            self.assertGreater(report.files_checked, 0)
            self.assertEqual(report.kept.get("facts"), 1)  # "likes running" is stated by s1:3 too
            with self.assertRaises(engram.NotFound):
                store.get_turn("dana", id="s1:2")
            with self.assertRaises(engram.NotFound):
                store.forget("dana", "s1:2")
            with self.assertRaises(TypeError):
                store.forget("dana")

    def test_forget_fact_and_relation_by_id(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            home = [f for f in store.profile("dana") if f.attribute == "home"][0]
            store.forget("dana", fact=home.id)
            self.assertNotIn(home.id, [f.id for f in store.profile("dana")])
            relations = store.graph("dana").relations
            self.assertTrue(relations)
            store.forget("dana", relation=relations[0].id)
            self.assertNotIn(relations[0].id, [r.id for r in store.graph("dana").relations])
            with self.assertRaises(engram.NotFound):
                store.forget("dana", fact="fact:999.1")

    def test_update_keeps_history_and_changed_observe_is_already_exists(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            self.assertEqual(store.update("dana", "s1:1", "I live in Braga now."), 2)
            history = store.history("dana", "s1:1")
            self.assertEqual([v.version for v in history], [1, 2])
            self.assertEqual(history[0].text, "I live in Porto now.")
            self.assertIsNotNone(history[0].replaced)
            self.assertIsNone(history[1].replaced)
            self.assertEqual(store.get_turn("dana", id="s1:1").text, "I live in Braga now.")
            with self.assertRaises(engram.AlreadyExists):
                store.observe("dana", speaker="Dana", text="I live in Faro.", session="s1",
                              time="2024-03-10T09:15:00Z", id="s1:1")
            with self.assertRaises(engram.NotFound):
                store.update("dana", "nope", "text")


if __name__ == "__main__":
    unittest.main()
