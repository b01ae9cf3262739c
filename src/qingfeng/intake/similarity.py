"""Near-duplicate tickets: the same matter reported again within 90 days, about the same unit
or a unit of its family — the units above it up to its county, and the units below it. A
parent writes to the school, another to the county bureau about the school: one matter. Two
sibling schools, or two counties, are never compared.

What is compared. The text is normalised (full-width → half-width, lower case, punctuation
and spaces dropped), the names of units and a short list of words every complaint uses are
cut out (two tickets about one school share its name whatever they say), and what is left
becomes a set of character bigrams and trigrams. Beside them, `features.facts` reads what a
parent states in whatever words: people by surname and post (班主任李老师 = 李某老师 = 李老师),
amounts (２００元 = 二百元 = 200元), grades (初一 = 七年级), practices (补课, 体罚, 收礼 …, each
by the words people use for it) and the words of the text (`qingfeng.lib.segment`).
`compare` scores a pair: the better of the character overlap and the word overlap (the
overlap coefficient, which holds up when one reporter writes three lines and another a
page), raised for each kind of fact both state alike and lowered for each kind both state
differently (another teacher, another grade, another practice: another matter). A score of
at least `FLAG_THRESHOLD` is recorded as a `TicketDuplicateFlag` with a one-line reason
("同一学校、同一教师“李老师”、金额 200 元、补课") for a person to confirm with the existing
merge; `bench/duplicates.py` measures precision and recall on a labelled set.

How candidates are found: an index lookup, never a scan. A MinHash signature of the
shingles and facts (one-permutation MinHash: one keyed hash per item, 32 bins, the minimum
of each bin, empty bins filled from another bin chosen by a seed-derived sequence; people,
amounts, practices and grades entered several times, so that a paraphrase naming the same
teacher shares bins) is the same in every process and on every machine. Each bin is one
LSH band of one row; its key mixes a *group*, the bin and the minimum. A ticket's chain is
its county-level unit down to its own unit (`chain`); the ticket writes its keys under
"at <its unit>" and "below <u>" for each unit u above it in the chain (a school's ticket:
at the school, below the county — 64 rows). A new ticket looks up "at <its unit>", "below
<its unit>" and "at <u>" for each unit above it in the chain. So the school's ticket finds
the county's (at county) and the county's finds the school's (below county), while a sibling
school's ticket was written under keys nobody in this school looks up. The `TicketBand`
lookup on the index (band_key, created_at, ticket) returns only family tickets that share a
minimum inside the 90-day window; the best few by shared bins are then compared exactly.

Band rows are only needed while a ticket is inside the window of the tickets still to come:
the backfill writes none for older tickets and `prune_bands` (`manage.py intake_signatures
--prune`, daily) removes them as tickets age, so the table holds about 90 days of tickets.
A change of the tree (a school moved to another county) takes effect for its old tickets
when `manage.py intake_signatures --all` rebuilds the bands; `VERSION` makes the backfill
recompute signatures made by an older algorithm.

The pure functions (normalise … compare) know nothing of Django; the rest reads and writes
the tables.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.intake import features
from qingfeng.intake.models import Ticket, TicketBand, TicketDuplicateFlag, TicketSignature
from qingfeng.lib.keywords import normalise
from qingfeng.orgs.models import Unit

if TYPE_CHECKING:
    from qingfeng.intake.routing import UnitMatcher

VERSION = 2  # bump when anything below changes the signature; the backfill recomputes
SEED = b"qingfeng.intake.minhash.v1"
BINS = 32
SHINGLE_SIZES = (2, 3)
WINDOW = timedelta(days=90)
FLAG_THRESHOLD = 0.4  # compare(): see bench/duplicates.py for where the set puts it
# MinHash copies of a person, an amount, a practice, a grade: a paraphrase shares few
# bigrams, and without them two tickets naming the same teacher might share no bin at all.
FACT_WEIGHTS = {"p": 6, "a": 6, "d": 4, "g": 2}
CANDIDATE_LIMIT = 16  # candidates scored exactly, the ones sharing most bins first
_MASK32 = 0xFFFFFFFF
_SEP = "\x00"

# Words nearly every ticket uses; left in, they make two different matters look alike.
GENERIC_WORDS = (
    *sorted(features.COMPLAINT_WORDS),
    "的",
    "了",
    "是",
    "在",
    "也",
    "都",
    "就",
    "和",
    "请",
)


# --- Pure functions ---------------------------------------------------------------------------


_NOT_WORD = re.compile(r"[\W_]+")  # what str.isalnum() refuses: punctuation, symbols, spaces


_GENERIC = re.compile(
    "|".join(re.escape(w) for w in sorted({normalise(w) for w in GENERIC_WORDS}, key=len)[::-1])
)


def _pieces(text: str, drop: Iterable[str]) -> list[str]:
    """The normalised text cut at punctuation and at every dropped phrase (longest first),
    then at the generic words, so no shingle spans the place where they were."""
    marked = _NOT_WORD.sub(_SEP, unicodedata.normalize("NFKC", text or "").casefold())
    for phrase in sorted({normalise(p) for p in drop} - {""}, key=len, reverse=True):
        marked = marked.replace(phrase, _SEP)
    return [p for p in _GENERIC.sub(_SEP, marked).split(_SEP) if p]


def shingles(
    text: str, *, drop: Iterable[str] = (), sizes: Sequence[int] = SHINGLE_SIZES
) -> set[str]:
    """Character n-grams of the text (bigrams and trigrams by default), without the dropped
    phrases and the generic words. A piece shorter than n gives no n-gram."""
    result: set[str] = set()
    for piece in _pieces(text, drop):
        for n in sizes:
            result.update(piece[i : i + n] for i in range(len(piece) - n + 1))
    return result


_BASE = hashlib.blake2b(digest_size=8, key=SEED)


def _hash64(value: str) -> int:
    h = _BASE.copy()
    h.update(value.encode("utf-8"))
    return int.from_bytes(h.digest(), "big")


def minhash(items: Iterable[str], *, bins: int = BINS) -> tuple[int, ...]:
    """One-permutation MinHash: each item hashed once with the keyed hash, the hash picks a
    bin and the rest of it is the value; each bin keeps its minimum (32 bits). An empty bin
    takes the value of the first non-empty bin on its own seed-derived probe sequence, so
    two sets that are equal get equal signatures. An empty set has an empty signature."""
    mins: list[int | None] = [None] * bins
    for item in items:
        h = _hash64(item)
        b, value = h % bins, (h // bins) & _MASK32
        current = mins[b]
        if current is None or value < current:
            mins[b] = value
    if all(m is None for m in mins):
        return ()
    filled: list[int] = []
    for b, m in enumerate(mins):
        attempt = 0
        while m is None:
            attempt += 1
            m = mins[_hash64(f"{b}:{attempt}") % bins]
        filled.append(m)
    return tuple(filled)


def estimate_jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """The share of bins where two signatures agree: an estimate of the Jaccard similarity."""
    if not a or not b or len(a) != len(b):
        return 0.0
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def band_keys(signature: Sequence[int], *, group: int | str) -> list[int]:
    """One LSH key per bin (bands of one row), signed 64-bit, mixing the group (a unit, or
    the units below one) in: keys of different groups never meet."""
    keys: list[int] = []
    for b, value in enumerate(signature):
        digest = _BASE.copy()
        digest.update(f"{group}:{b}:{value}".encode())
        keys.append(int.from_bytes(digest.digest(), "big", signed=True))
    return keys


def pack(signature: Sequence[int]) -> bytes:
    return struct.pack(f">{len(signature)}I", *signature)


def unpack(data: bytes) -> tuple[int, ...]:
    return struct.unpack(f">{len(data) // 4}I", bytes(data))


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def overlap(a: set[str], b: set[str]) -> float:
    """|A ∩ B| / min(|A|, |B|): a short ticket inside a long one about the same matter."""
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


# --- Comparing two tickets -------------------------------------------------------------------


@dataclass(frozen=True)
class Features:
    """What a ticket is compared on: its character shingles and the facts it states."""

    shingles: frozenset[str]
    facts: features.Facts

    def items(self) -> set[str]:
        """The MinHash items: shingles and facts. A person or an amount is entered more than
        once (a fact weighs more than a bigram), so that two tickets naming the same teacher
        share a bin more often than two that only share characters."""
        items = set(self.shingles) | self.facts.items()
        for kind, values in (
            ("p", self.facts.people),
            ("a", self.facts.amounts),
            ("d", _core(self.facts.practices)),
            ("g", self.facts.grades),
        ):
            weight = FACT_WEIGHTS[kind]
            items.update(f"{kind}:{v}#{i}" for v in values for i in range(1, weight))
        return items


@dataclass(frozen=True)
class Comparison:
    score: float  # 0–1
    people: tuple[str, ...]  # the facts both tickets state
    amounts: tuple[str, ...]
    grades: tuple[str, ...]
    practices: tuple[str, ...]


# How much a fact both tickets state (or state differently) moves the text score. A fact
# stated differently weighs more than one stated alike: two complaints about one school that
# share words but name different teachers, grades or practices are most often two matters.
AGREE = {"people": 0.2, "amounts": 0.15, "grades": 0.05, "practices": 0.1}
DIFFER = {"people": 0.35, "amounts": 0.15, "grades": 0.25, "practices": 0.3}


def _core(practices: frozenset[str]) -> frozenset[str]:
    core = practices - features.CIRCUMSTANCES
    return core or practices


def compare(a: Features, b: Features) -> Comparison:
    """The similarity of two tickets (both about units of one family): the text score — the
    better of the character and the word overlap — moved up for every kind of fact both
    state alike (the same teacher, amount, grade, practice) and down for every kind both
    state differently. Clipped to 0–1."""
    text = max(
        overlap(set(a.shingles), set(b.shingles)), overlap(set(a.facts.words), set(b.facts.words))
    )
    score = text
    shared: dict[str, tuple[str, ...]] = {}
    for kind in ("people", "amounts", "grades", "practices"):
        mine, theirs = getattr(a.facts, kind), getattr(b.facts, kind)
        common = mine & theirs
        if kind == "practices":
            # Only what was done tells matters apart, not what it cost or when it was.
            core = mine - features.CIRCUMSTANCES, theirs - features.CIRCUMSTANCES
            if all(core):
                mine, theirs = core
                common = mine & theirs
        shared[kind] = tuple(sorted(common))
        if not mine or not theirs:
            continue
        score += AGREE[kind] if common else -DIFFER[kind]
    return Comparison(max(0.0, min(1.0, score)), **shared)


# --- The tables -------------------------------------------------------------------------------


def ticket_text(title: str, content: str) -> str:
    return f"{title}\n{content}"


def warm() -> None:
    """What the first duplicate check of a process loads: jieba's dictionary and tagger
    (lib/segment.py) and the unit-name matcher. The task worker runs it before its first job
    (registry.add_worker_warmup)."""
    from qingfeng.lib import segment

    segment.words("作风建设")
    _matcher()


def _matcher() -> UnitMatcher:
    from qingfeng.intake.routing import get_matcher

    return get_matcher(fresh=False)


def ticket_shingles(title: str, content: str, *, matcher: UnitMatcher | None = None) -> set[str]:
    """The shingles a ticket is compared on: its title and content without any unit name,
    short name or alias the text mentions."""
    text = ticket_text(title, content)
    return shingles(text, drop=(matcher or _matcher()).terms_in(text))


def ticket_features(title: str, content: str, *, matcher: UnitMatcher | None = None) -> Features:
    """The shingles and the facts of a ticket, unit names left out of both."""
    text = ticket_text(title, content)
    drop = (matcher or _matcher()).terms_in(text)
    return Features(frozenset(shingles(text, drop=drop)), features.facts(text, drop=drop))


def chain(unit_id: int | None, path: str, matcher: UnitMatcher) -> list[int]:
    """The unit's ancestors from its county-level unit down, the unit last: the nearest unit
    above (or the unit itself) that is a 县区教育局, else the top-level unit below the root
    (a department, a directly run school), else the root alone. [0] for no unit."""
    if unit_id is None:
        return [0]
    ids = [int(segment) for segment in path.split("/") if segment] or [unit_id]
    top = next(
        (
            i
            for i in range(len(ids) - 1, -1, -1)
            if (info := matcher.units.get(ids[i])) is not None and info.kind == Unit.Kind.COUNTY
        ),
        min(1, len(ids) - 1),
    )
    return ids[top:]


def _write_groups(lineage: Sequence[int]) -> list[str]:
    """A ticket's band groups: its own unit, and "below" each unit above it in the chain."""
    return [f"at:{lineage[-1]}", *(f"below:{u}" for u in lineage[:-1])]


