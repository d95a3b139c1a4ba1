"""A criterion's plain-language text, with placeholders for the facts it shows (pure core).

``"PHQ-9 total {phq9_total} on {phq9_date}; at least 15 needed"`` shows the evidence
beside the reason. A placeholder is a fact's name in braces and nothing else: no
attribute access, indexing or format spec, because the text is written by a supervisor and
rendered for residents, and ``str.format`` would let ``{x.__class__}`` reach into objects.
``{{`` and ``}}`` write a literal brace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kiteline.care.facts import FACTS, FactValue, render_value

MAX_TEXT_CHARS = 1_000
_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class TemplateError(ValueError):
    """A text whose placeholders cannot be rendered; the message says which and why."""


@dataclass(frozen=True)
class Template:
    """A text split once into literal parts and fact names, so rendering is a join."""

    source: str
    parts: tuple[str | Placeholder, ...]

    @property
    def shows(self) -> tuple[str, ...]:
        return tuple(part.fact for part in self.parts if isinstance(part, Placeholder))


@dataclass(frozen=True)
class Placeholder:
    fact: str


def parse_template(source: str) -> Template:
    if not source.strip():
        raise TemplateError("the text is empty")
    if len(source) > MAX_TEXT_CHARS:
        raise TemplateError(f"the text is longer than {MAX_TEXT_CHARS:,} characters")
    parts: list[str | Placeholder] = []
    position = 0
    for found in _PART.finditer(source):
        parts.append(source[position : found.start()])
        position = found.end()
        token = found.group()
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif found.group(1) is None:
            raise TemplateError(
                f"a lone {token!r} at character {found.start() + 1}; write {token * 2}"
            )
        elif found.group(1) not in FACTS:
            raise TemplateError(f"unknown fact {{{found.group(1)}}} in the text")
        else:
            parts.append(Placeholder(found.group(1)))
    parts.append(source[position:])
    return Template(source, tuple(part for part in parts if part != ""))


def render(template: Template, values: Mapping[str, FactValue], language: str) -> str:
    """The text with each placeholder replaced by the fact's value (or "not recorded")."""
    return "".join(
        render_value(part.fact, values.get(part.fact), language)
        if isinstance(part, Placeholder)
        else part
        for part in template.parts
    )
