"""Shared pieces of the Python tests: temporary stores and a tiny embedder."""

import hashlib
import os
import re
import shutil
import tempfile
import unittest

import numpy as np

import engram

TEST_DATA_DIR = os.environ.get(
    "ENGRAM_TEST_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data"))


class HashEmbedder(engram.Embedder):
    """Deterministic bag-of-words vectors: texts sharing words are close.
    Counts its calls so tests can see the store used it."""

    dim = 64
    identity = "test-hash/1/64"

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm > 0 else out[row]
            if norm == 0:
                out[row, 0] = 1.0
        return out


def use_lite_available():
    return os.path.exists(os.path.join(engram.default_use_lite_model_dir(), "model.json"))


class StoreTestCase(unittest.TestCase):
    """Gives each test a fresh folder, removed afterwards."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="engram-py-")
        self.path = os.path.join(self.dir, "store")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def open(self, **options):
        options.setdefault("embedder", HashEmbedder())
        return engram.Store(self.path, **options)