def _read_groups(lineage: Sequence[int]) -> list[str]:
    """The groups a ticket looks in: its unit, the units below it, each unit above it."""
    return [f"at:{lineage[-1]}", f"below:{lineage[-1]}", *(f"at:{u}" for u in lineage[:-1])]


def _lineage(ticket: Ticket, matcher: UnitMatcher) -> list[int]:
    unit = ticket.unit if ticket.unit_id else None
    return chain(ticket.unit_id, unit.path if unit is not None else "", matcher)


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    created_at: datetime
    score: float  # compare(), 0–1
    shared_bins: int
    reason: str = ""


def _computed(ticket: Ticket, matcher: UnitMatcher) -> tuple[Features, tuple[int, ...]]:
    found = ticket_features(ticket.title, ticket.content, matcher=matcher)
    return found, minhash(found.items())


def _insert_bands(rows: list[tuple[int, int, datetime]]) -> None:
    """(ticket id, band key, created at) rows in one executemany: a backfill writes millions,
    and building a model instance per row cost ten times the hashing."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(TicketBand._meta.db_table)
    sql = f"INSERT INTO {table} (ticket_id, band_key, created_at) VALUES (%s, %s, %s)"  # noqa: S608 (our own table name)
    adapt = ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(pk, key, adapt(created)) for pk, key, created in rows])


def _band_rows(
    ticket: Ticket, signature: Sequence[int], lineage: Sequence[int]
) -> list[tuple[int, int, datetime]]:
    return [
        (ticket.pk, key, ticket.created_at)
        for group in _write_groups(lineage)
        for key in band_keys(signature, group=group)
    ]


def store_signature(
    ticket: Ticket, *, computed: tuple[Features, tuple[int, ...]] | None = None
) -> TicketSignature:
    """Compute and store the ticket's signature and band keys (again, if they exist)."""
    matcher = _matcher()
    found, signature = computed or _computed(ticket, matcher)
    with transaction.atomic():
        TicketBand.objects.filter(ticket=ticket).delete()
        row, _created = TicketSignature.objects.update_or_create(
            ticket=ticket,
            defaults={
                "version": VERSION,
                "minhash": pack(signature),
                "shingle_count": len(found.shingles),
                "facts": found.facts.to_json(),
                "computed_at": timezone.now(),
            },
        )
        _insert_bands(_band_rows(ticket, signature, _lineage(ticket, matcher)))
    return row


