"""The public report's files, from a protected release (pure core, no Django): a static
HTML page with the methods note, one CSV per table, and one JSON file, to publish anywhere.

A suppressed figure is written "suppressed" in HTML and CSV and `{"suppressed": true}` in
JSON, never 0 and never blank, so it reads differently from a true zero; a row merged into
another says so. Percentages are computed only by `suppression.share`, from two published
counts. The page loads nothing: its style is in the file itself, so it opens from a disk.

Tables key facilities by code; HTML and CSV name them (``ReportInfo.facilities``), and
JSON gives both.
"""

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from kiteline.reports.suppression import share
from kiteline.reports.tables import (
    SUPPRESSED_TEXT,
    TOTAL,
    Merged,
    ProtectedRelease,
    ProtectedTable,
    Shown,
    Suppressed,
    public_text,
)


@dataclass(frozen=True)
class TableText:
    """What a table is, in words: its title, what a row and a column are, and which column
    (if any) is the share worth showing as a percentage of the row's total."""

    title: str
    rows_are: str
    definition: str
    percent_of: str | None = None


@dataclass(frozen=True)
class Wait:
    """Hours to the face-to-face visit at one facility; None for a group too small to
    describe (stats.MIN_GROUP). The number of requests behind it is not published: beside
    the tables, an extra count could let a suppressed one be worked out."""

    facility: str  # its code
    median_hours: float | None
    p90_hours: float | None


@dataclass(frozen=True)
class ReportInfo:
    period: str
    facilities: tuple[tuple[str, str], ...]  # (code, how the report names it)
    built_at: str  # ISO 8601
    methods: str  # the plain-language methods note, paragraphs separated by blank lines

    def label(self, key: str) -> str:
        """A row's or column's name: a facility's for its code, otherwise the key itself."""
        return dict(self.facilities).get(key, key)


def _json_value(shown: Shown) -> dict[str, object]:
    match shown:
        case Suppressed():
            return {"suppressed": True}
        case Merged(into=into):
            return {"merged_into": into}
        case int():
            return {"value": shown}


def _percent(table: ProtectedTable, row: str, column: str) -> str:
    value = share(table.value(row, column), table.value(row, TOTAL))
    return "" if value is None else f"{100 * value:.0f}%"


def table_csv(table: ProtectedTable, info: ReportInfo) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["", *map(info.label, table.columns), TOTAL])
    for i, row in enumerate((*table.rows, TOTAL)):
        writer.writerow([info.label(row), *(public_text(shown) for shown in table.shown[i])])
    return out.getvalue()


def _cell_html(shown: Shown) -> str:
    match shown:
        case Suppressed():
            return f'<td class="suppressed">{SUPPRESSED_TEXT}<sup>*</sup></td>'
        case Merged(into=into):
            return f'<td class="merged">merged into {escape(into)}</td>'
        case int():
            return f"<td>{shown}</td>"


def _table_html(table: ProtectedTable, text: TableText, info: ReportInfo) -> str:
    head = "".join(f'<th scope="col">{escape(info.label(c))}</th>' for c in (*table.columns, TOTAL))
    if text.percent_of is not None:
        head += f'<th scope="col">{escape(text.percent_of)}, % of total</th>'
    lines = []
    for i, row in enumerate((*table.rows, TOTAL)):
        cells = "".join(_cell_html(shown) for shown in table.shown[i])
        if text.percent_of is not None:
            cells += f"<td>{_percent(table, row, text.percent_of)}</td>"
        lines.append(f'<tr><th scope="row">{escape(info.label(row))}</th>{cells}</tr>')
    return (
        f'<section id="{escape(table.key)}"><h2>{escape(text.title)}</h2>'
        f"<p>{escape(text.definition)}</p>"
        f'<table><thead><tr><th scope="col">{escape(text.rows_are)}</th>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table>"
        f'<p class="files"><a href="{escape(table.key)}.csv">{escape(table.key)}.csv</a></p>'
        "</section>"
    )


STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #1b1f24; max-width: 72rem; margin: 2rem auto;
  padding: 0 1rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d6dbe0; }
td { font-variant-numeric: tabular-nums; }
td.suppressed { color: #5b6570; font-style: italic; }
td.merged { color: #5b6570; }
.files { font-size: .9rem; }
"""


def _waits_html(waits: Sequence[Wait], info: ReportInfo) -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(info.label(w.facility))}</th>'
        + (
            f"<td>{w.median_hours}</td><td>{w.p90_hours}</td>"
            if w.median_hours is not None
            else '<td colspan="2" class="suppressed">too few to show</td>'
        )
        + "</tr>"
        for w in waits
    )
    return (
        '<section id="waits"><h2>Hours from a request to the face-to-face visit</h2>'
        "<p>Median and 90th percentile of the requests seen in the quarter; shown only for "
        "11 or more requests.</p>"
        '<table><thead><tr><th scope="col">Facility</th>'
        '<th scope="col">Median</th><th scope="col">90th percentile</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def report_files(
    release: ProtectedRelease,
    texts: Mapping[str, TableText],
    waits: Sequence[Wait],
    info: ReportInfo,
) -> dict[str, bytes]:
    """Every file of the report: name → content."""
    files: dict[str, bytes] = {}
    for table in release.tables:
        files[f"{table.key}.csv"] = table_csv(table, info).encode()
    methods = "".join(f"<p>{escape(p.strip())}</p>" for p in info.methods.split("\n\n"))
    sections = "".join(_table_html(t, texts[t.key], info) for t in release.tables)
    files["index.html"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Mental-health care access, {escape(info.period)}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>Mental-health care access: {escape(', '.join(n for _, n in info.facilities))}, "
        f"{escape(info.period)}</h1>"
        f"<p>Built {escape(info.built_at)}. Counts of requests, screenings, decisions, appeals "
        "and required contacts; no person can be identified from them. "
        '<a href="report.json">report.json</a> holds every figure.</p>'
        f"<p><sup>*</sup> <em>{SUPPRESSED_TEXT}</em>: not published, because the count is "
        "from 1 to 10 or would let one be worked out. It is never a zero: a zero is "
        "written 0.</p>"
        f"{sections}{_waits_html(waits, info)}"
        f'<section id="methods"><h2>How these figures are made</h2>{methods}</section>'
        "</body></html>"
    ).encode()
    files["report.json"] = json.dumps(
        {
            "period": info.period,
            "facilities": [{"code": code, "name": name} for code, name in info.facilities],
            "built_at": info.built_at,
            "suppressed_means": "not published: from 1 to 10, or would let such a count be "
            "worked out; never zero",
            "tables": [
                {
                    "key": table.key,
                    "title": texts[table.key].title,
                    "definition": texts[table.key].definition,
                    "rows": [*table.rows, TOTAL],
                    "columns": [*table.columns, TOTAL],
                    "cells": [[_json_value(shown) for shown in line] for line in table.shown],
                }
                for table in release.tables
            ],
            "waits": [
                {"facility": w.facility, "median_hours": w.median_hours, "p90_hours": w.p90_hours}
                for w in waits
            ],
            "methods": info.methods,
        },
        indent=2,
    ).encode()
    return files
