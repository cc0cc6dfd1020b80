"""PDF for the donor (ReportLab): cover with key figures, indicator table with status colours,
the indicator performance tracking table (on a landscape page when it is too wide for a
portrait one), charts of people reached and knowledge gain, events, feedback, narrative, quotes
and an annex on how each indicator is computed. DejaVu fonts cover Kazakh and Russian
Cyrillic."""

from __future__ import annotations

import io
import logging
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .. import numbers
from ..builder import ReportData
from . import charts, images, sentences
from .fonts import BOLD, FONT, longest_word_width, register_fonts, text_width
from .running import page_label, running_texts
from .status import approval_lines
from .tables import (
    dimension_label,
    disclosure_note,
    event_summary_note,
    event_types_text,
    group_label,
    iptt_figures,
    iptt_group_figures,
    iptt_legend,
    iptt_of,
    iptt_period_headers,
    iptt_title,
    method_text,
    methodology_of,
    narrative_sections,
    period_text,
    status_label,
)

logger = logging.getLogger(__name__)
BLUE = colors.HexColor("#0468B1")
NAVY = colors.HexColor("#1F3B5C")
GREY = colors.HexColor("#5F6B7A")
LIGHT = colors.HexColor("#EEF3F8")
RULE = colors.HexColor("#C9D3DE")
STATUS = {
    "green": (colors.HexColor("#2E7D32"), colors.HexColor("#DCEFDC")),
    "amber": (colors.HexColor("#9A6B00"), colors.HexColor("#FFF1C2")),
    "red": (colors.HexColor("#B3261E"), colors.HexColor("#FADCD9")),
    "grey": (GREY, colors.HexColor("#ECEFF3")),
}
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
WIDTH = PAGE_W - 2 * MARGIN
WIDE_WIDTH = PAGE_H - 2 * MARGIN  # of a landscape page


def styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13, textColor=NAVY, spaceAfter=2
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=10, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "cell_r": ParagraphStyle("cell_r", parent=base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "head": ParagraphStyle(
            "head", parent=base, fontName=BOLD, fontSize=7.5, leading=9.5, textColor=colors.white
        ),
        "head_r": ParagraphStyle(
            "head_r",
            parent=base,
            fontName=BOLD,
            fontSize=7.5,
            leading=9.5,
            textColor=colors.white,
            alignment=TA_RIGHT,
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=BOLD,
            fontSize=16,
            leading=20,
            spaceBefore=12,
            spaceAfter=8,
            textColor=BLUE,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=11.5,
            leading=15,
            spaceBefore=10,
            spaceAfter=5,
            textColor=NAVY,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=BOLD,
            fontSize=9.5,
            leading=13,
            spaceBefore=6,
            spaceAfter=2,
            textColor=BLUE,
        ),
        "quote": ParagraphStyle(
            "quote", parent=base, fontSize=10, leading=14.5, textColor=NAVY, leftIndent=4
        ),
        "kpi": ParagraphStyle(
            "kpi",
            parent=base,
            fontName=BOLD,
            fontSize=20,
            leading=24,
            alignment=TA_CENTER,
            textColor=BLUE,
        ),
        "kpi_label": ParagraphStyle(
            "kpi_label",
            parent=base,
            fontSize=7.5,
            leading=9.5,
            alignment=TA_CENTER,
            textColor=GREY,
        ),
        "cover_title": ParagraphStyle(
            "cover_title",
            parent=base,
            fontName=BOLD,
            fontSize=24,
            leading=30,
            textColor=colors.white,
        ),
        "cover_sub": ParagraphStyle(
            "cover_sub", parent=base, fontSize=12, leading=16, textColor=colors.white
        ),
        "toc": ParagraphStyle("toc", parent=base, fontSize=9.5, leading=14),
    }