def store_signatures(tickets: Sequence[Ticket], *, bands_since: datetime | None = None) -> int:
    """`store_signature` for a batch in a handful of queries (the backfill). With
    `bands_since`, older tickets get their signature but no band rows: no new ticket will
    look that far back (`prune_bands` drops such rows as tickets age)."""
    if not tickets:
        return 0
    matcher = _matcher()
    ids = [t.pk for t in tickets]
    paths = dict(
        Unit.objects.filter(pk__in={t.unit_id for t in tickets if t.unit_id}).values_list(
            "pk", "path"
        )
    )
    now = timezone.now()
    signatures: list[TicketSignature] = []
    bands: list[tuple[int, int, datetime]] = []
    for ticket in tickets:
        found, signature = _computed(ticket, matcher)
        signatures.append(
            TicketSignature(
                ticket=ticket,
                version=VERSION,
                minhash=pack(signature),
                shingle_count=len(found.shingles),
                facts=found.facts.to_json(),
                computed_at=now,
            )
        )
        if bands_since is None or ticket.created_at >= bands_since:
            lineage = chain(ticket.unit_id, paths.get(ticket.unit_id or 0, ""), matcher)
            bands.extend(_band_rows(ticket, signature, lineage))
    with transaction.atomic():
        TicketBand.objects.filter(ticket_id__in=ids).delete()
        TicketSignature.objects.filter(ticket_id__in=ids).delete()
        TicketSignature.objects.bulk_create(signatures)
        _insert_bands(bands)
    return len(signatures)


