"""A life cycle as data (DESIGN.md §4): named moves from allowed states to one target state.

Each app declares its moves and the sentence for an illegal move; `target_of` checks a move,
`allowed` lists the moves a state permits. Illegal moves raise a clear `InvalidTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.functional import Promise

StrOrPromise = str | Promise


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
        moves: dict[str, Move],
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


def target_of(moves: dict[str, Move], status: str, action: str) -> str | None:
    """The state the move leads to, or None when the move is not allowed from `status`."""
    move = moves.get(action)
    return move.target if move is not None and status in move.sources else None


def allowed(moves: dict[str, Move], status: str) -> list[str]:
    return [name for name, move in moves.items() if status in move.sources]
