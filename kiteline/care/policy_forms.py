"""The policy editor's form, and reading its text as JSON: what was typed is kept whatever
it holds, and a fault is reported with its line and column so it can be found."""

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kiteline.care.storable import Unstorable, unstorable

# A policy within every cap of the engine (40 criteria of 2,000 characters, texts of 1,000
# in two languages, 10 alternatives) is well under this; anything longer is not stored.
MAX_DRAFT_CHARS = 400_000
ACTIONS = ("save", "check", "diff", "try")


class DraftForm(forms.Form):
    body = forms.CharField(
        # Kept exactly as typed, so that a line and column found in it are where they say.
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false"}),
        label=_("The draft policy, as JSON"),
    )
    resident_number = forms.CharField(
        required=False, max_length=32, label=_("Resident number, to try the draft on")
    )


@dataclass(frozen=True)
class JsonFault:
    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class ParsedDraft:
    body: dict[str, Any] | None  # None when the text is not a JSON object that can be stored
    fault: JsonFault | None


def parse_draft(text: str) -> ParsedDraft:
    """The text as a JSON object, or the fault that stops it being one."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        return ParsedDraft(None, JsonFault(error.msg, error.lineno, error.colno))
    except RecursionError:
        return ParsedDraft(None, JsonFault(str(_("The JSON is nested too deeply."))))
    except ValueError as error:
        # NaN and Infinity are not JSON; nor is a number too long to read.
        return ParsedDraft(None, JsonFault(str(error)))
    if not isinstance(value, dict):
        return ParsedDraft(None, JsonFault(str(_("A policy is a JSON object: {...}."))))
    unstorable = _unstorable(value)
    if unstorable is not None:
        return ParsedDraft(None, JsonFault(unstorable))
    return ParsedDraft(value, None)


def _no_constant(name: str) -> object:
    raise ValueError(str(_("%(name)s is not a JSON value.") % {"name": name}))


UNSTORABLE = {
    Unstorable.TEXT: _("The text holds a NUL character or a lone surrogate (\\u0000, \\ud800)."),
    Unstorable.NUMBER: _("A number is too large to store."),
    Unstorable.DEPTH: _("The JSON is nested too deeply."),
}


def _unstorable(value: object) -> str | None:
    fault = unstorable(value)
    return None if fault is None else str(UNSTORABLE[fault])


def draft_text(body: object) -> str:
    """A stored body as the editor shows it: indented, non-ASCII as written, keys in the
    format's order (PostgreSQL keeps a JSON object's keys in an order of its own)."""
    return json.dumps(canonical(body), indent=2, ensure_ascii=False)


_TOP = ("service", "version", "criteria", "rule", "offered_instead")
_CRITERION = ("id", "expression", "met_text", "not_met_text")
_RULE = ("combine", "review_when_met")
_TEXT = ("en", "es")


def canonical(body: object) -> object:
    """The keys of a policy's known parts in the order the format documents them, any
    other key after them; only the known parts are visited, so no nesting is too deep."""
    if not isinstance(body, dict):
        return body
    top = _ordered(body, _TOP)
    if isinstance(top.get("criteria"), list):
        top["criteria"] = [_criterion(item) for item in top["criteria"]]
    if isinstance(top.get("rule"), dict):
        top["rule"] = _ordered(top["rule"], _RULE)
    if isinstance(top.get("offered_instead"), list):
        top["offered_instead"] = [
            _ordered(item, _TEXT) if isinstance(item, dict) else item
            for item in top["offered_instead"]
        ]
    return top


def _criterion(item: object) -> object:
    if not isinstance(item, dict):
        return item
    ordered = _ordered(item, _CRITERION)
    for key in ("met_text", "not_met_text"):
        if isinstance(ordered.get(key), dict):
            ordered[key] = _ordered(ordered[key], _TEXT)
    return ordered


def _ordered(value: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    known = {key: value[key] for key in keys if key in value}
    return known | {key: value[key] for key in sorted(value) if key not in known}
