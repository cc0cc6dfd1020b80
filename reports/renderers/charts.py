"""The report's bar charts, laid out once and drawn twice: as vector shapes in the PDF
(reportlab) and as a PNG image in the DOCX (Pillow, so Word shows the same picture).

The layout measures every label in the font it is drawn in, so labels never overlap: a
category's label wraps at spaces under its bar, and a chart whose labels (or bar values) do not
fit under and above its bars is drawn with horizontal bars instead, the labels beside them.
`Chart.label_boxes()` gives every text's box, which the tests check for overlaps."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics

from .. import numbers
from ..builder import ReportData
from .fonts import BOLD, FONT, font_path, register_fonts, text_width

NAVY = "#1F3B5C"
GREY = "#5F6B7A"
GRID = "#E3E8EE"
AXIS = "#C9D3DE"
TITLE_SIZE = 9
LABEL_SIZE = 7
VALUE_SIZE = 7
LEADING = 1.25  # line height as a multiple of the font size
GAP = 3  # between a bar and its value, a label and its axis


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass
class Label:
    """A line of text; (x, y) is its baseline's start, middle or end (`anchor`)."""

    text: str
    x: float
    y: float
    size: float = LABEL_SIZE
    bold: bool = False
    colour: str = NAVY
    anchor: str = "start"

    @property
    def font(self) -> str:
        return BOLD if self.bold else FONT

    def box(self) -> Box:
        register_fonts()
        width = text_width(self.text, self.size, self.font)
        ascent, descent = pdfmetrics.getAscentDescent(self.font, self.size)
        left = self.x - {"start": 0, "middle": width / 2, "end": width}[self.anchor]
        return Box(left, self.y + descent, width, ascent - descent)


@dataclass
class Bar:
    x: float
    y: float
    w: float
    h: float
    colour: str


@dataclass
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str = AXIS
    width: float = 0.5


@dataclass
class Chart:
    width: float
    height: float
    horizontal: bool = False
    title: str = ""
    bars: list[Bar] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    def label_boxes(self) -> list[Box]:
        return [label.box() for label in self.labels]


@dataclass
class Series:
    name: str
    colour: str
    values: list[float]  # what is drawn ("<5" is drawn as 0)
    shown: list[str]  # what is written at the end of each bar


def wrap(
    text: str, width: float, size: float, *, lines: int = 3, bold: bool = False
) -> list[str] | None:
    """`text` in lines no wider than `width`, broken at spaces only; None when a word is too
    wide or it takes more than `lines` lines."""
    font = BOLD if bold else FONT
    out: list[str] = []
    for word in str(text).split() or [""]:
        if text_width(word, size, font) > width:
            return None
        if out and text_width(f"{out[-1]} {word}", size, font) <= width:
            out[-1] = f"{out[-1]} {word}"
        else:
            out.append(word)
    return out if len(out) <= lines else None


