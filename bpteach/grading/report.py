"""report.md: the report as readable Markdown in which nothing a submission wrote is markup.

Student-controlled text (the file name, exception messages, anything quoted in a check
or a note) goes either through `inline`, which backslash-escapes every Markdown and HTML
character and flattens line breaks, or into a fenced block whose fence is longer than any
run of backticks inside it. So a message cannot draw a table, a heading or a comment.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~&$^\"=])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")


def inline(text) -> str:
    """One line of plain text, safe anywhere in Markdown (headings, table cells, list items)."""
    text = _CONTROL.sub(" ", str(text)).replace("\r", " ").replace("\n", " ")
    return _SPECIAL.sub(r"\\\1", text)


def fenced(lines) -> list[str]:
    """A fenced code block holding these lines verbatim: longer fence than any backtick run inside."""
    body = [_CONTROL.sub(" ", str(line)).replace("\r", " ") for line in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *body, fence]


def markdown(report: dict) -> str:
    lines = [f"# Report: {inline(report['submission'])}", "",
             f"**Score: {report['score']:g} / {report['max_score']:g}**", "",
             *([f"Graded against the exercises of {inline(report['source'])}.", ""] if report.get("source") else []),
             "| exercise | status | points |", "| --- | --- | --- |"]
    for e in report["exercises"]:
        lines.append(f"| {inline(e['name'])} | {inline(e['status'].replace('_', ' '))} | "
                     f"{e['points']:g} / {e['max_points']:g} |")
    for e in report["exercises"]:
        bad = [c["message"] for c in e["checks"] if not c["passed"] and c["message"]]
        if bad:
            lines += ["", f"## {inline(e['name'])}", ""] + fenced(f"- {m}" for m in bad)
    if report["notes"]:
        lines += ["", "## Notes", ""] + fenced(f"- {n}" for n in report["notes"])
    return "\n".join(lines) + "\n"