def esc(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def num(value: Any, decimals: int = 0) -> str:
    """A figure as printed: '1 234', '82.3', '<5' or an en dash when missing (rounded half
    up, see reports/numbers.py)."""
    return numbers.show(value, decimals)


def with_unit(value: Any, decimals: int, unit: str) -> str:
    shown = num(value, decimals)
    return shown + unit if numbers.is_number(value) else shown


def date_range(start: str, end: str) -> str:
    """'13–15.08.2024' within a month, '30.08–02.09.2024' across months."""
    s, e = date.fromisoformat(start), date.fromisoformat(end)
    if s == e:
        return f"{e:%d.%m.%Y}"
    if (s.year, s.month) == (e.year, e.month):
        return f"{s:%d}–{e:%d.%m.%Y}"
    if s.year == e.year:
        return f"{s:%d.%m}–{e:%d.%m.%Y}"
    return f"{s:%d.%m.%Y}–{e:%d.%m.%Y}"


def numbered_canvas(label=page_label):
    """A canvas class that writes "Page n of N" on every page once the last page is known
    (reportlab learns N only at the end, so the pages are kept until then)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                self.setFillColor(GREY)
                self.drawRightString(
                    self._pagesize[0] - MARGIN,
                    MARGIN - 8 * mm,
                    label(self._pageNumber, total),
                )
                super().showPage()
            super().save()

    return NumberedCanvas


class ReportDoc(BaseDocTemplate):
    """Cover page, then content pages with a running header and page numbers."""

    def __init__(self, buffer, data: ReportData, **kw):
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN + 6 * mm,
            bottomMargin=MARGIN,
            title=_("Progress report %(period)s") % {"period": data.period_label},
            author=data.programme.get("implementer", ""),
            subject=data.programme.get("name", ""),
            creator="Qadam",
            **kw,
        )
        self.data = data
        pad = {"leftPadding": 0, "rightPadding": 0, "topPadding": 0, "bottomPadding": 0}
        frame = Frame(MARGIN, MARGIN, WIDTH, PAGE_H - 2 * MARGIN - 6 * mm, id="body", **pad)
        cover_frame = Frame(MARGIN, MARGIN, WIDTH, PAGE_H - 2 * MARGIN - 80 * mm, id="cover", **pad)
        wide_frame = Frame(
            MARGIN, MARGIN, WIDE_WIDTH, PAGE_W - 2 * MARGIN - 6 * mm, id="wide", **pad
        )
        self.addPageTemplates(
            [
                PageTemplate(id="cover", frames=[cover_frame], onPage=self.draw_cover),
                PageTemplate(id="body", frames=[frame], onPage=self.draw_page),
                PageTemplate(
                    id="landscape",
                    frames=[wide_frame],
                    onPage=self.draw_page,
                    pagesize=landscape(A4),
                ),
            ]
        )

    def draw_cover(self, canvas, doc):
        data = self.data
        canvas.saveState()
        canvas.setFillColor(BLUE)
        canvas.rect(0, PAGE_H - 95 * mm, PAGE_W, 95 * mm, stroke=0, fill=1)
        canvas.setFillColor(NAVY)
        canvas.rect(0, PAGE_H - 98 * mm, PAGE_W, 3 * mm, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(BOLD, 10)
        canvas.drawString(MARGIN, PAGE_H - 16 * mm, data.programme.get("implementer", "").upper())
        canvas.setFont(FONT, 9)
        funded_by = running_texts(data)["funded_by"]
        if funded_by:
            canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 16 * mm, funded_by)
        st = styles()
        title = Paragraph(esc(_("Quarterly progress report")), st["cover_title"])
        sub = Paragraph(esc(data.programme.get("name", "")), st["cover_sub"])
        period = Paragraph(
            f"<b>{esc(period_text(data))}</b> · {esc(data.scope['label'])}", st["cover_sub"]
        )
        approvals = [Paragraph(esc(line), st["cover_sub"]) for line in approval_lines(data)]
        y = PAGE_H - 30 * mm
        for para in (title, sub, period, *approvals[:4]):
            w, h = para.wrap(WIDTH, 60 * mm)
            y -= h
            para.drawOn(canvas, MARGIN, y)
            y -= 5 * mm
        self.draw_footer(canvas, doc)
        canvas.restoreState()

    def draw_page(self, canvas, doc):
        texts = running_texts(self.data)
        page_w, page_h = canvas._pagesize  # portrait, or the IPTT's landscape page
        canvas.saveState()
        canvas.setStrokeColor(BLUE)
        canvas.setLineWidth(1.2)
        top = page_h - MARGIN + 1 * mm
        canvas.line(MARGIN, top, page_w - MARGIN, top)
        canvas.setFont(BOLD, 7.5)
        canvas.setFillColor(BLUE)
        canvas.drawString(MARGIN, top + 2 * mm, texts["code"])
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(GREY)
        canvas.drawRightString(page_w - MARGIN, top + 2 * mm, texts["title"])
        self.draw_footer(canvas, doc)
        canvas.restoreState()

    def draw_footer(self, canvas, doc):
        """The draft banner and the footer; the page number is written by NumberedCanvas."""
        texts = running_texts(self.data)
        banner = texts["banner"]
        if banner:  # on every page, above everything else of the page
            canvas.setFont(BOLD, 9)
            canvas.setFillColor(colors.red)
            canvas.drawCentredString(canvas._pagesize[0] / 2, canvas._pagesize[1] - 7 * mm, banner)
        canvas.setFont(FONT, 7)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, MARGIN - 8 * mm, texts["generated"])


CELL_PAD = 4  # left and right padding of a grid's cells


def stretch(widths: list[float], need: list[float]) -> list[float]:
    """`widths` with each column at least its `need`, the difference taken from the columns
    that have room to spare (in proportion to it), so the table keeps its width. When there
    is not room enough the table grows (and the caller is told by a warning in the log)."""
    short = sum(max(0.0, n - w) for w, n in zip(widths, need, strict=True))
    if short <= 0:
        return list(widths)
    spare = [max(0.0, w - n) for w, n in zip(widths, need, strict=True)]
    room = sum(spare)
    if room < short:
        logger.warning("report table needs %.0f pt more than its %.0f pt", short - room, room)
        return [max(w, n) for w, n in zip(widths, need, strict=True)]
    return [max(w, n) - (sp * short / room) for w, n, sp in zip(widths, need, spare, strict=True)]


def column_needs(
    rows: list[list[Any]],
    *,
    header_rows: int = 1,
    whole: set[int] = frozenset(),
    pad: float = 2 * CELL_PAD,
) -> list[float]:
    """The least width of each column: its longest header word (a header breaks only
    between words) and, in `whole` columns (figures, dates), its longest cell, which must
    not wrap at all. Cells given as flowables are the caller's to size."""
    st = styles()
    head, cell = st["head"], st["cell"]
    need = [0.0] * max(len(row) for row in rows)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if not isinstance(value, str | int | float) or value == "":
                continue
            if r < header_rows:
                width = longest_word_width(str(value), head.fontSize, head.fontName)
            elif c in whole:
                width = text_width(str(value), cell.fontSize, cell.fontName)
            else:
                width = longest_word_width(str(value), cell.fontSize, cell.fontName)
            need[c] = max(need[c], width + pad + 0.5)
    return need


def grid(
    rows: list[list[Any]],
    widths: list[float],
    *,
    right: set[int] = frozenset(),
    zebra: bool = True,
    extra: list | None = None,
    header_rows: int = 1,
    whole: set[int] = frozenset(),
    fit: bool = True,
) -> Table:
    """A table with a blue header, thin rules and zebra rows; cells are Paragraphs. Unless
    `fit` is off (a table that sizes its own columns), the columns are widened where a
    header word, a figure (right-aligned columns) or a `whole` cell (a date) would break."""
    st = styles()
    if fit:
        widths = stretch(widths, column_needs(rows, header_rows=header_rows, whole=whole | right))
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, value in enumerate(row):
            if not isinstance(value, str | int | float) and value is not None:
                cells.append(value)
                continue
            if r < header_rows:
                style = st["head_r"] if c in right else st["head"]
            else:
                style = st["cell_r"] if c in right else st["cell"]
            cells.append(Paragraph(esc(value), style))
        out.append(cells)
    table = Table(out, colWidths=widths, repeatRows=header_rows)
    commands = [
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, header_rows), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ]
    if zebra:
        for r in range(header_rows, len(rows)):
            if (r - header_rows) % 2:
                commands.append(("BACKGROUND", (0, r), (-1, r), LIGHT))
    table.setStyle(TableStyle(commands + (extra or [])))
    return table


