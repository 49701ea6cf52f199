"""Round trips through engram.Store: writing, reading, tiers, lifetime."""

import json
import unittest
from datetime import datetime, timedelta, timezone

import engram
from support import HashEmbedder, StoreTestCase

T0 = datetime(2024, 3, 10, 9, 15, tzinfo=timezone.utc)

TURNS = [
    {"session": "s1", "time": "2024-03-10T09:15:00Z", "speaker": "Dana",
     "text": "I ran the Porto half marathon yesterday.", "id": "s1:1"},
    {"session": "s1", "time": "2024-03-10T09:16:00Z", "speaker": "Assistant",
     "text": "Congratulations! How did it go?", "id": "s1:2"},
    {"session": "s1", "time": "2024-03-10T09:17:00Z", "speaker": "Dana",
     "text": "My sister Ines cheered for me. I love running by the river.", "id": "s1:3"},
    {"session": "s2", "time": "2024-04-02T18:00:00+02:00", "speaker": "Dana",
     "text": "I adopted a cat named Pixel last week.", "id": "s2:1"},
]


class ObserveAndReadTest(StoreTestCase):
    def test_observe_returns_increasing_seqs_and_get_turn_round_trips(self):
        with self.open() as store:
            s1 = store.observe("dana", speaker="Dana", text="Hello there.", session="s1", time=T0, id="s1:1")
            s2 = store.observe("dana", speaker="Dana", text="Olá, é uma maçã.", session="s1",
                               time=T0 + timedelta(milliseconds=1500), id="s1:2")
            self.assertGreater(s2, s1)
            turn = store.get_turn("dana", s2)
            self.assertEqual(turn.seq, s2)
            self.assertEqual(turn.tenant, "dana")
            self.assertEqual(turn.text, "Olá, é uma maçã.")
            self.assertEqual(turn.session, "s1")
            self.assertEqual(turn.id, "s1:2")
            self.assertEqual(turn.time, T0 + timedelta(milliseconds=1500))
            self.assertEqual(turn.time.tzinfo, timezone.utc)
            self.assertEqual(store.get_turn("dana", id="s1:1").seq, s1)

    def test_observe_same_id_again_changes_nothing_and_other_content_is_refused(self):
        with self.open() as store:
            first = store.observe("dana", speaker="Dana", text="One.", id="x")
            again = store.observe("dana", speaker="Dana", text="One.", id="x")
            self.assertEqual(first, again)
            with self.assertRaises(engram.AlreadyExists):  # a correction is store.update's
                store.observe("dana", speaker="Dana", text="Different text.", id="x")
            self.assertEqual(store.get_turn("dana", id="x").text, "One.")
            self.assertEqual(store.stats("dana").turns, 1)

    def test_generated_id_and_unknown_time(self):
        with self.open() as store:
            seq = store.observe("dana", speaker="Dana", text="No id, no time.")
            turn = store.get_turn("dana", seq)
            self.assertTrue(turn.id.startswith("auto:"), turn.id)
            self.assertIsNone(turn.time)

    def test_observe_batch_takes_conversation_format_dicts(self):
        with self.open() as store:
            seqs = store.observe_batch("dana", TURNS)
            self.assertEqual(len(seqs), len(TURNS))
            self.assertEqual(seqs, sorted(seqs))
            turns = store.scan_turns("dana")
            self.assertEqual([t.id for t in turns], [t["id"] for t in TURNS])
            self.assertEqual(turns[3].time, datetime(2024, 4, 2, 16, 0, tzinfo=timezone.utc))
            self.assertEqual([t.id for t in store.scan_turns("dana", session="s2")], ["s2:1"])
            self.assertEqual(len(store.scan_turns("dana", limit=2)), 2)
            since = datetime(2024, 3, 10, 9, 16, tzinfo=timezone.utc)
            self.assertEqual([t.id for t in store.scan_turns("dana", since=since, until="2024-04-01")],
                             ["s1:2", "s1:3"])

    def test_stored_turn_to_dict_goes_back_into_observe_batch(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            exported = [t.to_dict() for t in store.scan_turns("dana")]
            self.assertEqual(json.loads(json.dumps(exported)), exported)
            store.observe_batch("copy", [dict(d, tenant="copy") for d in exported])
            copied = store.scan_turns("copy")
            self.assertEqual([(t.speaker, t.text, t.session, t.time, t.id) for t in copied],
                             [(t.speaker, t.text, t.session, t.time, t.id) for t in store.scan_turns("dana")])

    def test_list_tenants_stats_and_forget(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            store.observe("eli", speaker="Eli", text="Hi.")
            self.assertEqual(sorted(store.list_tenants()), ["dana", "eli"])
            stats = store.stats("dana")
            self.assertEqual((stats.tenant, stats.turns, stats.sessions), ("dana", 4, 2))
            self.assertEqual(stats.bytes, sum(len(t["text"].encode()) for t in TURNS))
            report = store.forget_tenant("dana")
            self.assertEqual(report.removed["turns"], 4)
            self.assertGreaterEqual(report.total, 4)
            self.assertEqual(store.list_tenants(), ["eli"])
            self.assertEqual(store.scan_turns("dana"), [])
            self.assertEqual(store.stats("eli").turns, 1)

    def test_get_turn_of_missing_seq_is_not_found(self):
        with self.open() as store:
            store.observe("dana", speaker="Dana", text="Hi.")
            with self.assertRaises(engram.NotFound):
                store.get_turn("dana", 999)
            with self.assertRaises(LookupError):
                store.get_turn("dana", id="nope")


class TiersTest(StoreTestCase):
    def test_recall_returns_typed_hits_with_provenance(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            result = store.recall("dana", "Which race did Dana run in Porto?", k=3)
            self.assertIsInstance(result, engram.RecallResult)
            self.assertLessEqual(len(result.hits), 3)
            best = result.hits[0]
            self.assertIsInstance(best, engram.Hit)
            marathon = [h for h in result.hits if "s1:1" in h.source_ids]
            self.assertTrue(marathon, result.hits)
            self.assertIn("marathon", marathon[0].text)
            self.assertIsInstance(best.tier, engram.Tier)
            self.assertGreater(best.score, 0)
            self.assertTrue(best.signals)
            self.assertTrue(result.route.name)
            self.assertEqual(sorted(result.hits, key=lambda h: -h.score), result.hits)
            self.assertIn("RecallResult(", repr(result))
            self.assertIn("Hit(kind=", repr(best))
            as_dict = result.to_dict()
            self.assertEqual(json.loads(json.dumps(as_dict)), as_dict)
            self.assertEqual(as_dict["hits"][0]["source_ids"], best.source_ids)

    def test_recall_filters_by_session_and_time(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            hits = store.recall("dana", "cat Pixel marathon", route="hybrid", session="s1").hits
            self.assertTrue(hits)
            self.assertTrue(all(h.session == "s1" for h in hits), hits)
            hits = store.recall("dana", "cat Pixel marathon", route="bm25", since="2024-04-01").hits
            self.assertTrue(hits)
            self.assertTrue(all("s2:1" in h.source_ids for h in hits), hits)

    def test_recall_with_persona_tier_and_bad_tier(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            result = store.recall("dana", "What does Dana love?", tiers=["episodic", engram.Tier.PERSONA])
            self.assertTrue(result.hits)
            with self.assertRaisesRegex(engram.InvalidArgument, "unknown tier 'semantic'"):
                store.recall("dana", "x", tiers=["semantic"])

    def test_context_fits_the_budget(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            context = store.context("dana", "Who cheered for Dana?", budget_tokens=100)
            self.assertLessEqual(context.tokens, 100)
            self.assertIn("Ines", context.text)
            self.assertEqual(str(context), context.text)
            self.assertTrue(all(isinstance(s, engram.ContextSection) for s in context.sections))

    def test_profile_graph_units_summaries_working_memory(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            facts = store.profile("dana", "Dana")
            self.assertTrue(any(f.attribute == "likes" and "running" in f.value for f in facts), facts)
            self.assertTrue(all(isinstance(f, engram.PersonaFact) for f in facts))
            graph = store.graph("dana")
            self.assertIsInstance(graph, engram.GraphView)
            self.assertTrue(any(r.relation == "sister_of" or "Ines" in (r.subject, r.object)
                                for r in graph.relations), graph.relations)
            units = store.event_units("dana")
            self.assertTrue(units)
            self.assertTrue(all(u.source_ids for u in units))
            summaries = store.summaries("dana", max_sentences=1)
            self.assertEqual([s.session for s in summaries], ["s1", "s2"])
            self.assertEqual(summaries[0].start, datetime(2024, 3, 10, 9, 15, tzinfo=timezone.utc))
            working = store.working_memory("dana", "s1")
            self.assertEqual([t.id for t in working], ["s1:1", "s1:2", "s1:3"])
            json.dumps([f.to_dict() for f in facts] + [graph.to_dict()] + [s.to_dict() for s in summaries])

    def test_graph_closes_replaced_relations_and_shows_the_past(self):
        with self.open() as store:
            store.observe_batch("nadia", [
                {"session": "a", "time": "2023-03-04T10:00:00Z", "speaker": "Nadia",
                 "text": "I live in Denver, the mountains are close.", "id": "a:1"},
                {"session": "b", "time": "2023-06-12T18:30:00Z", "speaker": "Nadia",
                 "text": "Big news: I moved to Seattle last month!", "id": "b:1"},
            ])
            homes = {r.object: r for r in store.graph("nadia", "Nadia").relations if r.relation == "lives_in"}
            self.assertEqual(set(homes), {"Denver", "Seattle"})
            self.assertIsNone(homes["Seattle"].valid_to)
            self.assertIsNotNone(homes["Denver"].valid_to)
            self.assertEqual(homes["Denver"].valid_to, homes["Seattle"].valid_from)
            april = store.graph("nadia", "Nadia", as_of=datetime(2023, 4, 1, tzinfo=timezone.utc))
            self.assertEqual([r.object for r in april.relations if r.relation == "lives_in"], ["Denver"])

    def test_rebuild_keeps_recall_working(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            before = [h.source_ids for h in store.recall("dana", "cat named Pixel", route="bm25").hits]
            store.rebuild()
            after = [h.source_ids for h in store.recall("dana", "cat named Pixel", route="bm25").hits]
            self.assertEqual(before, after)
            self.assertEqual(store.pending_enrichments(), 0)
            store.wait_for_enrichment(timeout=1)


class LifetimeTest(StoreTestCase):
    def test_context_manager_closes_and_later_calls_raise(self):
        with self.open() as store:
            store.observe("dana", speaker="Dana", text="Hi.")
        self.assertTrue(store.closed)
        for call in (lambda: store.observe("dana", speaker="Dana", text="Again."),
                     lambda: store.recall("dana", "hi"), lambda: store.list_tenants(),
                     lambda: store.scan_turns("dana"), lambda: store.stats("dana")):
            with self.assertRaisesRegex(engram.FailedPrecondition, "is closed"):
                call()
        store.close()  # closing twice is fine
        self.assertIn("closed", repr(store))

    def test_data_survives_reopen(self):
        with self.open(sync=True) as store:
            store.observe_batch("dana", TURNS)
        embedder = HashEmbedder()
        with self.open(embedder=embedder) as store:
            self.assertEqual([t.id for t in store.scan_turns("dana")], [t["id"] for t in TURNS])
            self.assertIn("s2:1", store.recall("dana", "Pixel the cat", k=1).hits[0].source_ids)

    def test_cache_and_memtable_sizes_are_options(self):
        with self.open(block_cache_bytes=1 << 20, write_buffer_bytes=1 << 20) as store:
            store.observe_batch("dana", TURNS)
        with self.open(write_buffer_bytes=0) as store:
            self.assertEqual([t.id for t in store.scan_turns("dana")], [t["id"] for t in TURNS])

    def test_unknown_option_is_a_type_error(self):
        with self.assertRaisesRegex(TypeError, "unknown option 'max_text_byte'"):
            self.open(max_text_byte=10)

    def test_log_only_store_refuses_recall(self):
        with self.open() as store:
            store.observe("dana", speaker="Dana", text="Hi.")
        with engram.Store(self.path, log_only=True) as store:
            self.assertEqual(len(store.scan_turns("dana")), 1)
            with self.assertRaises(engram.FailedPrecondition):
                store.recall("dana", "hi")

    def test_read_only_store_reads_beside_a_writer_and_refuses_writes(self):
        with self.open() as writer:
            writer.observe("dana", speaker="Dana", text="I moved to Lakewood.", id="d1")
            with self.open(read_only=True) as reader:
                self.assertEqual([t.text for t in reader.scan_turns("dana")], ["I moved to Lakewood."])
                with self.assertRaisesRegex(engram.FailedPrecondition, "read-only"):
                    reader.observe("dana", speaker="Dana", text="Hi.")



class LoggingTest(StoreTestCase):
    def tearDown(self):
        engram.set_log_level("off")
        engram.set_log_handler(None)
        super().tearDown()

    def test_handler_receives_engram_messages_at_the_level_set(self):
        got = []
        engram.set_log_handler(lambda level, message: got.append((level, message)))
        engram.set_log_level("off")
        self.open().close()
        self.assertEqual(got, [])
        engram.set_log_level("info")
        self.open().close()
        self.assertIn(("info", f"opened store {self.path}"), got)


if __name__ == "__main__":
    unittest.main()


class WhereAndUnknownTenantTest(StoreTestCase):
    def test_where_filters_on_metadata_and_unknown_tenants_are_not_found(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            self.assertTrue(store.recall("dana", "marathon").hits)
            # These turns have no metadata: a filter on it matches none of them.
            self.assertEqual(store.recall("dana", "marathon", where={"channel": "email"}).hits, [])
            self.assertEqual(store.context("dana", "marathon", where={"channel": "email"}).sections, [])
            with self.assertRaises(TypeError):
                store.recall("dana", "marathon", where=["channel"])
            with self.assertRaisesRegex(engram.NotFound, "did you mean 'dana'"):
                store.stats("dan")

    def test_metadata_is_stored_filtered_on_and_round_trips(self):
        with self.open() as store:
            store.observe_batch("dana", TURNS)
            seq = store.observe("dana", speaker="Dana", text="Booked the marathon trip by email.", id="m:1",
                                metadata={"channel": "email", "thread": "travel"})
            hits = store.recall("dana", "marathon", where={"channel": "email"}).hits
            self.assertTrue(hits)
            self.assertEqual({tuple(h.source_ids) for h in hits}, {("m:1",)})
            turn = store.get_turn("dana", id="m:1")
            self.assertEqual(turn.seq, seq)
            self.assertEqual(turn.metadata, {"channel": "email", "thread": "travel"})
            self.assertEqual(store.get_turn("dana", id="s1:1").metadata, {})
            # StoredTurn.to_dict() goes back in with its metadata.
            store.observe_batch("copy", [turn.to_dict() | {"tenant": "copy"}])
            self.assertEqual(store.get_turn("copy", id="m:1").metadata, turn.metadata)
            # Bad metadata fails the call and writes nothing.
            before = store.stats("dana").turns
            with self.assertRaises(TypeError):
                store.observe("dana", speaker="Dana", text="x", metadata=["channel"])
            with self.assertRaises(engram.InvalidArgument):
                store.observe("dana", speaker="Dana", text="x", metadata={"": "empty key"})
            with self.assertRaises(engram.InvalidArgument):
                store.observe_batch("dana", [{"speaker": "Dana", "text": "fine"},
                                             {"speaker": "Dana", "text": "bad", "metadata": {"k": "v" * 5000}}])
            self.assertEqual(store.stats("dana").turns, before)
