"""A shields-style badge ("WOPI | conformant") as a static SVG file: no network, no web font, no script.

The text is measured with a small table of Verdana's advance widths at 11 px (the font shields.io uses), so the
badge fits its words without a browser; a viewer without Verdana falls back to a similar sans-serif.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

BADGE_COLOURS = {
    "conformant": "#4c1",
    "conformant with warnings": "#a4a61d",
    "not conformant": "#e05d44",
    "incomplete": "#9f9f9f",
}
"""Shields' brightgreen, yellowgreen, red and lightgrey."""
_LABEL_COLOUR = "#555"
_PADDING = 6
_NARROW = {**dict.fromkeys("iIjl|!.,:;'", 3.6), **dict.fromkeys("frt()[] -", 4.6)}
_WIDE = {**dict.fromkeys("mwMW", 10.5), **dict.fromkeys("ABCDGHKNOQRUVXYZ", 8.0)}
_AVERAGE = 6.9


def text_width(text: str) -> int:
    """Roughly how many pixels ``text`` takes in Verdana 11 px."""
    return round(sum(_NARROW.get(char, _WIDE.get(char, _AVERAGE)) for char in text))


def badge_svg(label: str, message: str, colour: str) -> str:
    """A flat two-part badge, ``label`` on grey and ``message`` on ``colour``, as an SVG document."""
    left = text_width(label) + 2 * _PADDING
    right = text_width(message) + 2 * _PADDING
    width = left + right
    title = escape(f"{label}: {message}")
    attr_title = escape(f"{label}: {message}", {'"': "&quot;"})
    label_text, message_text = escape(label), escape(message)
    # IDs of their own, so that badges inlined in one HTML page do not borrow each other's clip path.
    slug = re.sub(r"[^a-z0-9]+", "-", f"{label} {message}".lower()).strip("-")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{attr_title}">\n'
        f"  <title>{title}</title>\n"
        f'  <linearGradient id="shine-{slug}" x2="0" y2="100%">'
        '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>'
        "</linearGradient>\n"
        f'  <clipPath id="round-{slug}"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath>\n'
        f'  <g clip-path="url(#round-{slug})">'
        f'<rect width="{left}" height="20" fill="{_LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{width}" height="20" fill="url(#shine-{slug})"/></g>\n'
        '  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">\n'
        f'    <text x="{left / 2:g}" y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">{label_text}</text>\n'
        f'    <text x="{left / 2:g}" y="14">{label_text}</text>\n'
        f'    <text x="{left + right / 2:g}" y="15" fill="#010101" fill-opacity=".3" aria-hidden="true">'
        f"{message_text}</text>\n"
        f'    <text x="{left + right / 2:g}" y="14">{message_text}</text>\n'
        "  </g>\n"
        "</svg>\n"
    )


def verdict_badge(verdict: str, profile: str = "generic") -> str:
    """The badge of a certificate's verdict: "WOPI | conformant", or "WOPI collabora | ..." for a vendor profile."""
    label = "WOPI" if profile == "generic" else f"WOPI {profile}"
    return badge_svg(label, verdict, BADGE_COLOURS.get(verdict, BADGE_COLOURS["incomplete"]))
