"""Bad input raises clear errors and writes nothing."""

import unittest
from datetime import datetime, timedelta, timezone

import engram
from support import StoreTestCase


class BadInputTest(StoreTestCase):
    def setUp(self):
        super().setUp()
        self.store = self.open()

    def tearDown(self):
        self.store.close()
        super().tearDown()

    def assertNothingStored(self):
        self.assertEqual(self.store.scan_turns("dana"), [])

    def test_error_classes_form_a_hierarchy(self):
        for cls in (engram.NotFound, engram.InvalidArgument, engram.Corruption, engram.IOError, engram.NotSupported,
                    engram.FailedPrecondition, engram.Unavailable, engram.Internal, engram.AlreadyExists):
            self.assertTrue(issubclass(cls, engram.Error), cls)
            self.assertEqual(cls.code, cls.__name__)
        self.assertTrue(issubclass(engram.InvalidArgument, ValueError))
        self.assertTrue(issubclass(engram.NotFound, LookupError))
        self.assertTrue(issubclass(engram.IOError, OSError))

    def test_naive_datetime_is_rejected(self):
        with self.assertRaisesRegex(engram.InvalidArgument, "naive datetime"):
            self.store.observe("dana", speaker="Dana", text="Hi.", time=datetime(2024, 3, 10, 9, 15))
        with self.assertRaises(ValueError):
            self.store.observe_batch("dana", [{"speaker": "Dana", "text": "Hi.", "time": datetime(2024, 1, 1)}])
        with self.assertRaisesRegex(engram.InvalidArgument, "since .*naive"):
            self.store.recall("dana", "hi", since=datetime(2024, 1, 1))
        self.assertNothingStored()

    def test_unparsable_time_string_names_the_field(self):
        with self.assertRaisesRegex(engram.InvalidArgument, "turn 1: field 'time'.*yesterday"):
            self.store.observe_batch("dana", [{"speaker": "Dana", "text": "ok"},
                                              {"speaker": "Dana", "text": "Hi.", "time": "yesterday"}])
        self.assertNothingStored()

    def test_wrong_types_are_type_errors(self):
        with self.assertRaisesRegex(TypeError, "text must be str, not int"):
            self.store.observe("dana", speaker="Dana", text=42)
        with self.assertRaisesRegex(TypeError, "time must be a timezone-aware datetime"):
            self.store.observe("dana", speaker="Dana", text="Hi.", time=1710062100)
        with self.assertRaisesRegex(TypeError, "must be a dict"):
            self.store.observe_batch("dana", ["Dana: hi"])
        with self.assertRaisesRegex(TypeError, "tenant must be str"):
            self.store.recall(None, "hi")
        with self.assertRaises(TypeError):
            self.store.observe("dana", "Dana", "positional speaker and text are not accepted")
        self.assertNothingStored()

    def test_invalid_utf8_bytes_are_rejected_by_engram(self):
        with self.assertRaisesRegex(engram.InvalidArgument, "UTF-8"):
            self.store.observe("dana", speaker="Dana", text=b"caf\xe9 au lait")
        with self.assertRaisesRegex(engram.InvalidArgument, "UTF-8"):
            self.store.observe_batch("dana", [{"speaker": "Dana", "text": "fine"},
                                              {"speaker": b"\xff\xfe", "text": "bad speaker"}])
        self.assertNothingStored()
        seq = self.store.observe("dana", speaker="Dana", text="café".encode())
        self.assertEqual(self.store.get_turn("dana", seq).text, "café")

    def test_lone_surrogate_str_is_rejected(self):
        with self.assertRaisesRegex(engram.InvalidArgument, "text is not valid UTF-8"):
            self.store.observe("dana", speaker="Dana", text="broken \udc80 text")
        self.assertNothingStored()

    def test_missing_and_unknown_fields(self):
        with self.assertRaisesRegex(engram.InvalidArgument, "turn 0: field 'speaker' is required"):
            self.store.observe_batch("dana", [{"text": "Hi."}])
        with self.assertRaisesRegex(engram.InvalidArgument, "turn 0: unknown field 'dia_id'"):
            self.store.observe_batch("dana", [{"speaker": "Dana", "text": "Hi.", "dia_id": "D1:1"}])
        with self.assertRaisesRegex(engram.InvalidArgument, "field 'tenant' is 'eli', not 'dana'"):
            self.store.observe_batch("dana", [{"tenant": "eli", "speaker": "Dana", "text": "Hi."}])
        self.assertNothingStored()

    def test_empty_speaker_tenant_and_oversized_text(self):
        with self.assertRaises(engram.InvalidArgument):
            self.store.observe("dana", speaker="", text="Hi.")
        with self.assertRaises(engram.InvalidArgument):
            self.store.observe("", speaker="Dana", text="Hi.")
        with self.assertRaisesRegex(engram.InvalidArgument, "65536|max_text_bytes|bytes"):
            self.store.observe("dana", speaker="Dana", text="x" * (64 * 1024 + 1))
        self.assertNothingStored()

    def test_bad_recall_arguments(self):
        with self.assertRaisesRegex(engram.InvalidArgument, "k must be a non-negative int"):
            self.store.recall("dana", "hi", k=-1)
        with self.assertRaises(TypeError):
            self.store.get_turn("dana")
        with self.assertRaisesRegex(engram.InvalidArgument, "unknown log level"):
            engram.set_log_level("loud")

    def test_aware_non_utc_datetime_is_converted(self):
        when = datetime(2024, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
        seq = self.store.observe("dana", speaker="Dana", text="Noon UTC.", time=when)
        self.assertEqual(self.store.get_turn("dana", seq).time, datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc))


class OpenErrorsTest(StoreTestCase):
    def test_missing_store_without_create_if_missing(self):
        with self.assertRaises(engram.Error) as caught:
            engram.Store(self.path, create_if_missing=False)
        self.assertIn(self.path, str(caught.exception))


if __name__ == "__main__":
    unittest.main()
