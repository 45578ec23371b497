"""Geometry for the Stats page's charts, drawn by the server as SVG (templates/partials/chart_*.html).

No charting library and no script: the numbers become rectangles here, the template writes
them out, and the stylesheet colours them by class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


def nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5, 10, 20, 50, ...)."""
    if value <= 0:
        return 1
    magnitude = 10 ** int(math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


@dataclass(frozen=True)
class HorizontalBars:
    """One row per item: a label, a bar scaled to the largest value, and the value."""

    rows: list[dict]
    height: int
    width: int = 400
    label_width: int = 150
    row_height: int = 28

    @classmethod
    def build(cls, items: list[tuple[str, int, str]], *, width: int = 400) -> HorizontalBars:
        label_width, row_height, value_width = 150, 28, 40
        span = width - label_width - value_width
        top = max((value for _, value, _ in items), default=0) or 1
        rows = []
        for i, (label, value, css) in enumerate(items):
            bar = round(span * value / top, 1)
            rows.append(
                {
                    "label": label,
                    "value": value,
                    "css": css,
                    "y": i * row_height,
                    "text_y": i * row_height + 18,
                    "bar_x": label_width,
                    "bar_width": max(bar, 2 if value else 0),
                    "value_x": label_width + bar + 6,
                }
            )
        return cls(rows=rows, height=max(len(items), 1) * row_height, width=width)


@dataclass(frozen=True)
class HourlyBars:
    """Two bars per hour (sent, received) over 24 hours, with a y axis and hour labels."""

    rects: list[Rect]
    ticks: list[dict]
    hour_labels: list[dict]
    width: int
    height: int
    plot_left: int
    plot_bottom: int
    total_sent: int
    total_received: int

    @classmethod
    def build(cls, rows: list[dict], *, width: int = 960, height: int = 220) -> HourlyBars:
        left, right, top, bottom = 40, 8, 10, 24
        plot_w, plot_h = width - left - right, height - top - bottom
        peak = nice_max(max((max(r["sent"], r["received"]) for r in rows), default=0))
        slot = plot_w / max(len(rows), 1)
        bar_w = max(slot / 2 - 1.5, 1)
        rects: list[Rect] = []
        labels: list[dict] = []
        for i, row in enumerate(rows):
            start: datetime = row["start"]
            hour = start.strftime("%H:00")
            for j, (field, css, word) in enumerate(
                (("sent", "bar-sent", "out"), ("received", "bar-received", "in"))
            ):
                value = row[field]
                h = round(plot_h * value / peak, 1)
                rects.append(
                    Rect(
                        x=round(left + i * slot + 1 + j * (bar_w + 1), 1),
                        y=round(top + plot_h - h, 1),
                        width=round(bar_w, 1),
                        height=h,
                        css=css,
                        title=f"{hour}: {value} {word}",
                    )
                )
            if i % 3 == 0:
                labels.append({"x": round(left + i * slot + slot / 2, 1), "text": hour})
        # Whole numbers only: the middle of an axis up to 5 would read "2.5 messages".
        ticks = [
            {"y": round(top + plot_h - plot_h * frac, 1), "text": f"{peak * frac:g}"}
            for frac in (0, 0.5, 1)
            if float(peak * frac).is_integer()
        ]
        return cls(
            rects=rects,
            ticks=ticks,
            hour_labels=labels,
            width=width,
            height=height,
            plot_left=left,
            plot_bottom=top + plot_h,
            total_sent=sum(r["sent"] for r in rows),
            total_received=sum(r["received"] for r in rows),
        )
