"""``engram.Store``: a durable, multi-tenant memory for LLM agents."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _engram
from ._embedders import embedder_handle, extractor_handle
from ._types import (Context, ForgetReport, GraphView, EventUnit, PersonaFact, RecallResult, SessionSummary,
                     StoredTurn, TenantStats, Tier, TurnVersion)

TimeLike = Union[datetime, str]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_INT64_MIN = -(2 ** 63)
_INT64_MAX = 2 ** 63 - 1

# The turn fields of the conversation format (docs/conversation-format.md).
_TURN_FIELDS = ("speaker", "text", "session", "time", "id", "metadata")
# Accepted and ignored in turn dicts, so StoredTurn.to_dict() goes back in.
_IGNORED_TURN_FIELDS = frozenset({"seq"})

# Store options: name -> the Options attribute it sets (None: handled apart).
_OPTION_NAMES = ("create_if_missing", "max_text_bytes", "max_id_bytes", "read_only", "log_only",
                 "reembed",
                 "enrichment_max_attempts", "vector_index", "working_memory_turns", "working_memory_tokens",
                 "block_cache_bytes", "write_buffer_bytes")


def _time_ms(value: Optional[TimeLike], what: str) -> int:
    """``value`` as milliseconds since the epoch; 0 for None ("unknown")."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise _engram.InvalidArgument(
                f"{what} {value.isoformat()!r} is a naive datetime; give it a time zone "
                f"(e.g. datetime(..., tzinfo=timezone.utc))")
        return (value - _EPOCH) // _MS
    if isinstance(value, str):
        try:
            return _engram.parse_time(value)
        except _engram.InvalidArgument as e:
            raise _engram.InvalidArgument(f"{what}: {e}") from None
    raise TypeError(f"{what} must be a timezone-aware datetime or an ISO 8601 string, not {type(value).__name__}")


def _metadata(value: Any, what: str) -> Dict[str, Union[str, bytes]]:
    """A turn's metadata (key -> value text) as the core takes it; None = none.
    The core checks the limits (entries, key and value sizes, UTF-8)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a dict of str to str, not {type(value).__name__}")
    return {_text(k, f"{what} key"): _text(v, f"{what}[{k!r}]") for k, v in value.items()}


def _text(value: Any, what: str) -> Union[str, bytes]:
    """A string argument; bytes pass through (engram checks their UTF-8)."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                raise _engram.InvalidArgument(f"{what} is not valid UTF-8: {e.reason} at index {e.start}") from None
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be str, not {type(value).__name__}")


def _turn_tuple(turn: Mapping[str, Any], tenant: str, where: str) -> tuple:
    """A turn dict as the tuple the C++ core takes; ``where`` ("turn 3", or
    "" for a single turn) prefixes the field names in error messages."""
    def label(key: str) -> str:
        return f"{where}: field {key!r}" if where else key

    if not isinstance(turn, Mapping):
        raise TypeError(f"{where} must be a dict with speaker, text and optional session, time, id, metadata; "
                        f"not {type(turn).__name__}")
    for key in turn:
        if key not in _TURN_FIELDS and key not in _IGNORED_TURN_FIELDS and key != "tenant":
            raise _engram.InvalidArgument(
                f"{where}: unknown field {key!r} (expected {', '.join(_TURN_FIELDS)})")
    if "tenant" in turn and turn["tenant"] != tenant:
        raise _engram.InvalidArgument(f"{where}: field 'tenant' is {turn['tenant']!r}, not {tenant!r}")
    for key in ("speaker", "text"):
        if key not in turn:
            raise _engram.InvalidArgument(f"{where}: field {key!r} is required")
    session = turn.get("session")
    source_id = turn.get("id")
    return (_text("" if session is None else session, label("session")),
            _text(turn["speaker"], label("speaker")),
            _text(turn["text"], label("text")),
            _time_ms(turn.get("time"), label("time")),
            _text("" if source_id is None else source_id, label("id")),
            _metadata(turn.get("metadata"), label("metadata")))


