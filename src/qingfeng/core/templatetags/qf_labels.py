"""Choice labels for rows of a list, looked up in a table built once per field and language.

    {% load qf_labels %}{{ p|choice_label:"status" }}      {# = p.get_status_display #}

`get_FOO_display` builds a dictionary of the field's choices on every call, hashing each
lazily translated label, so every label of the field is translated again for every row:
on a list page of 30 rows that was about a thousand `gettext` calls (issue 12). The labels do
not change while a process runs; only the language does, which is part of the key.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.db.models import Field, Model
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=512)
def labels_of(model: type[Model], field_name: str, language: str | None) -> dict[Any, str]:
    """The field's value → label (as `str` in `language`), for the values that have one."""
    field = model._meta.get_field(field_name)
    if not isinstance(field, Field):
        raise TypeError(f"{field_name} is not a column of {model.__name__}")
    return {make_hashable(value): str(label) for value, label in field.flatchoices}


@register.filter
def choice_label(obj: Model, field_name: str) -> Any:
    """What `obj.get_<field_name>_display()` shows: the label of the field's value, or the
    value itself when it has none."""
    value = getattr(obj, field_name)  # choices are on plain columns: the name is the attribute
    return labels_of(type(obj), field_name, get_language()).get(make_hashable(value), value)
