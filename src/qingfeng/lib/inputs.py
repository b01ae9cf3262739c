"""What comes in from outside, made safe to store, show and export: the one set of input rules.

Text: Unicode NFC (the same words typed on two phones compare equal), line ends as "\\n",
the other control characters removed (tab and line feed kept), lone surrogates removed,
bidirectional embedding, override and isolate characters removed (they make "gpj.exe" read as "exe.jpg" on screen),
and a NUL refused. Numbers: an integer beyond what the databases hold is refused. JSON: at
most MAX_DEPTH levels of nesting, and every string and key cleaned as text.

Every refusal is an `InputRefused` with a sentence for the user; the web layer (core's
middleware, the API's parser) turns it into a 400.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

MAX_DEPTH = 32  # JSON nesting; the API's deepest body is three levels
MAX_INT = 2**63 - 1  # SQLite's INTEGER and PostgreSQL's bigint
# C0 and C1 controls but tab and line feed (CR is folded into LF first), DEL, and the bidi
# embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
# Lone surrogates (U+D800–U+DFFF: a JSON body may escape one, "\\ud800") are no text at all:
# no database can store them.
_DROPPED = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_LINE_ENDS = re.compile(r"\r\n?")


class InputRefused(ValueError):
    """Input the rules refuse; str() is the sentence for the user."""


def clean_text(value: str) -> str:
    """`value` by the text rules above; InputRefused for a NUL."""
    if "\x00" in value:
        raise InputRefused(_("提交的内容含有空字符（NUL），请删除后重新提交"))
    if value.isascii() and value.isprintable():
        return value  # the common case: nothing to do
    if "\r" not in value and not _DROPPED.search(value) and unicodedata.is_normalized("NFC", value):
        return value  # Chinese text as typed: nothing to do either
    return unicodedata.normalize("NFC", _DROPPED.sub("", _LINE_ENDS.sub("\n", value)))


def strip_controls(value: str) -> str:
    """`value` by the text rules, a NUL removed rather than refused: for text read from an
    uploaded file, where one stray byte must not refuse a whole workbook."""
    return clean_text(value.replace("\x00", ""))


def bounded_int(text: str) -> int:
    """An integer literal of a JSON document, refused beyond MAX_INT."""
    if len(text) > 20 or abs(int(text)) > MAX_INT:
        raise InputRefused(_("数值超出允许的范围"))
    return int(text)


def clean_data(data: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """JSON-like data (dicts, lists, strings, numbers) with every string and key cleaned.

    InputRefused when it nests deeper than `max_depth`, or for a NUL in any string."""
    return _clean(data, max_depth)


def _clean(data: Any, depth: int) -> Any:
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict | list):
        if depth <= 0:
            raise InputRefused(_("请求内容嵌套层数过多"))
        if isinstance(data, dict):
            return {clean_text(str(k)): _clean(v, depth - 1) for k, v in data.items()}
        return [_clean(v, depth - 1) for v in data]
    return data


def load_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON document by the rules above; InputRefused for anything else, with the reason.

    The parser itself is recursive: a document nested thousands deep fails there with a
    RecursionError, and is refused like one nested a little deeper than `max_depth`."""
    try:
        data = json.loads(raw, parse_int=bounded_int)
    except RecursionError:
        raise InputRefused(_("请求内容嵌套层数过多")) from None
    except InputRefused:
        raise
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InputRefused(_("请求内容不是有效的 JSON")) from None
    return clean_data(data, max_depth=max_depth)
