"""The client's handout as Markdown, or as one self-contained HTML page that prints on one or two pages.

Both render the same document (:mod:`massage_rules.output.handout_doc`) and
escape every text in it: Markdown with :func:`~massage_rules.output.markup.markdown`,
HTML with :func:`html.escape`. A safety rule a pack switched off for this client
is the first thing either says. The HTML page has no script, no link and no
external resource, and a Content-Security-Policy that forbids them all the same.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from massage_rules.knowledge.load import KnowledgeBase
from massage_rules.models import Recommendation
from massage_rules.output.handout_doc import Handout, Item, build_handout
from massage_rules.output.markup import markdown, terminal
from massage_rules.output.names import names_of

__all__ = ["render_html", "render_markdown"]


def _handout(
    result: Recommendation,
    knowledge: KnowledgeBase | None,
    picks: Sequence[str] | None,
    client: str | None,
    therapist: str | None,
    date: dt.date | None,
) -> Handout:
    return build_handout(result, names_of(knowledge), picks=picks, client=client, therapist=therapist, date=date)


def render_markdown(
    result: Recommendation,
    *,
    knowledge: KnowledgeBase | None = None,
    picks: Sequence[str] | None = None,
    client: str | None = None,
    therapist: str | None = None,
    date: dt.date | None = None,
) -> str:
    """The handout for the client as Markdown: ``picks`` are technique ids (default: the top three).

    ``knowledge`` gives the names (the bundled base when None); ``date`` defaults to
    today. Raises :class:`~massage_rules.ProfileError` for a pick the answer does not offer.
    """
    doc = _handout(result, knowledge, picks, client, therapist, date)

    def item(entry: Item) -> str:
        strong = f"**{markdown(entry.strong)}** " if entry.strong else ""
        return f"{strong}{markdown(entry.text)}"

    out = [f"# {markdown(doc.title)}", ""]
    out += [line for entry in doc.safety_notices for line in (f"> {item(entry)}", "")]
    out += [" · ".join(f"**{markdown(key)}:** {markdown(value)}" for key, value in doc.meta), ""]
    out += [line for entry in doc.notices for line in (f"> {item(entry)}", "")]
    out += [markdown(doc.intro), ""]
    for section in doc.sections:
        out += [f"## {markdown(section.heading)}", ""]
        out += [f"- {item(entry)}" for entry in section.items]
        out.append("")
    out.append(f"*{markdown(doc.closing)}*")
    return "\n".join(out) + "\n"


_CSS = """\
:root { color-scheme: light; }
body { font: 11pt/1.45 "Helvetica Neue", Helvetica, Arial, sans-serif; color: #111; max-width: 42rem;
       margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; }
h2 { font-size: 1.1rem; margin: 1.1rem 0 .3rem; border-bottom: 1px solid #bbb; padding-bottom: .1rem; }
ul { margin: .2rem 0; padding-left: 1.2rem; }
li { margin: .2rem 0; }
p { margin: .4rem 0; }
.meta { color: #333; }
.notice { border: 2px solid #b00; border-radius: 4px; padding: .4rem .6rem; margin: .6rem 0; }
.safety { border-color: #a60; background: #fff6e5; }
.closing { color: #444; font-size: .9rem; margin-top: 1.2rem; }
@page { margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  li, .notice { break-inside: avoid; }
}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; base-uri 'none'"


def render_html(
    result: Recommendation,
    *,
    knowledge: KnowledgeBase | None = None,
    picks: Sequence[str] | None = None,
    client: str | None = None,
    therapist: str | None = None,
    date: dt.date | None = None,
) -> str:
    """The handout as one self-contained HTML page (no script, no external resource), styled for print.

    The same options as :func:`render_markdown`.
    """
    doc = _handout(result, knowledge, picks, client, therapist, date)

    def esc(text: str) -> str:
        return html.escape(terminal(text).replace("\n", " "), quote=True)

    def item(entry: Item) -> str:
        strong = f"<strong>{esc(entry.strong)}</strong> " if entry.strong else ""
        return f"{strong}{esc(entry.text)}"

    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(doc.title)}</title>",
        f"<style>\n{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(doc.title)}</h1>",
    ]
    out += [f'<p class="notice safety">{item(entry)}</p>' for entry in doc.safety_notices]
    out.append('<p class="meta">' + " · ".join(f"<strong>{esc(k)}:</strong> {esc(v)}" for k, v in doc.meta) + "</p>")
    out += [f'<p class="notice">{item(entry)}</p>' for entry in doc.notices]
    out.append(f"<p>{esc(doc.intro)}</p>")
    for section in doc.sections:
        out.append(f"<h2>{esc(section.heading)}</h2>")
        out.append("<ul>")
        out += [f"<li>{item(entry)}</li>" for entry in section.items]
        out.append("</ul>")
    out += [f'<p class="closing">{esc(doc.closing)}</p>', "</body>", "</html>"]
    return "\n".join(out) + "\n"
