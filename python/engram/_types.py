"""Result types: plain dataclasses with ``to_dict()`` and a short ``repr``.

Times are timezone-aware UTC ``datetime`` objects, or ``None`` when unknown.
``to_dict()`` returns builtin values only (times as ISO 8601 text, tiers as
their names), so ``json.dumps(result.to_dict())`` works.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional


class Tier(str, enum.Enum):
    """A memory tier: where a remembered item comes from."""

    WORKING = "working"
    EPISODIC = "episodic"
    PERSONA = "persona"
    GRAPH = "graph"

    def __str__(self) -> str:
        return self.value


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready builtins (recursively)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Result:
    """Mixin: ``to_dict()`` for every result dataclass."""

    __slots__ = ()

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a dict of builtin values (times as ISO 8601 text)."""
        return _plain(self)


@dataclass(slots=True)
class Hit(_Result):
    """One remembered item."""

    kind: str  #: "turn", "unit", "fact", "relation" or "summary"
    tier: Tier
    source_ids: List[str]  #: ids of the turns it comes from
    text: str
    speaker: str
    session: str
    time: Optional[datetime]
    score: float  #: the fused score used for ranking
    signals: Dict[str, float] = field(default_factory=dict)  #: per-signal scores ("bm25", "vector", ...)
    id: str = ""  #: stable id of a unit, fact or relation ("fact:12.1"); a turn's source id

    def __repr__(self) -> str:
        return (f"Hit(kind={self.kind!r}, score={self.score:.3f}, source_ids={self.source_ids!r}, "
                f"speaker={self.speaker!r}, text={_short(self.text)!r})")


@dataclass(slots=True)
class RouteInfo(_Result):
    """How a question was read and answered: the route taken."""

    name: str  #: "single_fact", "multi_hop", "temporal", "persona", "open", "hybrid", ...
    question_kind: str
    targets: List[str]  #: participants the question is about
    entities: List[str]  #: entities mentioned
    since: Optional[datetime]  #: time constraint read from the question (inclusive), if any
    until: Optional[datetime]  #: end of that constraint (exclusive), if any
    graph_expansion: bool
    likely_unanswerable: bool  #: the question names someone none of the best hits is about
    weights: Dict[str, float]
    steps: List[str]  #: what ran, in order, in words

    def __repr__(self) -> str:
        return f"RouteInfo(name={self.name!r}, targets={self.targets!r}, steps={len(self.steps)})"


@dataclass(slots=True)
class RecallResult(_Result):
    """What ``Store.recall`` returns: the hits, best first, and the route."""

    hits: List[Hit]
    route: RouteInfo
    embed_us: int  #: microseconds spent embedding the query
    search_us: int  #: microseconds spent on everything else

    def __repr__(self) -> str:
        best = f", best={self.hits[0]!r}" if self.hits else ""
        return f"RecallResult(route={self.route.name!r}, hits={len(self.hits)}{best})"

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self):
        return iter(self.hits)


@dataclass(slots=True)
class ContextSection(_Result):
    """One part of a context: "working", "persona", "evidence" or "related"."""

    name: str
    items: List[Hit]

    def __repr__(self) -> str:
        return f"ContextSection(name={self.name!r}, items={len(self.items)})"


@dataclass(slots=True)
class Context(_Result):
    """A prompt-ready memory context within a token budget."""

    sections: List[ContextSection]
    text: str  #: the rendering, at most the budget
    tokens: int  #: its size in tokens (engram's estimate: bytes / 4)
    route: RouteInfo

    def __repr__(self) -> str:
        names = [s.name for s in self.sections]
        return f"Context(tokens={self.tokens}, sections={names!r}, route={self.route.name!r})"

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True)
class StoredTurn(_Result):
    """A turn as stored. ``to_dict()`` has the conversation-format fields
    (tenant, session, time, speaker, text, id, metadata) plus ``seq``, and can
    be passed back to ``Store.observe_batch``."""

    seq: int  #: log sequence number
    tenant: str
    session: str
    speaker: str
    text: str
    time: Optional[datetime]
    id: str  #: the source id ("D1:3"; "auto:<seq>" when none was given)
    metadata: Dict[str, str] = field(default_factory=dict)  #: the caller's key/value labels

    def __repr__(self) -> str:
        return (f"StoredTurn(seq={self.seq}, id={self.id!r}, session={self.session!r}, "
                f"speaker={self.speaker!r}, text={_short(self.text)!r})")


