"""engram: long-horizon memory for LLM agents.

::

    import engram
    with engram.Store("memory") as store:
        store.observe("dana", speaker="Dana", text="I ran the Porto half marathon.",
                      time="2024-03-10T09:15:00Z")
        print(store.recall("dana", "Which race did Dana run?").hits[0].text)

See ``docs/python.md``.
"""

from typing import Callable, Optional

from . import _engram
from ._engram import (AlreadyExists, Corruption, Error, FailedPrecondition, Internal, InvalidArgument, IOError, NotFound,
                      NotSupported, Unavailable)
from ._embedders import (Embedder, Extractor, FunctionEmbedder, HttpEmbedder, LlmExtractor, RuleBasedExtractor,
                         UseLiteEmbedder)
from ._store import Store, read_locomo
from ._types import (Context, ContextSection, Entity, EventUnit, ForgetReport, GraphView, Hit, PersonaFact,
                     RecallResult, Relation, RouteInfo, SessionSummary, StoredTurn, TenantStats, Tier, TurnVersion,
                     RESULT_CLASSES as _RESULT_CLASSES)

_engram._register_result_classes(_RESULT_CLASSES)

__version__ = "0.1.0"

_LOG_LEVELS = {"off": 0, "error": 1, "warn": 2, "info": 3, "debug": 4}


def set_log_level(level: str) -> None:
    """Sends engram's messages at or above ``level`` ("off" (default),
    "error", "warn", "info", "debug") to the log handler."""
    if level not in _LOG_LEVELS:
        raise InvalidArgument(f"unknown log level {level!r} (expected {', '.join(_LOG_LEVELS)})")
    _engram.set_log_level(_LOG_LEVELS[level])


def set_log_handler(handler: Optional[Callable[[str, str], None]]) -> None:
    """Where engram's messages go: ``handler(level: str, message: str)``,
    called from the thread that logs (with the GIL). None restores the
    default (standard error)."""
    if handler is None:
        _engram.set_log_handler(None)
        return
    names = {v: k for k, v in _LOG_LEVELS.items()}
    _engram.set_log_handler(lambda level, message: handler(names.get(level, str(level)), message))


def default_use_lite_model_dir() -> str:
    """The folder ``UseLiteEmbedder`` reads when ``model_dir`` is empty."""
    return _engram.default_use_lite_model_dir()


__all__ = [
    "Store", "read_locomo", "set_log_level", "set_log_handler", "default_use_lite_model_dir",
    "Embedder", "FunctionEmbedder", "UseLiteEmbedder", "HttpEmbedder", "Extractor", "RuleBasedExtractor",
    "LlmExtractor",
    "Tier", "Hit", "RouteInfo", "RecallResult", "ContextSection", "Context", "StoredTurn", "EventUnit",
    "PersonaFact", "Entity", "Relation", "GraphView", "SessionSummary", "TenantStats", "ForgetReport",
    "TurnVersion",
    "Error", "NotFound", "InvalidArgument", "Corruption", "IOError", "NotSupported", "FailedPrecondition",
    "Unavailable", "Internal", "AlreadyExists",
]