def _tier_names(tiers: Optional[Iterable[Union[Tier, str]]]) -> List[str]:
    """Tier names for the C++ core; one tier alone may be given bare."""
    if tiers is None:
        return []
    if isinstance(tiers, (str, Tier)):
        tiers = [tiers]
    return [t.value if isinstance(t, Tier) else str(t) for t in tiers]


def _recall_options(k: int, route: str, lexical_weight: Optional[float], vector_weight: Optional[float],
                    tiers: Optional[Iterable[Union[Tier, str]]], speaker: str, session: str,
                    since: Optional[TimeLike], until: Optional[TimeLike], asking_user: str,
                    agent_name: str, where: Optional[Mapping[str, str]] = None) -> _engram.RecallOptions:
    """The C++ core's RecallOptions for ``Store.recall``'s keywords; None keeps a default."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise _engram.InvalidArgument(f"k must be a non-negative int, not {k!r}")
    o = _engram.RecallOptions()
    o.k = k
    o.route = route
    if lexical_weight is not None:
        o.lexical_weight = lexical_weight
    if vector_weight is not None:
        o.vector_weight = vector_weight
    o.tiers = _tier_names(tiers)
    o.speaker = _text(speaker, "speaker")
    o.session = _text(session, "session")
    if since is not None:
        o.from_ms = _time_ms(since, "since")
    if until is not None:
        o.to_ms = _time_ms(until, "until")
    o.asking_user = _text(asking_user, "asking_user")
    o.agent_name = _text(agent_name, "agent_name")
    if where is not None:
        if not isinstance(where, Mapping):
            raise TypeError(f"where must be a dict of metadata key to value, not {type(where).__name__}")
        o.where = {_text(key, "where key"): _text(value, f"where[{key!r}]") for key, value in where.items()}
    return o


class Store:
    """A durable, multi-tenant memory for LLM agents, in folder ``path``.

    ::

        with engram.Store("memory") as store:
            store.observe("dana", speaker="Dana", text="I ran the Porto half marathon.",
                          time="2024-03-10T09:15:00Z", session="s1")
            for hit in store.recall("dana", "Which race did Dana run?").hits:
                print(hit.score, hit.text, hit.source_ids)

    Options (keywords, defaults as in C++ ``engram::Options``):
    ``create_if_missing=True``, ``max_text_bytes=65536``, ``max_id_bytes=1024``,
    ``read_only=False`` (write nothing; works beside another process holding the store),
    ``log_only=False`` (no embedder or index; recall unavailable),
    ``embedder=None`` (the built-in ``UseLiteEmbedder``; or any
    ``engram.Embedder``, ``HttpEmbedder`` or callable ``fn(texts) -> vectors``),
    ``reembed=False``, ``extractor=None`` (rule-based),
    ``enrichment_extractor=None`` (e.g. ``LlmExtractor()``),
    ``enrichment_max_attempts=5``, ``vector_index="Auto"`` ("Flat", "Int8", "HNSW32",
    "IVF1024,Flat", ...), ``working_memory_turns=12``,
    ``working_memory_tokens=1024``, ``block_cache_bytes=64 MiB``,
    ``write_buffer_bytes=64 MiB`` (the log's memtables together), and
    ``sync=False``: the default of every write's ``sync`` (True: a write
    survives power loss once it returns; False: it survives a process crash).

    Thread safety: one Store may be used by many threads at once. Every call
    releases the GIL while engram works. ``close()`` waits for calls in
    flight; after it every call raises ``engram.FailedPrecondition``.
    """

    def __init__(self, path: Union[str, os.PathLike], *, sync: bool = False, embedder: Any = None,
                 extractor: Any = None, enrichment_extractor: Any = None, **options: Any) -> None:
        options_ = _engram.Options()
        for name, value in options.items():
            if name not in _OPTION_NAMES:
                raise TypeError(f"Store() got an unknown option {name!r} "
                                f"(options: {', '.join(_OPTION_NAMES + ('embedder', 'extractor', 'enrichment_extractor', 'sync'))})")
            setattr(options_, name, value)
        if embedder is not None:
            options_.set_embedder(embedder_handle(embedder))
        if extractor is not None:
            options_.set_extractor(extractor_handle(extractor, "extractor"))
        if enrichment_extractor is not None:
            options_.set_enrichment_extractor(extractor_handle(enrichment_extractor, "enrichment_extractor"))
        self._sync_default = bool(sync)
        self._native = _engram.Store.open(os.fspath(path), options_)

    # --- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Closes the store, after calls in flight. Closing twice is fine."""
        self._native.close()

    @property
    def closed(self) -> bool:
        """True after ``close()``."""
        return self._native.closed

    @property
    def path(self) -> str:
        """The store's folder."""
        return self._native.path

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"engram.Store({self.path!r}, {state})"

    def _sync(self, sync: Optional[bool]) -> bool:
        """A call's ``sync``, or the store's default when None."""
        return self._sync_default if sync is None else bool(sync)

    # --- writing ----------------------------------------------------------

    def observe(self, tenant: str, *, speaker: str, text: Union[str, bytes], session: str = "",
                time: Optional[TimeLike] = None, id: Optional[str] = None,
                metadata: Optional[Mapping[str, str]] = None, sync: Optional[bool] = None) -> int:
        """Records one turn and everything derived from it in one atomic write;
        returns its sequence number.

        ``time`` is a timezone-aware ``datetime`` or ISO 8601 text (no zone =
        UTC); None = unknown. ``id`` is your source id ("D1:3"), generated when
        None. ``metadata``: your key/value labels ({"channel": "email"}),
        stored with the turn and filterable in ``recall(where=...)``. Observing an (tenant, id) that is already stored with the same
        content returns the stored sequence number and changes nothing; with
        other content it raises ``engram.AlreadyExists`` (correct it with
        ``update``). Bad input (empty tenant or
        speaker, invalid UTF-8, naive datetime, text over ``max_text_bytes``)
        raises ``engram.InvalidArgument`` and writes nothing.
        """
        turn = _turn_tuple({"speaker": speaker, "text": text, "session": session, "time": time, "id": id,
                            "metadata": metadata}, tenant, "")
        return self._native.observe(_text(tenant, "tenant"), turn, self._sync(sync))

    def observe_batch(self, tenant: str, turns: Iterable[Mapping[str, Any]], *,
                      sync: Optional[bool] = None) -> List[int]:
        """Records many turns of one tenant in one atomic write; returns their
        sequence numbers in order.

        Each turn is a dict with the conversation format's names: ``speaker``
        and ``text`` required, ``session``, ``time``, ``id`` and ``metadata``
        optional (a
        ``tenant`` key must match ``tenant``; ``seq`` is ignored, so
        ``StoredTurn.to_dict()`` goes back in). Any bad turn fails the whole
        batch and writes nothing.
        """
        tuples = [_turn_tuple(t, tenant, f"turn {i}") for i, t in enumerate(turns)]
        return self._native.observe_batch(_text(tenant, "tenant"), tuples, self._sync(sync))

    def forget_tenant(self, tenant: str, *, sync: Optional[bool] = None) -> ForgetReport:
        """Removes every record and index entry of ``tenant``; reports what it
        removed. Other tenants are untouched."""
        return self._native.forget_tenant(_text(tenant, "tenant"), self._sync(sync))

    def forget(self, tenant: str, source_id: Optional[str] = None, *, fact: Optional[str] = None,
               relation: Optional[str] = None, dry_run: bool = False, sync: Optional[bool] = None) -> ForgetReport:
        """Removes one memory of ``tenant``: the turn ``source_id`` (and the
        facts and relations only it supports), or the persona fact ``fact``,
        or the relation ``relation`` (ids from ``profile()`` / ``graph()``).
        Exactly one of the three. With sync, its bytes are erased from disk
        and the folder searched (``report.disk_checked``); with ``dry_run``
        nothing changes. Raises ``engram.NotFound`` for an unknown id."""
        given = [x for x in (source_id, fact, relation) if x is not None]
        if len(given) != 1:
            raise TypeError("forget() takes exactly one of source_id, fact or relation")
        return self._native.forget(_text(tenant, "tenant"), _text(source_id or "", "source_id"),
                                   _text(fact or "", "fact"), _text(relation or "", "relation"), bool(dry_run),
                                   self._sync(sync))

    def update(self, tenant: str, source_id: str, text: Union[str, bytes], *, sync: Optional[bool] = None) -> int:
        """Replaces the text of a stored turn and derives it again; the previous
        text stays in its history. Returns the new version number."""
        return self._native.update(_text(tenant, "tenant"), _text(source_id, "source_id"), _text(text, "text"),
                                   self._sync(sync))

    def history(self, tenant: str, source_id: str) -> List[TurnVersion]:
        """Every version of a turn, oldest first (version 1 = as first observed)."""
        out = []
        for version, replaced_ms, session, speaker, text, time_ms, sid in self._native.history(
                _text(tenant, "tenant"), _text(source_id, "source_id")):
            out.append(TurnVersion(version, _EPOCH + replaced_ms * _MS if replaced_ms else None, session, speaker,
                                   text, _EPOCH + time_ms * _MS if time_ms else None, sid))
        return out

    def rebuild(self) -> None:
        """Throws away every derived index (vector, lexical, tiers) and rebuilds it from the log."""
        self._native.rebuild()

    # --- reading the log --------------------------------------------------

    def get_turn(self, tenant: str, seq: Optional[int] = None, *, id: Optional[str] = None) -> StoredTurn:
        """The turn with sequence number ``seq``, or with source id ``id``.
        Raises ``engram.NotFound`` when there is none."""
        if (seq is None) == (id is None):
            raise TypeError("get_turn() takes exactly one of seq or id")
        if id is not None:
            return self._native.get_turn_by_id(_text(tenant, "tenant"), _text(id, "id"))
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise _engram.InvalidArgument(f"seq must be a non-negative int, not {seq!r}")
        return self._native.get_turn(_text(tenant, "tenant"), seq)

    def scan_turns(self, tenant: str, *, session: str = "", since: Optional[TimeLike] = None,
                   until: Optional[TimeLike] = None, limit: int = 0) -> List[StoredTurn]:
        """Turns of ``tenant`` in the order they were observed: of one
        ``session`` ("" = every session), with ``since <= time < until``, at
        most ``limit`` (0 = no limit)."""
        from_ms = _INT64_MIN if since is None else _time_ms(since, "since")
        to_ms = _INT64_MAX if until is None else _time_ms(until, "until")
        return self._native.scan_turns(_text(tenant, "tenant"), _text(session, "session"), from_ms, to_ms, limit)

    def list_tenants(self) -> List[str]:
        """Every tenant with at least one stored turn."""
        return self._native.list_tenants()

    def stats(self, tenant: str) -> TenantStats:
        """Counts of what ``tenant``'s memory holds. Raises ``engram.NotFound``
        (naming the closest known tenants) for a tenant with no records."""
        return self._native.stats(_text(tenant, "tenant"))

    # --- memory tiers -----------------------------------------------------

    def recall(self, tenant: str, question: str, k: int = 10, *, route: str = "auto",
               lexical_weight: Optional[float] = None, vector_weight: Optional[float] = None,
               tiers: Optional[Iterable[Union[Tier, str]]] = None, speaker: str = "", session: str = "",
               since: Optional[TimeLike] = None, until: Optional[TimeLike] = None, asking_user: str = "",
               agent_name: str = "", where: Optional[Mapping[str, str]] = None) -> RecallResult:
        """Retrieves what the agent should remember to answer ``question``:
        at most ``k`` hits, best first.

        ``route``: "auto" (the router reads the question and picks a route),
        "hybrid" (weighted fusion of vector and BM25 scores; weights default
        0.3 and 0.7), "bm25" or "vector". ``tiers``: which tiers to search
        (default episodic: turns and event units; add "persona", "graph",
        "working"). Filters: ``speaker``, ``session``, ``since <= time <
        until``; ``where``: turn metadata that must hold exactly ({"channel":
        "email"}), applied before the best k are taken. ``asking_user``/``agent_name``:
        who "I" and "you" are in the question. Raises ``engram.FailedPrecondition``
        in log-only mode.
        """
        options = _recall_options(k, route, lexical_weight, vector_weight, tiers, speaker, session, since, until,
                                  asking_user, agent_name, where)
        return self._native.recall(_text(tenant, "tenant"), _text(question, "question"), options)

    def context(self, tenant: str, question: str, budget_tokens: int = 600, *, k: int = 10, route: str = "auto",
                tiers: Optional[Iterable[Union[Tier, str]]] = None, speaker: str = "", session: str = "",
                since: Optional[TimeLike] = None, until: Optional[TimeLike] = None, asking_user: str = "",
                agent_name: str = "", where: Optional[Mapping[str, str]] = None) -> Context:
        """Packs the memory relevant to ``question`` into a prompt-ready
        context of at most ``budget_tokens`` tokens, with provenance
        (``str(context)`` is the text). Options as for ``recall``."""
        options = _recall_options(k, route, None, None, tiers, speaker, session, since, until, asking_user,
                                  agent_name, where)
        return self._native.context(_text(tenant, "tenant"), _text(question, "question"), budget_tokens, options)

    def profile(self, tenant: str, speaker: str = "", *, as_of: Optional[TimeLike] = None,
                include_history: bool = False) -> List[PersonaFact]:
        """Persona facts of ``tenant`` (of ``speaker``, or everyone) valid at
        ``as_of`` (None = now: facts not closed); with ``include_history``,
        closed facts too."""
        return self._native.profile(_text(tenant, "tenant"), _text(speaker, "speaker"), _time_ms(as_of, "as_of"),
                                    bool(include_history))

    def graph(self, tenant: str, entity: str = "", *, hops: int = 1, max_edges: int = 500,
              as_of: Optional[TimeLike] = None) -> GraphView:
        """The graph neighbourhood of ``entity`` up to ``hops`` hops (every
        entity when ""), at most ``max_edges`` relations; with ``as_of``, the
        graph as it was then (relations stated by then and true then)."""
        return self._native.graph(_text(tenant, "tenant"), _text(entity, "entity"), hops, max_edges,
                                  _time_ms(as_of, "as_of"))

    def event_units(self, tenant: str) -> List[EventUnit]:
        """Event units derived from ``tenant``'s turns, in log order."""
        return self._native.event_units(_text(tenant, "tenant"))

    def summaries(self, tenant: str, max_sentences: int = 3) -> List[SessionSummary]:
        """Extractive summaries of ``tenant``'s sessions, in session order,
        each at most ``max_sentences`` statements."""
        return self._native.summaries(_text(tenant, "tenant"), max_sentences)

    def working_memory(self, tenant: str, session: str = "") -> List[StoredTurn]:
        """The most recent turns of (``tenant``, ``session``), oldest first."""
        return self._native.working_memory(_text(tenant, "tenant"), _text(session, "session"))

    # --- background enrichment ----------------------------------------------

    def pending_enrichments(self) -> int:
        """Background enrichment jobs still queued (0 without an enrichment extractor)."""
        return self._native.pending_enrichments()

    def wait_for_enrichment(self, timeout: float = 60.0) -> None:
        """Blocks until the enrichment queue is empty; raises
        ``engram.Unavailable`` after ``timeout`` seconds with jobs left."""
        self._native.wait_for_enrichment(int(timeout * 1000))


def read_locomo(path: Union[str, os.PathLike]) -> List[dict]:
    """Reads LoCoMo-format JSON: one dict per conversation with ``sample_id``,
    ``speaker_a``, ``speaker_b``, ``turns`` (dicts for ``observe_batch``) and
    ``questions`` (``question``, ``category``, ``evidence``)."""
    return _engram.read_locomo(os.fspath(path))


__all__ = ["Store", "read_locomo"]