def explain(
    comparison: Comparison, *, same_unit: bool, unit_kind: str, units: tuple[str, str]
) -> str:
    """Why two tickets were flagged, in a line: "同一学校、同一教师“李老师”、金额 200 元、补课"."""
    parts: list[str] = []
    if same_unit:
        school = unit_kind in (Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN)
        parts.append(str(_("同一学校") if school else _("同一单位")))
    elif units[0] or units[1]:
        parts.append(str(_("上下级单位（%(a)s、%(b)s）") % {"a": units[0], "b": units[1]}))
    for person in comparison.people:
        post = person[-2:]
        label = {"老师": _("同一教师“%(p)s”"), "校长": _("同一校长“%(p)s”")}.get(
            post, _("同一人员“%(p)s”")
        )
        parts.append(str(label % {"p": person}))
    if comparison.amounts:
        parts.append(str(_("金额 %(a)s 元") % {"a": "、".join(comparison.amounts)}))
    if comparison.grades:
        parts.append(str(_("%(g)s 年级") % {"g": "、".join(comparison.grades)}))
    parts.extend(comparison.practices)
    if len(parts) <= 1:
        parts.append(str(_("文字相近")))
    return "、".join(parts)[:200]


def candidates_for(
    ticket: Ticket,
    *,
    limit: int = CANDIDATE_LIMIT,
    threshold: float = FLAG_THRESHOLD,
    computed: tuple[Features, tuple[int, ...]] | None = None,
    matcher: UnitMatcher | None = None,
) -> list[Candidate]:
    """Tickets about the same unit, a unit above it up to its county or a unit below it,
    created within 90 days of this one, whose text is nearly the same matter: best first.

    Two queries whatever the size of the table (and, every half minute, the unit matcher's
    stamp): the band index (the keys of this ticket's groups only, inside the window,
    counted per ticket, the `limit` sharing most bins), then those few candidates' texts and
    stored facts, compared exactly. Works for a ticket whose bands are not stored (its signature is
    computed in memory)."""
    matcher = matcher or _matcher()
    mine, signature = computed or _computed(ticket, matcher)
    if not signature:
        return []
    lineage = _lineage(ticket, matcher)
    keys = [key for group in _read_groups(lineage) for key in band_keys(signature, group=group)]
    shared = (
        TicketBand.objects.filter(
            band_key__in=keys,
            created_at__gte=ticket.created_at - WINDOW,
            created_at__lte=ticket.created_at + WINDOW,
        )
        .exclude(ticket_id=ticket.pk)
        .values("ticket_id")
        .annotate(n=Count("id"))
        .order_by("-n", "-ticket_id")[:limit]
    )
    bins = {row["ticket_id"]: row["n"] for row in shared}
    if not bins:
        return []
    found: list[Candidate] = []
    # The family, whatever a key collision says: the unit, the units above it in the chain,
    # the units below it.
    others = Ticket.objects.filter(pk__in=bins)
    unit = ticket.unit if ticket.unit_id else None
    if unit is None:
        others = others.filter(unit__isnull=True)
    else:
        others = others.filter(Q(unit_id__in=lineage) | Q(unit__path__startswith=unit.path))
    rows = others.values_list(
        "pk",
        "created_at",
        "title",
        "content",
        "unit_id",
        "unit__name",
        "signature__version",
        "signature__facts",
    )
    for pk, created_at, title, content, unit_id, unit_name, version, stored in rows:
        if version == VERSION and stored:  # the stored facts: no tokenizer run per candidate
            text = ticket_text(title, content)
            drop = matcher.terms_in(text)
            theirs = Features(
                frozenset(shingles(text, drop=drop)), features.Facts.from_json(stored)
            )
        else:
            theirs = ticket_features(title, content, matcher=matcher)
        comparison = compare(mine, theirs)
        if comparison.score < threshold:
            continue
        same = unit_id == ticket.unit_id
        if unit is not None and not same:
            pair = (unit.name, unit_name)
            lower, upper = pair if unit_id in lineage else pair[::-1]
        else:
            upper = lower = ""
        kind = unit.kind if unit is not None else ""
        reason = explain(comparison, same_unit=same, unit_kind=kind, units=(upper, lower))
        found.append(Candidate(pk, created_at, comparison.score, bins[pk], reason))
    found.sort(key=lambda c: (-c.score, -c.shared_bins, -c.ticket_id))
    return found


