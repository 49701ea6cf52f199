"""Embedders (texts to vectors) and extractors for ``engram.Store``."""

from __future__ import annotations

from typing import Any, Callable, Optional

from . import _engram


class Embedder:
    """Base class of embedders. Subclass it to embed in Python::

        class MyEmbedder(engram.Embedder):
            dim = 384
            identity = "my-model/v1/384"
            def embed(self, texts):
                return model.encode(texts)  # shape (len(texts), 384)

    ``embed`` gets a list of ``str`` and returns a NumPy array of shape
    ``(len(texts), dim)``, a list of ``dim``-float sequences, or a flat list of
    ``len(texts) * dim`` floats. It is called with the GIL held, from
    whichever thread the store embeds on; an exception it raises becomes
    ``engram.Unavailable`` for the store call that needed it.

    ``identity`` names the model, version and dimension: a store remembers
    the identity of the embedder that built it and refuses another one
    (``engram.FailedPrecondition``) unless opened with ``reembed=True``.
    """

    dim: int
    identity: str

    def embed(self, texts: list[str]) -> Any:
        """Returns one vector per text (see the class documentation)."""
        raise NotImplementedError(f"{type(self).__name__}.embed")

    def _handle(self) -> _engram.EmbedderHandle:
        """The C++ embedder the store calls."""
        dim = getattr(self, "dim", None)
        if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
            raise _engram.InvalidArgument(f"{type(self).__name__}.dim must be a positive int, not {dim!r}")
        identity = getattr(self, "identity", None) or f"python:{type(self).__module__}.{type(self).__qualname__}/{dim}"
        return _engram.python_embedder(self.embed, dim, str(identity))


class FunctionEmbedder(Embedder):
    """A plain callable ``fn(texts) -> vectors`` as an embedder.

    ``dim`` is learned by embedding one probe text when not given; the
    identity defaults to ``python:<module>.<qualname>/<dim>``.
    """

    def __init__(self, fn: Callable[[list[str]], Any], dim: Optional[int] = None,
                 identity: Optional[str] = None) -> None:
        if not callable(fn):
            raise TypeError(f"embedder must be callable, not {type(fn).__name__}")
        self._fn = fn
        if dim is None:
            import numpy as np
            probe = np.asarray(fn(["engram"]), dtype=np.float32)
            dim = int(probe.shape[-1]) if probe.ndim >= 1 else 0
        self.dim = dim
        name = getattr(fn, "__qualname__", type(fn).__qualname__)
        self.identity = identity or f"python:{getattr(fn, '__module__', '')}.{name}/{dim}"

    def embed(self, texts: list[str]) -> Any:
        """Calls the wrapped function with ``texts``."""
        return self._fn(texts)


class _NativeEmbedder(Embedder):
    """An embedder implemented in C++ (no GIL while it runs)."""

    def __init__(self, handle: _engram.EmbedderHandle) -> None:
        self._native = handle

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self._native.dim

    @property
    def identity(self) -> str:  # type: ignore[override]
        return self._native.identity

    def embed(self, texts: list[str]) -> Any:
        """Embeds every text; returns a float32 array of shape ``(len(texts), dim)``."""
        return self._native.embed(list(texts))

    def _handle(self) -> _engram.EmbedderHandle:
        return self._native

    def __repr__(self) -> str:
        return f"{type(self).__name__}(identity={self.identity!r})"


class UseLiteEmbedder(_NativeEmbedder):
    """The built-in Universal Sentence Encoder Lite: 512-d, offline, CPU.

    ``model_dir`` defaults to ``$ENGRAM_USE_LITE_DIR`` or
    ``~/.cache/engram/use-lite-0.2.0/dist`` (``scripts/fetch-model.sh``
    fetches it). This is what a store uses when no embedder is given.
    """

    def __init__(self, model_dir: str = "", *, verify_checksums: bool = True, max_batch: int = 64) -> None:
        super().__init__(_engram.use_lite_embedder(model_dir, verify_checksums, max_batch))


class HttpEmbedder(_NativeEmbedder):
    """Any OpenAI-compatible ``/v1/embeddings`` endpoint.

    Empty ``url``/``model``/``api_key`` fall back to ``$ENGRAM_EMBED_URL``,
    ``$ENGRAM_EMBED_MODEL`` and ``$ENGRAM_EMBED_API_KEY``. ``dim=0`` learns
    the vector length from the first reply. Retries 429 and 5xx replies
    ``max_retries`` times with exponential backoff.
    """

    def __init__(self, url: str = "", model: str = "", api_key: str = "", *, dim: int = 0, max_batch: int = 64,
                 timeout_ms: int = 30000, max_retries: int = 4, initial_backoff_ms: int = 200) -> None:
        super().__init__(_engram.http_embedder(url, model, api_key, dim, max_batch, timeout_ms, max_retries,
                                               initial_backoff_ms))


def embedder_handle(embedder: Any) -> _engram.EmbedderHandle:
    """The C++ embedder for ``embedder``: an ``Embedder`` or a callable."""
    if isinstance(embedder, Embedder):
        return embedder._handle()
    if callable(embedder):
        return FunctionEmbedder(embedder)._handle()
    raise TypeError(f"embedder must be an engram.Embedder or a callable, not {type(embedder).__name__}")


class Extractor:
    """An extractor built into engram: derives event units, persona facts
    and the graph from each turn. See ``RuleBasedExtractor`` and
    ``LlmExtractor``."""

    def __init__(self, handle: _engram.ExtractorHandle) -> None:
        self._native = handle

    @property
    def identity(self) -> str:
        """Names the extractor and its version."""
        return self._native.identity

    def __repr__(self) -> str:
        return f"{type(self).__name__}(identity={self.identity!r})"


class RuleBasedExtractor(Extractor):
    """Offline and deterministic: the extractor a store uses by default."""

    def __init__(self) -> None:
        super().__init__(_engram.rule_based_extractor())


class LlmExtractor(Extractor):
    """An OpenAI-compatible chat-completions model asked for JSON; use it as
    ``Store(..., enrichment_extractor=LlmExtractor(...))`` to enrich turns in
    the background. Empty arguments fall back to ``$ENGRAM_LLM_URL``,
    ``$ENGRAM_LLM_MODEL`` and ``$ENGRAM_LLM_API_KEY``."""

    def __init__(self, url: str = "", model: str = "", api_key: str = "", *, timeout_ms: int = 60000,
                 max_retries: int = 3, initial_backoff_ms: int = 500) -> None:
        super().__init__(_engram.llm_extractor(url, model, api_key, timeout_ms, max_retries, initial_backoff_ms))


def extractor_handle(extractor: Any, option: str) -> _engram.ExtractorHandle:
    """The C++ extractor for store option ``option``."""
    if isinstance(extractor, Extractor):
        return extractor._native
    raise TypeError(f"{option} must be an engram.Extractor (RuleBasedExtractor or LlmExtractor), "
                    f"not {type(extractor).__name__}")


__all__ = ["Embedder", "FunctionEmbedder", "UseLiteEmbedder", "HttpEmbedder", "Extractor", "RuleBasedExtractor",
           "LlmExtractor"]