def squeeze(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """`text` in at most two lines no wider than `width`, the rest cut with an ellipsis (the
    table beside the chart holds the full name)."""
    font = BOLD if bold else FONT
    lines = wrap(text, width, size, lines=2, bold=bold)
    if lines:
        return lines
    words, out = str(text).split(), [""]
    for word in words:
        trial = f"{out[-1]} {word}".strip()
        if text_width(trial, size, font) <= width:
            out[-1] = trial
        elif len(out) < 2 and text_width(word, size, font) <= width:
            out.append(word)
        else:
            cut = trial
            while cut and text_width(cut + "…", size, font) > width:
                cut = cut[:-1]
            out[-1] = cut.rstrip() + "…"
            break
    return [line for line in out if line]


def nice_step(top: float, room: float, spacing: float) -> float:
    """A step of 1, 2 or 5 times a power of ten that puts ticks at least `spacing` apart
    along `room` points for values up to `top`."""
    top = max(top, 1.0)
    most = max(1, int(room // spacing))
    step = 10 ** math.floor(math.log10(top / most)) if top / most >= 1 else 1
    while True:
        for factor in (1, 2, 5):
            if math.ceil(top / (step * factor)) <= most:
                return step * factor
        step *= 10


def tick_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def header(chart: Chart, title: str, series: list[Series]) -> float:
    """The title and, for more than one series, the legend (beside the title when both fit
    on one line, else under it). Returns the height they take."""
    chart.title = title
    lines = wrap(title, chart.width, TITLE_SIZE, bold=True) or squeeze(
        title, chart.width, TITLE_SIZE, bold=True
    )
    for i, line in enumerate(lines):
        y = chart.height - TITLE_SIZE - i * TITLE_SIZE * LEADING
        chart.labels.append(Label(line, 0, y, TITLE_SIZE, bold=True, colour=NAVY))
    used = len(lines) * TITLE_SIZE * LEADING + 2
    if len(series) < 2:
        return used
    items = [(s, 7 + GAP + text_width(s.name, LABEL_SIZE)) for s in series]
    legend_w = sum(w for _s, w in items) + 8 * (len(items) - 1)
    beside = len(lines) == 1 and text_width(title, TITLE_SIZE, BOLD) + 12 + legend_w <= chart.width
    y = chart.height - TITLE_SIZE if beside else chart.height - used - LABEL_SIZE
    x = chart.width - legend_w
    for s, w in items:
        chart.bars.append(Bar(x, y - 0.5, 7, 7, s.colour))
        chart.labels.append(Label(s.name, x + 7 + GAP, y, LABEL_SIZE, colour=NAVY))
        x += w + 8
    return used if beside else used + LABEL_SIZE * LEADING + 2


def vertical(
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    width: float,
    plot_height: float,
    value_max: float | None = None,
    step: float | None = None,
) -> Chart | None:
    """Bars standing on the category axis, or None when a label or value does not fit."""
    n, k = len(categories), len(series)
    top = max([v for s in series for v in s.values] + [0])
    tick_h = LABEL_SIZE * LEADING
    step = step or nice_step(top, plot_height, 2.2 * tick_h)
    value_max = value_max or max(step, math.ceil(top / step) * step)
    ticks = [step * i for i in range(int(round(value_max / step)) + 1)]
    left = max(text_width(tick_text(t), LABEL_SIZE) for t in ticks) + GAP + 2
    slot = (width - left - 2) / n
    wrapped = [wrap(c, slot - 4, LABEL_SIZE) for c in categories]
    if any(lines is None for lines in wrapped):
        return None
    group = slot * (0.7 if k > 1 else 0.6)
    bar_w = group / k
    if any(
        text_width(shown, VALUE_SIZE, BOLD) > (bar_w - 1 if k > 1 else slot - 4)
        for s in series
        for shown in s.shown
    ):
        return None
    bottom = GAP + max(len(lines) for lines in wrapped) * LABEL_SIZE * LEADING + 2
    height_above = VALUE_SIZE * LEADING + GAP
    chart = Chart(width=width, height=0)
    # The header's height does not depend on the chart's: lay it out on a trial chart first.
    trial = Chart(width=width, height=100)
    head = header(trial, title, series)
    chart.height = head + height_above + plot_height + bottom
    header(chart, title, series)
    y0 = bottom
    scale = plot_height / value_max
    for t in ticks:
        y = y0 + t * scale
        chart.rules.append(Rule(left, y, width, y, GRID if t else AXIS, 0.4))
        chart.labels.append(
            Label(
                tick_text(t),
                left - GAP,
                y - LABEL_SIZE * 0.35,
                LABEL_SIZE,
                colour=GREY,
                anchor="end",
            )
        )
    chart.rules.append(Rule(left, y0, left, y0 + plot_height))
    for i, lines in enumerate(wrapped):
        centre = left + slot * (i + 0.5)
        for j, line in enumerate(lines):
            y = y0 - GAP - LABEL_SIZE - j * LABEL_SIZE * LEADING
            chart.labels.append(Label(line, centre, y, LABEL_SIZE, anchor="middle"))
        for s_index, s in enumerate(series):
            x = centre - group / 2 + s_index * bar_w
            h = min(s.values[i], value_max) * scale
            chart.bars.append(Bar(x + 0.5, y0, bar_w - 1, h, s.colour))
            chart.labels.append(
                Label(
                    s.shown[i],
                    x + bar_w / 2,
                    y0 + h + GAP,
                    VALUE_SIZE,
                    bold=k == 1,
                    anchor="middle",
                )
            )
    return chart


def horizontal(
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    width: float,
    value_max: float | None = None,
    step: float | None = None,
) -> Chart:
    """Bars along the value axis, one row per category with its label beside it."""
    k = len(series)
    top = max([v for s in series for v in s.values] + [0])
    natural = max(text_width(c, LABEL_SIZE) for c in categories) + 2 * GAP
    label_col = min(natural, width * 0.42)
    wrapped = [squeeze(c, label_col - 2 * GAP, LABEL_SIZE) for c in categories]
    value_w = max(text_width(v, VALUE_SIZE, BOLD) for s in series for v in s.shown) + 2 * GAP
    plot_w = width - label_col - value_w
    widest_tick = text_width(tick_text(max(top, 1) * 10), LABEL_SIZE)
    step = step or nice_step(top, plot_w, widest_tick + 10)
    value_max = value_max or max(step, math.ceil(top / step) * step)
    ticks = [step * i for i in range(int(round(value_max / step)) + 1)]
    bar_h = 9 if k == 1 else 7
    line_h = LABEL_SIZE * LEADING
    rows = [max(len(lines) * line_h, k * bar_h) + 5 for lines in wrapped]
    bottom = GAP + LABEL_SIZE * LEADING + 2
    trial = Chart(width=width, height=100)
    head = header(trial, title, series)
    chart = Chart(width=width, height=head + 4 + sum(rows) + bottom, horizontal=True)
    header(chart, title, series)
    scale = plot_w / value_max
    y_top = chart.height - head - 4
    for t in ticks:
        x = label_col + t * scale
        chart.rules.append(Rule(x, bottom, x, y_top, GRID if t else AXIS, 0.4))
        chart.labels.append(
            Label(
                tick_text(t),
                x,
                bottom - GAP - LABEL_SIZE * 0.8,
                LABEL_SIZE,
                colour=GREY,
                anchor="middle",
            )
        )
    chart.rules.append(Rule(label_col, bottom, label_col + plot_w, bottom))
    y = y_top
    for i, lines in enumerate(wrapped):
        middle = y - rows[i] / 2
        text_top = middle + len(lines) * line_h / 2
        for j, line in enumerate(lines):
            baseline = text_top - (j + 1) * line_h + LABEL_SIZE * 0.3
            chart.labels.append(Label(line, label_col - GAP, baseline, LABEL_SIZE, anchor="end"))
        bars_top = middle + k * bar_h / 2
        for s_index, s in enumerate(series):
            by = bars_top - (s_index + 1) * bar_h
            w = min(s.values[i], value_max) * scale
            chart.bars.append(Bar(label_col, by + 0.5, w, bar_h - 1, s.colour))
            chart.labels.append(
                Label(
                    s.shown[i],
                    label_col + w + GAP,
                    by + bar_h / 2 - VALUE_SIZE * 0.35,
                    VALUE_SIZE,
                    bold=k == 1,
                )
            )
        y -= rows[i]
    return chart


def bar_chart(
    title: str,
    categories: list[str],
    series: list[Series],
    *,
    width: float,
    plot_height: float = 90,
    prefer_horizontal: bool = False,
    value_max: float | None = None,
    step: float | None = None,
) -> Chart:
    """A bar chart whose labels all fit: standing bars when they do, else lying ones."""
    register_fonts()
    categories = [str(c) for c in categories] or ["–"]
    series = [
        Series(s.name, s.colour, list(s.values) or [0.0], list(s.shown) or ["0"]) for s in series
    ]
    if not prefer_horizontal:
        chart = vertical(
            title,
            categories,
            series,
            width=width,
            plot_height=plot_height,
            value_max=value_max,
            step=step,
        )
        if chart is not None:
            return chart
    return horizontal(title, categories, series, width=width, value_max=value_max, step=step)


def drawing(chart: Chart) -> Drawing:
    """The chart as a reportlab Drawing (a flowable of the PDF)."""
    out = Drawing(chart.width, chart.height)
    for rule in chart.rules:
        out.add(
            Line(
                rule.x1,
                rule.y1,
                rule.x2,
                rule.y2,
                strokeColor=colors.HexColor(rule.colour),
                strokeWidth=rule.width,
            )
        )
    for bar in chart.bars:
        out.add(
            Rect(
                bar.x,
                bar.y,
                bar.w,
                bar.h,
                fillColor=colors.HexColor(bar.colour),
                strokeColor=None,
                strokeWidth=0,
            )
        )
    for label in chart.labels:
        out.add(
            String(
                label.x,
                label.y,
                label.text,
                fontName=label.font,
                fontSize=label.size,
                fillColor=colors.HexColor(label.colour),
                textAnchor=label.anchor,
            )
        )
    return out


PIL_ANCHOR = {"start": "ls", "middle": "ms", "end": "rs"}


def png(chart: Chart, *, dpi: int = 200) -> bytes:
    """The chart as a PNG image (for the DOCX), `dpi` pixels per inch at its size in points."""
    s = dpi / 72

    def at(x: float, y: float) -> tuple[float, float]:
        return x * s, (chart.height - y) * s

    image = Image.new("RGB", (math.ceil(chart.width * s), math.ceil(chart.height * s)), "white")
    draw = ImageDraw.Draw(image)
    for rule in chart.rules:
        draw.line(
            [at(rule.x1, rule.y1), at(rule.x2, rule.y2)],
            fill=rule.colour,
            width=max(1, round(rule.width * s)),
        )
    for bar in chart.bars:
        if bar.w > 0 and bar.h > 0:
            (x1, y1), (x2, y2) = at(bar.x, bar.y + bar.h), at(bar.x + bar.w, bar.y)
            draw.rectangle([x1, y1, x2, y2], fill=bar.colour)
    fonts: dict[tuple[str, float], Any] = {}
    for label in chart.labels:
        key = (label.font, label.size)
        if key not in fonts:
            fonts[key] = ImageFont.truetype(str(font_path(label.font)), round(label.size * s))
        draw.text(
            at(label.x, label.y),
            label.text,
            fill=label.colour,
            font=fonts[key],
            anchor=PIL_ANCHOR[label.anchor],
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


# The report's charts ---------------------------------------------------------------------
BLUE = "#0468B1"
LIGHT_BLUE = "#7FB2E5"
PALE_BLUE = "#9DB9D5"


def plot_value(value: Any) -> float:
    """Charts cannot draw "<5": a suppressed cell is drawn as 0 and labelled as it is."""
    return float(value) if isinstance(value, int | float) else 0.0


def counts(title: str, rows: list[dict], colour: str, **kw) -> Chart:
    """One bar per row of a breakdown of people ({label, value})."""
    series = Series(
        title,
        colour,
        [plot_value(r["value"]) for r in rows],
        [numbers.show(r["value"], 0) for r in rows],
    )
    return bar_chart(title, [r["label"] for r in rows], [series], **kw)


def people_charts(data: ReportData, *, width: float) -> dict[str, Chart]:
    """The charts of people reached: by sex and by age band (side by side, each half the
    width), by region of residence and by category."""
    people = data.people
    half = width / 2 - 8
    return {
        "by_sex": counts(_("By sex"), people["by_sex"], BLUE, width=half),
        "by_age_band": counts(_("By age band"), people["by_age_band"], LIGHT_BLUE, width=half),
        "by_region": counts(
            _("By region of residence"),
            people["by_region"],
            BLUE,
            width=width,
            prefer_horizontal=True,
        ),
        "by_category": counts(
            _("By category"), people["by_category"], NAVY, width=width, prefer_horizontal=True
        ),
    }


def knowledge_chart(data: ReportData, *, width: float) -> Chart:
    """Mean test score before and after, per activity line (0-100)."""
    rows = data.knowledge["by_activity"]
    series = [
        Series(
            _("before"),
            PALE_BLUE,
            [plot_value(r["pre"]) for r in rows],
            [numbers.show(r["pre"], 1) for r in rows],
        ),
        Series(
            _("after"),
            BLUE,
            [plot_value(r["post"]) for r in rows],
            [numbers.show(r["post"], 1) for r in rows],
        ),
    ]
    return bar_chart(
        _("Mean test score before and after (0-100)"),
        [r["label"] for r in rows],
        series,
        width=width,
        plot_height=110,
        value_max=100,
        step=20,
    )
