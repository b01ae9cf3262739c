"""Column specs: which labels (and aliases) name a column, how it is written, and the words a
choice or yes/no cell may say.

A layout is a `Columns` of `Column`s. Labels are an exchange format with the offices' own
workbooks, so they are plain Chinese, not translated; only messages are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.utils import translation

from qingfeng.lib.xlsx.cells import fold, label_key

if TYPE_CHECKING:
    from django.db.models import Choices

TRUE_WORDS = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "对"})
FALSE_WORDS = frozenset({"否", "n", "no", "false", "0", "×", "✗", "无"})


@dataclass(frozen=True)
class Column:
    """One column of a layout.

    `key` names the field it fills, `label` heads it in the files we write, and `aliases`
    are the other labels offices give it. `group` is the merged label above it in a two-row
    header. `imported` False: written by an export, ignored by the import.
    """

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    width: int = 12
    group: str = ""
    imported: bool = True
    center: bool = False  # centred in the files we write (short words, numbers, dates)
    number_format: str = ""  # "@" keeps an identifier text (0012 stays 0012)


class Columns:
    """A layout's columns, with every label and alias folded for the header search."""

    def __init__(self, columns: Iterable[Column]) -> None:
        self.columns = tuple(columns)
        self.by_key = {c.key: c for c in self.columns}
        self.lookup: dict[str, str] = {}
        for column in self.columns:
            for word in (column.label, *column.aliases):
                self.lookup.setdefault(label_key(word), column.key)

    def __iter__(self) -> Iterator[Column]:
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    def label(self, key: str) -> str:
        """The label we write for a column."""
        return self.by_key[key].label

    def key_of(self, value: object) -> str | None:
        """The column a header cell names, or None."""
        return self.lookup.get(label_key(value))

    @property
    def required(self) -> tuple[Column, ...]:
        """The columns every sheet of this layout must have."""
        return tuple(c for c in self.columns if c.required)


@cache
def choice_words(choices: type[Choices]) -> dict[str, str]:
    """What a cell may say for each value: the Chinese label, the English label or the code,
    folded (see `fold`)."""
    words: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            words.update({fold(str(label)): str(value) for value, label in choices.choices})
    words.update({fold(str(value)): str(value) for value in choices.values if value})
    return words


def chinese_labels(choices: type[Choices]) -> dict[str, str]:
    """value -> Chinese label, without the blank "不适用" choice (a blank cell says that)."""
    with translation.override("zh-hans"):
        return {str(value): str(label) for value, label in choices.choices if value}


def yes_no(text: str, *, yes: Iterable[str] = (), no: Iterable[str] = ()) -> bool | None:
    """是/否 in any of the usual words (是 y yes true 1 √ 对 / 否 n no false 0 × 无), plus the
    layout's own `yes` and `no` words; None when the text says neither."""
    folded = fold(text)
    if folded in TRUE_WORDS or folded in yes:
        return True
    if folded in FALSE_WORDS or folded in no:
        return False
    return None
