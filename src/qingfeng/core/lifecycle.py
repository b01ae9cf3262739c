"""A life cycle as data (DESIGN.md §4): named moves from allowed states to one target state,
and the one way every workflow applies a move.

Each app declares its moves and the sentence for an illegal move; `target_of` checks a move,
`allowed` lists the moves a state permits. Illegal moves raise a clear `InvalidTransition`.

An app's `Workflow` puts these together with its event table and its audit name, and its
actions apply every move through `Workflow.move`, the locked state move:

    with WORKFLOW.move(problem, "assign", actor=actor) as step:
        problem.deadline = ...          # the action's own changes, on the new status
    # saved, with its event row and its audit row, in the caller's transaction

The move locks the row and decides on the status as stored: of two people deciding at once,
the second sees the first one's decision and gets a clear error, not a double transition.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, F, Model, OuterRef, Subquery, TextChoices, Value, When
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.functional import Promise

from qingfeng.core.audit import record_audit

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

StrOrPromise = str | Promise
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Move:
    label: StrOrPromise
    sources: frozenset[str]
    target: str


class InvalidTransition(ValidationError):
    """`message` has %(status)s and %(action)s, filled with the labels in the user's language."""

    def __init__(
        self,
        *,
        statuses: type[TextChoices],
        moves: Mapping[str, Move],
        message: StrOrPromise,
        status: str,
        action: str,
    ) -> None:
        self.status, self.action = status, action
        label = moves[action].label if action in moves else action
        super().__init__(
            str(message) % {"status": statuses(status).label, "action": label},
            code="invalid_transition",
        )


def target_of(moves: Mapping[str, Move], status: str, action: str) -> str | None:
    """The state the move leads to, or None when the move is not allowed from `status`."""
    move = moves.get(action)
    return move.target if move is not None and status in move.sources else None


def allowed(moves: Mapping[str, Move], status: str) -> list[str]:
    return [name for name, move in moves.items() if status in move.sources]


