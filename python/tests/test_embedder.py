"""Embedders written in Python, the HTTP embedder, and the built-in one."""

import http.server
import json
import threading
import unittest

import numpy as np

import engram
from support import HashEmbedder, StoreTestCase, use_lite_available

TURNS = [{"speaker": "Ada", "text": "I painted the bookshelf green.", "id": "a1"},
         {"speaker": "Ada", "text": "The tram up the hill was packed.", "id": "a2"}]


class PythonEmbedderTest(StoreTestCase):
    def test_subclass_is_called_for_turns_and_questions(self):
        embedder = HashEmbedder()
        with self.open(embedder=embedder) as store:
            store.observe_batch("ada", TURNS)
            after_write = embedder.texts
            self.assertGreaterEqual(after_write, 2)
            hits = store.recall("ada", "bookshelf green", route="vector", k=1).hits
            self.assertEqual(hits[0].source_ids, ["a1"])
            self.assertGreater(embedder.texts, after_write)

    def test_callable_returning_lists_of_floats(self):
        reference = HashEmbedder()
        calls = []

        def embed(texts):
            calls.append(len(texts))
            return reference.embed(texts).tolist()

        with self.open(embedder=embed) as store:
            store.observe_batch("ada", TURNS)
            self.assertEqual(store.recall("ada", "tram hill", route="vector", k=1).hits[0].source_ids, ["a2"])
        self.assertTrue(calls)

    def test_callable_returning_a_flat_numpy_array(self):
        reference = HashEmbedder()
        embedder = engram.FunctionEmbedder(lambda texts: reference.embed(texts).reshape(-1), dim=64,
                                           identity="flat/64")
        self.assertEqual(embedder.dim, 64)
        with self.open(embedder=embedder) as store:
            store.observe_batch("ada", TURNS)
            self.assertEqual(store.recall("ada", "bookshelf", route="vector", k=1).hits[0].source_ids, ["a1"])

    def test_wrong_shape_is_invalid_argument(self):
        class Short(HashEmbedder):
            def embed(self, texts):
                return np.zeros((len(texts), 3), dtype=np.float32)

        with self.open(embedder=Short()) as store:
            with self.assertRaisesRegex(engram.InvalidArgument, r"shape \(1, 3\).*expected \(1, 64\)"):
                store.observe("ada", speaker="Ada", text="hello")
            self.assertEqual(store.scan_turns("ada"), [])

    def test_non_finite_values_are_invalid_argument(self):
        class NaNs(HashEmbedder):
            def embed(self, texts):
                return np.full((len(texts), 64), np.nan, dtype=np.float32)

        with self.open(embedder=NaNs()) as store:
            with self.assertRaisesRegex(engram.InvalidArgument, "non-finite"):
                store.observe("ada", speaker="Ada", text="hello")

    def test_exception_in_embedder_becomes_unavailable_with_its_message(self):
        class Broken(HashEmbedder):
            def embed(self, texts):
                raise RuntimeError("model server is down")

        with self.open(embedder=Broken()) as store:
            with self.assertRaisesRegex(engram.Unavailable, "RuntimeError: model server is down"):
                store.observe("ada", speaker="Ada", text="hello")
            self.assertEqual(store.scan_turns("ada"), [])

    def test_bad_dim_is_rejected(self):
        class NoDim(engram.Embedder):
            identity = "nodim"

            def embed(self, texts):
                return []

        with self.assertRaisesRegex(engram.InvalidArgument, "dim must be a positive int"):
            self.open(embedder=NoDim())
        with self.assertRaisesRegex(TypeError, "embedder must be"):
            self.open(embedder="use-lite")

    def test_store_refuses_another_embedder_unless_reembed(self):
        with self.open() as store:
            store.observe_batch("ada", TURNS)

        class Other(HashEmbedder):
            identity = "test-hash/2/64"

        with self.assertRaisesRegex(engram.FailedPrecondition, "test-hash"):
            self.open(embedder=Other())
        other = Other()
        with self.open(embedder=other, reembed=True) as store:
            self.assertEqual(store.recall("ada", "bookshelf", route="vector", k=1).hits[0].source_ids, ["a1"])
            self.assertGreaterEqual(other.texts, 3)  # both turns again, and the question


class _EmbeddingsHandler(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible /v1/embeddings endpoint backed by HashEmbedder."""

    embedder = HashEmbedder()
    requests = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append((self.path, body.get("model"), self.headers.get("Authorization")))
        vectors = self.embedder.embed(list(body["input"]))
        reply = json.dumps({"object": "list", "model": body.get("model"),
                            "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                                     for i, v in enumerate(vectors)]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


class HttpEmbedderTest(StoreTestCase):
    def test_store_embeds_through_a_local_endpoint(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/v1"
            embedder = engram.HttpEmbedder(url, "hash-model", "secret", max_retries=0)
            vectors = embedder.embed(["bookshelf green"])
            self.assertEqual(vectors.shape, (1, 64))
            self.assertEqual(embedder.dim, 64)
            with self.open(embedder=embedder) as store:
                store.observe_batch("ada", TURNS)
                self.assertEqual(store.recall("ada", "tram hill", route="vector", k=1).hits[0].source_ids, ["a2"])
            self.assertIn(("/v1/embeddings", "hash-model", "Bearer secret"), _EmbeddingsHandler.requests)
        finally:
            server.shutdown()
            server.server_close()

    def test_unreachable_endpoint_fails_the_call(self):
        embedder = engram.HttpEmbedder("http://127.0.0.1:9/v1", "m", dim=64, max_retries=0, timeout_ms=2000)
        with self.assertRaises(engram.Error):
            embedder.embed(["hello"])


@unittest.skipUnless(use_lite_available(), "the built-in model is not fetched (scripts/fetch-model.sh)")
class UseLiteEmbedderTest(unittest.TestCase):
    def test_built_in_embedder_gives_512_unit_vectors(self):
        embedder = engram.UseLiteEmbedder()
        self.assertEqual(embedder.dim, 512)
        self.assertIn("use-lite", embedder.identity)
        vectors = embedder.embed(["I like green bookshelves.", "The tram was packed."])
        self.assertEqual(vectors.shape, (2, 512))
        self.assertEqual(vectors.dtype, np.float32)
        self.assertTrue(np.all(np.isfinite(vectors)))


if __name__ == "__main__":
    unittest.main()