@dataclass(slots=True)
class EventUnit(_Result):
    """A short, self-contained statement distilled from a turn."""

    text: str
    subject: str  #: the participant it is about
    time: Optional[datetime]  #: the session time of the source turn
    event_from: Optional[datetime]  #: normalised time of the event, if any
    event_to: Optional[datetime]  #: end of that range
    source_ids: List[str]
    id: str = ""  #: stable id ("unit:<seq>.<n>")

    def __repr__(self) -> str:
        return f"EventUnit(subject={self.subject!r}, text={_short(self.text)!r})"


@dataclass(slots=True)
class PersonaFact(_Result):
    """A stable trait or preference of one participant, with its validity."""

    subject: str
    attribute: str  #: "likes", "occupation", "home", "pet", ...
    value: str
    valid_from: Optional[datetime]
    valid_to: Optional[datetime]  #: None = still valid
    confidence: float
    source_ids: List[str]
    negated: bool  #: the statement ends the fact ("I stopped bouldering")
    id: str = ""  #: stable id ("fact:<seq>.<n>"); ``Store.forget(tenant, fact=id)`` takes it

    def __repr__(self) -> str:
        closed = "" if self.valid_to is None else f", valid_to={self.valid_to.date().isoformat()}"
        return f"PersonaFact({self.subject!r} {self.attribute} {self.value!r}{closed})"


@dataclass(slots=True)
class Entity(_Result):
    """A named entity of the graph."""

    name: str
    type: str  #: "person", "place", "organisation", "thing", "event" or "other"
    aliases: List[str]
    source_ids: List[str]

    def __repr__(self) -> str:
        return f"Entity({self.name!r}, type={self.type!r})"


@dataclass(slots=True)
class Relation(_Result):
    """A typed, time-stamped edge: subject -relation-> object. ``time`` is
    when it was stated; ``valid_from``/``valid_to`` when it was true (a
    later lives_in, works_at, ... of the same subject closes it)."""

    subject: str
    relation: str  #: "sister_of", "lives_in", "likes", ...
    object: str
    time: Optional[datetime]
    source_ids: List[str]
    valid_from: Optional[datetime] = None
    valid_to: Optional[datetime] = None  #: None = still true
    id: str = ""  #: stable id ("rel:<seq>.<n>"); ``Store.forget(tenant, relation=id)`` takes it

    def __repr__(self) -> str:
        return f"Relation({self.subject!r} -{self.relation}-> {self.object!r})"


@dataclass(slots=True)
class GraphView(_Result):
    """A neighbourhood of the graph."""

    entities: List[Entity]
    relations: List[Relation]

    def __repr__(self) -> str:
        return f"GraphView(entities={len(self.entities)}, relations={len(self.relations)})"


@dataclass(slots=True)
class SessionSummary(_Result):
    """An extractive summary of one session."""

    session: str
    start: Optional[datetime]  #: time of its first turn
    end: Optional[datetime]  #: time of its last turn
    text: str  #: the chosen statements, in conversation order
    source_ids: List[str]

    def __repr__(self) -> str:
        return f"SessionSummary(session={self.session!r}, text={_short(self.text)!r})"


@dataclass(slots=True)
class TenantStats(_Result):
    """Counts of what a tenant's memory holds."""

    tenant: str
    sessions: int
    turns: int
    bytes: int  #: text bytes of the tenant's turns
    units: int
    facts: int
    entities: int
    relations: int


@dataclass(slots=True)
class TurnVersion(_Result):
    """One version of a turn, as ``Store.history`` returns it: version 1 is
    the turn as first observed; ``replaced`` is when a later version replaced
    it (None = the current one)."""

    version: int
    replaced: Optional[datetime]
    session: str
    speaker: str
    text: str
    time: Optional[datetime]
    id: str

    def __repr__(self) -> str:
        return f"TurnVersion({self.version}, id={self.id!r}, text={_short(self.text)!r})"


@dataclass(slots=True)
class ForgetReport(_Result):
    """What ``Store.forget_tenant`` or ``Store.forget`` removed (or, with
    ``dry_run``, would remove), per kind ("turns", "units", ...); ``kept``:
    facts and relations other turns still support; ``disk_checked``: with
    sync, every file of the store folder was searched after the purge."""

    removed: Dict[str, int]
    kept: Dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    disk_checked: bool = False
    files_checked: int = 0

    @property
    def total(self) -> int:
        """Records removed, all kinds together."""
        return sum(self.removed.values())

    def __repr__(self) -> str:
        return f"ForgetReport(total={self.total}, removed={self.removed!r})"


RESULT_CLASSES = {cls.__name__: cls for cls in (
    Tier, Hit, RouteInfo, RecallResult, ContextSection, Context, StoredTurn, EventUnit, PersonaFact, Entity,
    Relation, GraphView, SessionSummary, TenantStats, ForgetReport)}