@dataclass
class Step(Generic[M]):
    """A move being applied, as the action's code inside `Workflow.move` sees it.

    The action may still set the event's `reason` and its other `columns` (the ticket's
    `unit`, `public`), and add to `note`, which goes into the audit row's `after`."""

    obj: M
    action: str
    from_status: str
    to_status: str
    reason: str = ""
    columns: dict[str, Any] = field(default_factory=dict)
    note: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Workflow(Generic[M]):
    """One app's life cycle: its moves, and where a move is written down.

    The event model has `action`, `from_status`, `to_status`, `actor` and `reason` columns
    and a foreign key named `event_subject` to `model`. `labels` names the events that are
    not moves (a submission, a merge noted on the master); every event written needs a name.
    `snapshot` is the state an audit row records before and after a move; `prepare` runs
    just before the row is saved (a ticket's light follows its new status). `frozen` names
    columns written once, when the row is made, and never by a move (a draw's pool, frozen
    at its commitment): `lock` does not read them with the row (a copy in memory is dropped,
    so what is used is read as stored, when it is used) and a move's save does not write them
    back, so a large frozen column costs nothing to the steps that do not use it.
    """

    model: type[M]
    statuses: type[TextChoices]
    moves: Mapping[str, Move]
    error: Callable[[str, str], InvalidTransition]
    event_model: type[Model]
    event_subject: str
    audit_prefix: str
    labels: Mapping[str, StrOrPromise] = field(default_factory=dict)
    snapshot: Callable[[M], dict[str, Any]] | None = None
    prepare: Callable[[M], None] | None = None
    touched: str = "updated_at"
    frozen: tuple[str, ...] = ()

    @property
    def event_labels(self) -> dict[str, StrOrPromise]:
        """Every event action this workflow writes, with its name: the moves and the rest."""
        return {**{name: move.label for name, move in self.moves.items()}, **self.labels}

    def status_at(self, moment: datetime) -> Combinable:
        """The status a row had at `moment`, read from its event log, as an expression for
        counts over a past period (the weekly report and the quarterly score read a period
        as it stood at its end, not as it stands today): the target of its last move before
        `moment`; else the source of its first move after it; else its stored status (a
        row with no moves, or none on either side). Callers count only rows that existed
        at `moment` (their own creation stamp)."""
        moves = self.event_model._default_manager.filter(
            **{self.event_subject: OuterRef("pk")}
        ).exclude(to_status="")
        last = moves.filter(created_at__lt=moment).order_by("-created_at", "-id")
        first = moves.filter(created_at__gte=moment).order_by("created_at", "id")
        logged = Coalesce(
            Subquery(last.values("to_status")[:1]),
            NullIf(Subquery(first.values("from_status")[:1]), Value("")),
            F("status"),
        )
        if not self.touched:
            return logged
        # A row untouched since `moment` has the status it had then: no need to read its log.
        return Case(When(**{f"{self.touched}__lt": moment}, then=F("status")), default=logged)

    def target(self, status: str, action: str) -> str:
        """The state `action` leads to from `status`, or the app's `InvalidTransition`."""
        target = target_of(self.moves, status, action)
        if target is None:
            raise self.error(status, action)
        return target

    def allowed(self, status: str) -> list[str]:
        return allowed(self.moves, status)

    def lock(self, obj: M) -> str:
        """Lock the row until the transaction ends and take it as stored: its status, and
        every other column too, so that the move's save cannot write back what a copy read
        before someone else's change (a lost update)."""
        rows = self.model._default_manager.select_for_update().filter(pk=obj.pk)
        stored = rows.defer(*self.frozen).first() if self.frozen else rows.first()
        if stored is not None:
            for field in self._moving_fields():
                setattr(obj, field.attname, getattr(stored, field.attname))
            for field in self.model._meta.concrete_fields:
                if field.name in self.frozen:  # a copy in memory is dropped: read as stored
                    obj.__dict__.pop(field.attname, None)
        return str(obj.status)  # type: ignore[attr-defined]

    def _moving_fields(self) -> list[Any]:
        """The columns a move may change: every concrete column but the frozen ones."""
        return [
            f
            for f in self.model._meta.concrete_fields
            if f.name not in self.frozen and not f.primary_key
        ]

    def record_event(
        self,
        obj: M,
        action: str,
        *,
        actor: User | None,
        from_status: str = "",
        to_status: str = "",
        reason: str = "",
        **columns: Any,
    ) -> Model:
        """The event row of a step in the life cycle (a move, or one of `labels`)."""
        if action not in self.moves and action not in self.labels:
            raise ValueError(f"event {action!r} has no label in the {self.audit_prefix} workflow")
        return self.event_model._default_manager.create(
            **{self.event_subject: obj},
            action=action,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason,
            **columns,
        )

    def apply(
        self, obj: M, action: str, *, actor: User | None, reason: str = "", **options: Any
    ) -> M:
        """`move` for an action that changes nothing but the status."""
        with self.move(obj, action, actor=actor, reason=reason, **options):
            pass
        return obj

    @contextmanager
    def move(
        self,
        obj: M,
        action: str,
        *,
        actor: User | None,
        reason: str = "",
        audit: str | bool = True,
        object_repr: str | None = None,
        **columns: Any,
    ) -> Iterator[Step[M]]:
        """Apply `action` to `obj`: lock, check the move on the stored status, set the new
        status, let the caller change its fields, then save the row and write the event row
        and the audit row — all in one transaction, so a refused move changes nothing.

        The audit action is `<audit_prefix>.<action>`, or `audit` when it is a name; `False`
        when the move is one step of an action that writes its own audit row."""
        with transaction.atomic():
            from_status = self.lock(obj)
            to_status = self.target(from_status, action)
            before = self.snapshot(obj) if self.snapshot is not None else None
            obj.status = to_status  # type: ignore[attr-defined]
            if self.touched:
                setattr(obj, self.touched, timezone.now())
            step = Step(obj, action, from_status, to_status, reason=reason, columns=columns)
            yield step
            if self.prepare is not None:
                self.prepare(obj)
            if self.frozen:
                obj.save(update_fields=[f.name for f in self._moving_fields()])
            else:
                obj.save()
            self.record_event(
                obj,
                action,
                actor=actor,
                from_status=from_status,
                to_status=to_status,
                reason=step.reason,
                **step.columns,
            )
            if audit is False:
                return
            after = {**(self.snapshot(obj) if self.snapshot is not None else {}), **step.note}
            record_audit(
                actor=actor,
                action=audit if isinstance(audit, str) else f"{self.audit_prefix}.{action}",
                obj=obj,
                before=before,
                after=after or None,
                object_repr=object_repr,
            )