def record_duplicates(ticket: Ticket) -> list[TicketDuplicateFlag]:
    """Store the ticket's signature and flag its near-duplicates (idempotent).

    Computed outside any transaction, written in short ones (the signature and its bands,
    then the flags): on SQLite the write lock is not held while the text is cut into words
    (the first time in a process, jieba's dictionary loads: about a second) and compared,
    which had every submission of the channel wait behind the task worker. The signature is
    stored before the candidates are read, so of two near-duplicates checked at once at
    least the later check finds the other; a pair found twice is stored once.

    Flags are rows rather than candidates recomputed on every page view: the queue shows its
    badge from one indexed query, the flag keeps the score and the reason the check found at
    the time, and re-running the check (a retried job, the backfill) adds nothing twice. A
    pair is stored once, the newer ticket pointing at the older one; the pages read both
    directions."""
    matcher = _matcher()
    computed = _computed(ticket, matcher)
    store_signature(ticket, computed=computed)
    flags: list[TicketDuplicateFlag] = []
    for found in candidates_for(ticket, computed=computed, matcher=matcher):
        newer, older = ticket.pk, found.ticket_id
        if (found.created_at, found.ticket_id) > (ticket.created_at, ticket.pk):
            newer, older = older, newer
        score = round(found.score * 100)
        flags.append(
            TicketDuplicateFlag(
                ticket_id=newer, candidate_id=older, score=score, reason=found.reason
            )
        )
    TicketDuplicateFlag.objects.bulk_create(flags, ignore_conflicts=True)
    return flags


def band_cutoff(now: datetime | None = None) -> datetime:
    """Band rows of tickets created before this are never looked up by a new ticket."""
    return (now or timezone.now()) - WINDOW - timedelta(days=1)


def prune_bands(*, now: datetime | None = None) -> int:
    """Drop the band rows of tickets older than the window (and a day); their signatures
    stay, so the bands can be rebuilt. Returns the rows deleted."""
    cutoff = band_cutoff(now)
    old = Ticket.objects.filter(created_at__lt=cutoff).values("pk")
    deleted, _by_model = TicketBand.objects.filter(ticket__in=old, created_at__lt=cutoff).delete()
    return deleted
