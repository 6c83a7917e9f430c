"""Charts drawn on the server as inline SVG: no chart library, no CDN, nothing to load."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from markupsafe import Markup

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_AREA = 22, 6, 230, 520
LINE_WIDTH, LINE_HEIGHT, PAD = 760, 220, 44
COLOURS = ("#1f6feb", "#d9480f", "#2f9e44", "#7048e8")
Point = tuple[datetime, float | None]


def bar_chart(items: Sequence[tuple[str, int | None]], *, title: str,
              suppressed_label: str = "<10") -> Markup:
    """Returns a horizontal bar chart; a suppressed (None) value gets an empty, labelled bar."""
    largest = max((value or 0 for _, value in items), default=0) or 1
    height = len(items) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    width = LABEL_WIDTH + BAR_AREA + 90
    parts = [_svg_open(width, height, title)]
    for index, (label, value) in enumerate(items):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        length = 0 if value is None else max(1, round(BAR_AREA * value / largest))
        shown = suppressed_label if value is None else f"{value:,}".replace(",", ".")
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(series: dict[str, Sequence[Point]], *, title: str) -> Markup:
    """Returns a line chart of one or more per-minute series over a shared time axis."""
    points = [p for values in series.values() for p in values if p[1] is not None]
    parts = [_svg_open(LINE_WIDTH, LINE_HEIGHT, title), _axes()]
    if not points:
        parts.append(f'<text x="{LINE_WIDTH // 2}" y="{LINE_HEIGHT // 2}" '
                     'text-anchor="middle" class="empty">–</text></svg>')
        return Markup("".join(parts))
    start = min(p[0] for p in points).timestamp()
    span = max(max(p[0] for p in points).timestamp() - start, 60.0)
    top = max(float(p[1] or 0) for p in points) or 1.0
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        xy = [(_x(t.timestamp(), start, span), _y(float(v), top)) for t, v in values
              if v is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                     'stroke-width="2"/>')
        if len(xy) <= 60:  # dots keep short series (one minute, a gap) visible
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'
                         for x, y in xy)
        parts.append(f'<text x="{PAD + 8 + index * 140}" y="16" fill="{colour}">'
                     f"■ {escape(name)}</text>")
    parts.append(_labels(start, span, top))
    parts.append("</svg>")
    return Markup("".join(parts))


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" class="chart">'
            f"<title>{escape(title)}</title>")


def _x(t: float, start: float, span: float) -> float:
    return PAD + (LINE_WIDTH - 2 * PAD) * (t - start) / span


def _y(value: float, top: float) -> float:
    return LINE_HEIGHT - PAD + -(LINE_HEIGHT - 2 * PAD) * value / top


def _axes() -> str:
    bottom, right = LINE_HEIGHT - PAD, LINE_WIDTH - PAD
    return (f'<line x1="{PAD}" y1="{bottom}" x2="{right}" y2="{bottom}" class="axis"/>'
            f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{bottom}" class="axis"/>')


def _labels(start: float, span: float, top: float) -> str:
    first = datetime.fromtimestamp(start).strftime("%H:%M")
    last = datetime.fromtimestamp(start + span).strftime("%H:%M")
    bottom = LINE_HEIGHT - PAD
    return (f'<text x="{PAD}" y="{bottom + 18}">{first}</text>'
            f'<text x="{LINE_WIDTH - PAD}" y="{bottom + 18}" text-anchor="end">{last}</text>'
            f'<text x="{PAD - 6}" y="{PAD + 4}" text-anchor="end">{round(top)}</text>'
            f'<text x="{PAD - 6}" y="{bottom}" text-anchor="end">0</text>')