def kpi_tiles(data: ReportData) -> Table:
    st = styles()
    s = data.summary
    tiles = [
        (num(s["people"]), _("people reached (unique)")),
        (num(s["women"]), _("women")),
        (num(s["events"]), _("events held")),
        (num(s["partners"]), _("partner organisations")),
        (sentences.percent(s["satisfied_pct"]), _("participants satisfied")),
        (numbers.signed(s["knowledge_gain"], 1), _("points of knowledge gain")),
    ]
    cells = [
        [Paragraph(esc(v), st["kpi"]), Paragraph(esc(label), st["kpi_label"])] for v, label in tiles
    ]
    row1 = [Table([[c[0]], [c[1]]], colWidths=[WIDTH / 3 - 4 * mm]) for c in cells[:3]]
    row2 = [Table([[c[0]], [c[1]]], colWidths=[WIDTH / 3 - 4 * mm]) for c in cells[3:]]
    table = Table([row1, row2], colWidths=[WIDTH / 3] * 3, rowHeights=[26 * mm, 26 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                ("BOX", (0, 0), (-1, -1), 0, colors.white),
                ("INNERGRID", (0, 0), (-1, -1), 3, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def cover_details(data: ReportData) -> Table:
    p = data.programme
    rows = [
        [_("Programme"), p.get("name", "")],
        [_("Programme code"), p.get("code", "")],
        [_("Donor"), p.get("donor", "")],
        [_("Implemented by"), p.get("implementer", "")],
        [_("Budget code"), p.get("budget_code", "")],
        [_("SDG target"), p.get("sdg_target", "")],
        [_("Reporting period"), period_text(data)],
        [_("Regions covered"), data.scope["label"]],
        [_("Expected outcome"), p.get("outcome", "")],
    ]
    st = styles()
    out = [
        [
            Paragraph(
                esc(k), ParagraphStyle("k", parent=st["cell"], fontName=BOLD, textColor=GREY)
            ),
            Paragraph(esc(v), st["cell"]),
        ]
        for k, v in rows
        if v
    ]
    table = Table(out, colWidths=[40 * mm, WIDTH - 40 * mm])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def indicator_notes(ind: dict) -> list[str]:
    """The small lines under an indicator's name: level, unit and method; how many were
    reached and completed; the year-to-date figures (what the snapshot has; the life of
    programme has its own column)."""
    first = " · ".join(x for x in (ind["level_label"], ind["unit_label"], method_text(ind)) if x)
    year = sentences.progress(ind, keys=("ytd",))
    lines = (first, sentences.reach(ind), sentences.response(ind), year)
    return [line for line in lines if line]


def comment_markup(ind: dict) -> str:
    """Staff's explanation of variance under the indicator's name (older snapshots have none)."""
    if not ind.get("comment"):
        return ""
    return f"<br/><i>{esc(_('Explanation:'))} {esc(ind['comment'])}</i>"


def indicator_table(data: ReportData) -> Table:
    header = [
        _("Code"),
        _("Indicator"),
        _("Baseline"),
        _("Target"),
        _("Actual"),
        # xgettext:no-python-format
        _("% of target"),
        _("Life of programme"),
        _("Status"),
    ]
    rows = [header]
    extra = []
    st = styles()
    for r, ind in enumerate(data.indicators, start=1):
        dec = numbers.places_for_unit(ind["unit"])
        unit = "%" if ind["unit"] == "percent" else ""
        fg, bg = STATUS[ind["status"]]
        rows.append(
            [
                Paragraph(f"<b>{esc(ind['code'])}</b>", st["cell"]),
                Paragraph(
                    f"{esc(ind['name'])}<br/><font size=6.5 color='#5F6B7A'>"
                    + "<br/>".join(esc(line) for line in indicator_notes(ind))
                    + "</font>"
                    + comment_markup(ind),
                    st["cell"],
                ),
                num(ind["baseline"], dec) + (unit if ind["baseline"] is not None else ""),
                num(ind["target"], dec) + (unit if ind["target"] is not None else ""),
                Paragraph(f"<b>{esc(with_unit(ind['actual'], dec, unit))}</b>", st["cell_r"]),
                sentences.percent(ind["percent_of_target"]),
                # Progress since the programme began, next to the period's.
                Paragraph(esc(sentences.life_of_programme(ind)), st["cell_r"]),
                Paragraph(
                    f"<font color='{fg.hexval().replace('0x', '#')}'>●</font> "
                    f"{esc(status_label(ind['status']))}",
                    st["cell"],
                ),
            ]
        )
        extra += [("BACKGROUND", (7, r), (7, r), bg)]
    widths = [
        13 * mm,
        WIDTH - 13 * mm - 4 * 16 * mm - 22 * mm - 27 * mm,
        16 * mm,
        16 * mm,
        16 * mm,
        16 * mm,
        22 * mm,
        27 * mm,
    ]
    return grid(rows, widths, right={2, 3, 4, 5, 6}, extra=extra)


# The indicator performance tracking table ---------------------------------------------------
IPTT_FONT = 6.5
IPTT_SMALLER = (6.0, 5.5, 5.0, 4.5)  # on a landscape page still too wide (long Russian words)
IPTT_PAD = 2.5
IPTT_MIN_NAME = 45 * mm  # narrower than this on a portrait page: the table goes landscape


def iptt_styles(size: float = IPTT_FONT) -> dict[str, ParagraphStyle]:
    st = styles()
    leading = size + 1.5
    cell = ParagraphStyle("iptt", parent=st["cell"], fontSize=size, leading=leading)
    head = ParagraphStyle("iptt_head", parent=st["head"], fontSize=size, leading=leading)
    return {
        "cell": cell,
        "num": ParagraphStyle("iptt_num", parent=cell, alignment=TA_RIGHT),
        "bold_num": ParagraphStyle("iptt_bold_num", parent=cell, alignment=TA_RIGHT, fontName=BOLD),
        "group": ParagraphStyle("iptt_group", parent=cell, leftIndent=6, textColor=GREY),
        "head": head,
        "head_c": ParagraphStyle("iptt_head_c", parent=head, alignment=TA_CENTER),
        "head_r": ParagraphStyle("iptt_head_r", parent=head, alignment=TA_RIGHT),
    }


def _text_width(text: str, style: ParagraphStyle, *, by_word: bool = False) -> float:
    parts = text.split() if by_word else [text]
    return max(
        (pdfmetrics.stringWidth(p, style.fontName, style.fontSize) for p in parts), default=0
    )


def iptt_layout(data: ReportData) -> tuple[list[list], list[float], list, bool]:
    """The IPTT's rows (two header rows), column widths, style commands, and whether it needs
    a landscape page. A figure column is as wide as its widest figure or header word; when
    they leave the indicator's name too little room even on a landscape page, the table's
    type gets smaller (never a word broken in two)."""
    for size in (IPTT_FONT, *IPTT_SMALLER):
        layout = _iptt_layout(data, size)
        if sum(layout[1]) <= (WIDE_WIDTH if layout[3] else WIDTH) and (
            layout[1][1] >= IPTT_MIN_NAME or not layout[3]
        ):
            return layout
    return layout


def _iptt_layout(data: ReportData, size: float) -> tuple[list[list], list[float], list, bool]:
    iptt, ist = iptt_of(data), iptt_styles(size)
    periods = iptt["periods"]
    sub = iptt_period_headers()
    top = [_("Code"), _("Indicator"), _("Baseline"), _("Programme target")]
    second = ["", "", "", ""]
    spans = []
    for p, period in enumerate(periods):
        col = 4 + 3 * p
        top += [period["label"], "", ""]
        second += sub
        spans.append(("SPAN", (col, 0), (col + 2, 0)))
    cum = 4 + 3 * len(periods)
    top += [_("Cumulative"), ""]
    # xgettext:no-python-format
    second += [_("Actual"), _("% of programme target")]
    spans.append(("SPAN", (cum, 0), (cum + 1, 0)))
    for col in range(4):
        spans.append(("SPAN", (col, 0), (col, 1)))

    body: list[tuple[str, dict, list[Any]]] = []  # (kind, source, figures)
    for row in iptt["rows"]:
        body.append(("indicator", row, iptt_figures(row, periods)))
        for group in row.get("disaggregations") or []:
            body.append(("group", group, iptt_group_figures(row, group, periods)))

    figure_columns = len(top) - 2
    widths = [0.0] * figure_columns
    for c in range(figure_columns):
        words = [top[c + 2]] if c < 2 else []
        words.append(second[c + 2])
        need = max(_text_width(w, ist["head"], by_word=True) for w in words if w)
        for _kind, _source, values in body:
            need = max(need, _text_width(numbers.show(values[c]), ist["bold_num"]))
        widths[c] = need + 2 * IPTT_PAD + 1
    code = (
        max(
            [_text_width(_("Code"), ist["head"])]
            + [_text_width(r["code"], ist["bold_num"]) for r in iptt["rows"]]
        )
        + 2 * IPTT_PAD
        + 1
    )
    wide = WIDTH - code - sum(widths) < IPTT_MIN_NAME
    # Never narrower than the longest word of a name (the last font size may still need it).
    name = max(
        (WIDE_WIDTH if wide else WIDTH) - code - sum(widths),
        max(_text_width(r["name"], ist["cell"], by_word=True) for r in iptt["rows"]) + 8,
    )

    header = [
        [Paragraph(esc(t), ist["head_c"] if c >= 4 else ist["head"]) for c, t in enumerate(top)],
        [Paragraph(esc(t), ist["head_r"]) for t in second],
    ]
    rows: list[list] = header
    commands = list(spans)
    for kind, source, values in body:
        r = len(rows)
        if kind == "indicator":
            notes = [source.get("unit_label", ""), method_text(source)]
            if source.get("higher_is_better") is False:
                notes.append("↓ " + _("lower is better"))
            label = Paragraph(
                f"<b>{esc(source['name'])}</b><br/><font color='#5F6B7A'>"
                f"{esc(' · '.join(n for n in notes if n))}</font>",
                ist["cell"],
            )
            first = Paragraph(f"<b>{esc(source['code'])}</b>", ist["cell"])
            commands.append(("BACKGROUND", (0, r), (-1, r), LIGHT))
            style = ist["bold_num"]
        else:
            label = Paragraph(esc(group_label(source)), ist["group"])
            first, style = "", ist["num"]
        cells = [Paragraph(esc(numbers.show(v)), style) if v is not None else "" for v in values]
        # A missing figure on an indicator's row is a dash; a group's blank target stays blank.
        if kind == "indicator":
            cells = [c or Paragraph(numbers.DASH, style) for c in cells]
        rows.append([first, label, *cells])
    commands += [
        ("LEFTPADDING", (0, 0), (-1, -1), IPTT_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), IPTT_PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("VALIGN", (0, 0), (-1, 1), "BOTTOM"),
        ("LINEBELOW", (0, 1), (-1, 1), 0.8, NAVY),
    ]
    # A thin rule before each period's columns and the cumulative ones.
    for c in range(4, len(top), 3):
        commands.append(("LINEBEFORE", (c, 0), (c, -1), 0.4, RULE))
    commands.append(("LINEBEFORE", (cum, 0), (cum, -1), 0.8, NAVY))
    return rows, [code, name, *widths], commands, wide


def iptt_section(data: ReportData, st) -> tuple[list, bool]:
    """The IPTT page's flowables, and whether they need a landscape page."""
    rows, widths, commands, wide = iptt_layout(data)
    table = grid(rows, widths, zebra=False, extra=commands, header_rows=2, fit=False)
    out = [
        Paragraph(esc(iptt_title()), st["h1"]),
        Paragraph(
            esc(
                _(
                    "Targets and actual values per quarter of %(year)s, the year to date and "
                    "since the programme started, up to %(period)s."
                )
                % {"year": data.start_date.year, "period": period_text(data)}
            ),
            st["body"],
        ),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 2 * mm),
    ]
    out += [Paragraph(esc(line), st["small"]) for line in iptt_legend()]
    return out, wide


def knowledge_chart(data: ReportData):
    """Mean test score before and after per activity line (reports/renderers/charts.py)."""
    return charts.drawing(charts.knowledge_chart(data, width=WIDTH))


def people_section(data: ReportData, st) -> list:
    people = data.people
    out = [Paragraph(esc(_("People reached")), st["h1"])]
    out.append(Paragraph(esc(sentences.people(data)), st["body"]))
    if not people["total"]:
        return out
    out.append(Spacer(1, 4 * mm))
    drawn = {
        key: charts.drawing(chart) for key, chart in charts.people_charts(data, width=WIDTH).items()
    }
    pair = Table([[drawn["by_sex"], drawn["by_age_band"]]], colWidths=[WIDTH / 2, WIDTH / 2])
    pair.setStyle(
        TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")])
    )
    out.append(pair)
    out.append(Spacer(1, 4 * mm))
    out.append(drawn["by_region"])
    out.append(Spacer(1, 4 * mm))
    out.append(drawn["by_category"])
    out.append(Spacer(1, 4 * mm))
    rows = [[_("Category"), _("Women"), _("Men"), _("Total")]]
    rows += [
        [r["label"], num(r["F"]), num(r["M"]), num(r["total"])] for r in people["category_by_sex"]
    ]
    rows.append(
        [_("Total"), num(data.summary["women"]), num(data.summary["men"]), num(people["total"])]
    )
    table = grid(
        rows,
        [WIDTH - 3 * 25 * mm, 25 * mm, 25 * mm, 25 * mm],
        right={1, 2, 3},
        extra=[("FONTNAME", (0, -1), (-1, -1), BOLD), ("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY)],
    )
    out.append(
        KeepTogether([Paragraph(esc(_("People reached by category and sex")), st["h3"]), table])
    )
    if people.get("by_disability"):  # absent from snapshots made before the dimension
        rows = [[_("Disability (WG-SS)"), _("People")]]
        rows += [[r["label"], num(r["value"])] for r in people["by_disability"]]
        rows.append([_("Total"), num(people["total"])])
        table = grid(
            rows,
            [WIDTH - 25 * mm, 25 * mm],
            right={1},
            extra=[
                ("FONTNAME", (0, -1), (-1, -1), BOLD),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY),
            ],
        )
        title = _("People reached by disability (Washington Group Short Set)")
        out.append(Spacer(1, 4 * mm))
        out.append(KeepTogether([Paragraph(esc(title), st["h3"]), table]))
    return out


def events_section(data: ReportData, st) -> list:
    out = [Paragraph(esc(_("Events held")), st["h1"])]
    if not data.events:
        return out + [Paragraph(esc(_("No events were held in this period.")), st["body"])]
    if data.event_summary is None:  # a snapshot from before the summary: its full list
        return out + event_list(data, st)
    out.append(Paragraph(esc(event_summary_note(data)), st["body"]))
    rows = [
        [_("Region"), _("Activity line"), _("Dates"), _("Events"), _("Sessions")]
        + [_("People"), _("Women")]
    ]
    previous = None
    grey = "<font size=6.5 color='#5F6B7A'>%s</font>"
    for r in data.event_summary:
        districts = ngettext("%(n)s district", "%(n)s districts", r["districts"]) % {
            "n": r["districts"]
        }
        region = "" if r["region"] == previous else esc(r["region"])
        previous = r["region"]
        rows.append(
            [
                Paragraph(f"{region}<br/>{grey % esc(districts)}", st["cell"]),
                Paragraph(
                    f"{esc(r['activity'])}<br/>{grey % esc(event_types_text(r))}", st["cell"]
                ),
                date_range(r["first"], r["last"]) if r["first"] else "",
                num(r["events"]),
                num(r["sessions"]),
                num(r["people"]),
                num(r["women"]),
            ]
        )
    figures = 4 * 15 * mm
    out.append(
        grid(
            rows,
            [40 * mm, WIDTH - 40 * mm - 28 * mm - figures, 28 * mm] + [15 * mm] * 4,
            right={3, 4, 5, 6},
            whole={2},  # dates never wrap
        )
    )
    return out


def event_list(data: ReportData, st) -> list:
    """Every event, one a row: what reports built before the summary showed."""
    out = []
    rows = [[_("Event"), _("Dates"), _("Where"), _("People"), _("Women")]]
    for e in data.events:
        dates = date_range(e["start"], e["end"])
        where = ", ".join(x for x in (e["region"], e["district"]) if x)
        rows.append(
            [
                Paragraph(
                    f"{esc(e['title'])}<br/><font size=6.5 color='#5F6B7A'>{esc(e['type_label'])}"
                    f"{' · ' + esc(e['activity']) if e['activity'] else ''}</font>",
                    st["cell"],
                ),
                dates,
                Paragraph(
                    f"{esc(where)}<br/><font size=6.5 color='#5F6B7A'>{esc(e['venue'])}</font>",
                    st["cell"],
                ),
                num(e["people"]),
                num(e["women"]),
            ]
        )
    out.append(
        grid(
            rows,
            [WIDTH - 28 * mm - 52 * mm - 30 * mm, 28 * mm, 52 * mm, 15 * mm, 15 * mm],
            right={3, 4},
            whole={1},  # dates never wrap
        )
    )
    return out


def feedback_section(data: ReportData, st) -> list:
    fb, k = data.feedback, data.knowledge
    out = [Paragraph(esc(_("Feedback and learning")), st["h1"])]
    out.append(Paragraph(esc(sentences.feedback(data)), st["body"]))
    if fb["respondents"]:
        rows = [[_("Question"), _("Mean (1-5)")]]
        rows += [[i["label"], num(i["mean"], 2)] for i in fb["items"]]
        items = grid(rows, [WIDTH / 2 - 25 * mm, 22 * mm], right={1})
        dist = [[_("Overall satisfaction (1-5)"), _("Respondents")]]
        dist += [[str(d["score"]), num(d["count"])] for d in fb["distribution"]]
        dist_table = grid(dist, [WIDTH / 2 - 30 * mm, 24 * mm], right={1})
        pair = Table([[items, dist_table]], colWidths=[WIDTH / 2, WIDTH / 2])
        pair.setStyle(
            TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
        )
        out += [Spacer(1, 3 * mm), pair]
    out.append(Paragraph(esc(_("Knowledge gain")), st["h2"]))
    out.append(Paragraph(esc(sentences.knowledge(data)), st["body"]))
    if not k["by_activity"]:
        return out
    out.append(Spacer(1, 3 * mm))
    out.append(knowledge_chart(data))
    rows = [[_("Activity"), _("People tested"), _("Before"), _("After"), _("Gain"), _("Improved")]]
    for r in k["by_activity"]:
        rows.append(
            [
                r["label"],
                num(r["n"]),
                num(r["pre"], 1),
                num(r["post"], 1),
                numbers.signed(r["gain"], 1),
                sentences.percent(r["improved_pct"]),
            ]
        )
    out.append(Spacer(1, 2 * mm))
    out.append(
        grid(
            rows,
            [WIDTH - 5 * 19 * mm, 19 * mm, 19 * mm, 19 * mm, 19 * mm, 19 * mm],
            right={1, 2, 3, 4, 5},
        )
    )
    return out


def narrative_section(data: ReportData, st) -> list:
    out = [Paragraph(esc(_("Narrative")), st["h1"])]
    if not data.narratives:
        return out + [
            Paragraph(esc(_("No narrative has been written for this period yet.")), st["small"])
        ]
    for n in data.narratives:
        if len(data.narratives) > 1 or not data.scope["all_regions"]:
            out.append(Paragraph(esc(n["scope"]), st["h2"]))
        for key, label in narrative_sections():
            if n[key]:
                out.append(Paragraph(esc(label), st["h3"]))
                for para in n[key].split("\n"):
                    if para.strip():
                        out.append(Paragraph(esc(para.strip()), st["body"]))
    return out


def quotes_section(data: ReportData, st) -> list:
    out = [CondPageBreak(60 * mm), Paragraph(esc(_("What participants said")), st["h1"])]
    if not data.quotes:
        return out + [
            Paragraph(esc(_("No participant agreed to be quoted in this period.")), st["small"])
        ]
    for q in data.quotes:
        who = " · ".join(x for x in (q["category"], q["event_type"], q["region"]) if x)
        cell = [
            Paragraph(f"“{esc(q['text'])}”", st["quote"]),
            Spacer(1, 1.5 * mm),
            Paragraph(f"— {esc(who)}", st["small"]),
        ]
        table = Table([[cell]], colWidths=[WIDTH])
        table.setStyle(
            TableStyle(
                [
                    ("LINEBEFORE", (0, 0), (0, 0), 3, BLUE),
                    ("BACKGROUND", (0, 0), (-1, -1), LIGHT),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        out += [KeepTogether(table), Spacer(1, 3 * mm)]
    out.append(
        Paragraph(
            esc(_("Quotes are used only with the participant's consent and without their name.")),
            st["small"],
        )
    )
    return out


def annex_section(data: ReportData, st) -> list:
    out = [PageBreak(), Paragraph(esc(_("Annex: how each indicator is computed")), st["h1"])]
    methodology = methodology_of(data)
    if methodology:
        out.append(Paragraph(esc(_("How this report counts")), st["h2"]))
        out += [Paragraph(esc(paragraph), st["body"]) for paragraph in methodology]
        out.append(Paragraph(esc(_("Indicators")), st["h2"]))
    for a in data.annex:
        text = esc(a["explanation"])
        how = " · ".join(x for x in (a.get("method_label"), a.get("direction_label")) if x)
        if how:
            text += "<br/>" + esc(how)
        if a.get("completion_text"):
            text += "<br/>" + esc(a["completion_text"])
        if a["disaggregations"]:
            text += "<br/>" + esc(
                _("Disaggregated by: %(d)s") % {"d": ", ".join(a["disaggregations"])}
            )
        if a["params"]:
            shown = a.get("params_text", "")
            text += "<br/>" + esc(_("Limited to: %(p)s") % {"p": shown})
        out.append(
            KeepTogether(
                [
                    Paragraph(f"{esc(a['code'])} · {esc(a['name'])}", st["h3"]),
                    Paragraph(f"<b>{esc(a['rule_label'])}.</b> {text}", st["body"]),
                ]
            )
        )
    out.append(Paragraph(esc(_("Results by group")), st["h2"]))
    rows = [[_("Code"), _("Disaggregated by"), _("Value per group")]]
    for ind in data.indicators:
        for dim, cells in ind["disaggregations"].items():
            dec = numbers.places_for_unit(ind["unit"])
            shown = " · ".join(
                f"{esc(c['label'])}: <b>{esc(num(c['value'], dec))}</b>" for c in cells
            )
            rows.append([ind["code"], dimension_label(dim), Paragraph(shown or "–", st["cell"])])
    if len(rows) > 1:
        out.append(grid(rows, [14 * mm, 30 * mm, WIDTH - 44 * mm]))
    out.append(
        KeepTogether(
            [
                Paragraph(esc(_("Data protection")), st["h2"]),
                Paragraph(esc(disclosure_note()), st["body"]),
            ]
        )
    )
    out.append(Spacer(1, 2 * mm))
    out.append(
        Paragraph(
            esc(_("Report fingerprint (sha256 of its inputs): %(h)s") % {"h": data.inputs_hash}),
            st["small"],
        )
    )
    return out


def render(data: ReportData) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = ReportDoc(buffer, data)
    doc.build(story(data), canvasmaker=numbered_canvas())
    return buffer.getvalue()


def story(data: ReportData) -> list:
    """The report's flowables, cover to annex."""
    register_fonts()
    st = styles()
    story: list = [*images.pdf_logos(data, WIDTH)]  # none uploaded: no slot
    story += [Spacer(1, 2 * mm), kpi_tiles(data), Spacer(1, 6 * mm), cover_details(data)]
    story += [NextPageTemplate("body"), PageBreak()]
    story += [Paragraph(esc(_("Results framework")), st["h1"])]
    story.append(
        Paragraph(
            esc(
                _(
                    "Actual values for %(period)s against the targets set for the period. Status: "
                    "on track at 90%% of the target or more, needs attention from 60%%, off track "
                    "below."
                )
                % {"period": period_text(data)}
            ),
            st["body"],
        )
    )
    if not data.scope["all_regions"]:
        story.append(
            Paragraph(
                esc(
                    _(
                        "This report covers %(regions)s only; the targets are the programme's, "
                        "for all regions."
                    )
                    % {"regions": data.scope["label"]}
                ),
                st["small"],
            )
        )
    story += [Spacer(1, 3 * mm), indicator_table(data)]
    if iptt_of(data):
        iptt, wide = iptt_section(data, st)
        if wide:
            story += [NextPageTemplate("landscape"), PageBreak(), *iptt]
            story += [NextPageTemplate("body"), PageBreak()]
        else:
            story += [PageBreak(), *iptt, PageBreak()]
    else:
        story.append(Spacer(1, 6 * mm))
    story += people_section(data, st)
    story += [CondPageBreak(90 * mm)] + events_section(data, st)
    story += [CondPageBreak(120 * mm)] + feedback_section(data, st)
    story += [PageBreak()] + narrative_section(data, st)
    story += quotes_section(data, st)
    story += images.pdf_photos(data, st, WIDTH)  # the photos staff chose (none: no section)
    story += annex_section(data, st)
    return story
