"""Word (.docx) version of the donor report, for staff to edit before sending: the same content
as the PDF (cover, key figures, indicators with status colours, the indicator performance
tracking table in a landscape section, people reached, events, feedback, knowledge gain,
narrative, quotes, annex), on A4 like the PDF, with the running header and "Page n of N" footer
in the report's language, Word's own Heading 1-3 styles (so the navigation pane and a table of
contents work) and the PDF's charts as PNG images (reports/renderers/charts.py)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Emu, Pt, RGBColor
from lxml import etree

from .. import numbers
from ..builder import ReportData
from . import charts, images, sentences
from .running import page_label, running_texts
from .status import approval_lines
from .tables import (
    dimension_label,
    disclosure_note,
    event_summary_note,
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
    report_tables,
    status_label,
)

BLUE = RGBColor(0x04, 0x68, 0xB1)
NAVY = RGBColor(0x1F, 0x3B, 0x5C)
GREY = RGBColor(0x5F, 0x6B, 0x7A)
STATUS_FILL = {"green": "DCEFDC", "amber": "FFF1C2", "red": "FADCD9", "grey": "ECEFF3"}


def shade(cell, hex_fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), hex_fill)
    props.append(shading)


NBSP = "\u00a0"  # between thousands: 12 345


def text(value: Any, decimals: int | None = None) -> str:
    """A figure as printed (reports/numbers.py): `decimals` as its kind gives; without it, the
    places a table cell carries (a count has none)."""
    return numbers.show(value, decimals, group=NBSP)


def _run_xml(value: str, *, size: float, bold: bool | None) -> str:
    """A run of text as python-docx writes it (`run.text`, `font.size`, `bold`): a line break
    for each newline, a tab for each tab."""
    flag = "" if bold is None else "<w:b/>" if bold else '<w:b w:val="0"/>'
    lines = []
    for line in str(value).replace("\r", "\n").split("\n"):
        tabs = [
            f'<w:t xml:space="preserve">{xml_escape(part)}</w:t>' if part else ""
            for part in line.split("\t")
        ]
        lines.append("<w:tab/>".join(tabs))
    props = f'<w:rPr>{flag}<w:sz w:val="{round(size * 2)}"/></w:rPr>'
    return f"<w:r>{props}{'<w:br/>'.join(lines)}</w:r>"


def add_rows(
    table,
    rows: list[list[str]],
    *,
    size: float,
    right: set[int] = frozenset(),
    bold: Callable[[int, int], bool | None] = lambda r, c: None,
    fill: Callable[[int], str | None] = lambda r: None,
) -> None:
    """Append rows of text to a table in one go, as `table.add_row()` and setting each cell's
    text, size, bold and alignment would (same XML), without python-docx's per-cell object
    work: a table of a few hundred rows takes milliseconds instead of seconds.
    `bold(row, column)`: True, False or None (not set); `fill(row)`: a row's shading."""
    widths = [col.w for col in table._tbl.tblGrid.gridCol_lst]
    out = []
    for r, row in enumerate(rows):
        shading = fill(r)
        shd = f'<w:shd w:val="clear" w:color="auto" w:fill="{shading}"/>' if shading else ""
        cells = []
        for c, value in enumerate(row):
            width = widths[c] if c < len(widths) else None
            tc_w = f'<w:tcW w:type="dxa" w:w="{Emu(width).twips}"/>' if width is not None else ""
            align = '<w:pPr><w:jc w:val="right"/></w:pPr>' if c in right else ""
            run = _run_xml(value, size=size, bold=bold(r, c))
            cells.append(f"<w:tc><w:tcPr>{tc_w}{shd}</w:tcPr><w:p>{align}{run}</w:p></w:tc>")
        out.append(f"<w:tr>{''.join(cells)}</w:tr>")
    try:
        parsed = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(out)}</w:tbl>")
    except etree.XMLSyntaxError as exc:  # a control character: as python-docx refuses it
        raise ValueError(str(exc)) from exc
    for tr in list(parsed):
        table._tbl.append(tr)


def add_table(
    doc, header: list[str], rows: list[list[Any]], *, right: set[int] = frozenset(), widths=None
):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for c, title in enumerate(header):
        cell = table.rows[0].cells[c]
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(title))
        run.bold = True
        run.font.size = Pt(8.5)
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        shade(cell, "1F3B5C")
        if c in right:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # Repeat the header row on each page.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header_flag = OxmlElement("w:tblHeader")
    header_flag.set(qn("w:val"), "true")
    tr_pr.append(header_flag)
    add_rows(
        table,
        [[value if isinstance(value, str) else text(value) for value in row] for row in rows],
        size=8.5,
        right=right,
    )
    if widths:
        for row in table.rows:
            for c, width in enumerate(widths):
                row.cells[c].width = Cm(width)
    doc.add_paragraph()
    return table


def _header_cell(cell, title: str, *, size: float = 8.5, right: bool = False) -> None:
    cell.text = ""
    run = cell.paragraphs[0].add_run(str(title))
    run.bold = True
    run.font.size = Pt(size)
    run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    shade(cell, "1F3B5C")
    if right:
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _repeat_as_header(row) -> None:
    """Repeat the row at the top of each page the table runs onto."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


# A4 with the PDF's margins (reports/renderers/pdf.py: 18 mm, 24 mm at the top).
A4_WIDTH, A4_HEIGHT = Cm(21), Cm(29.7)
MARGIN, TOP_MARGIN = Cm(1.8), Cm(2.4)
CONTENT_WIDTH = Emu(A4_WIDTH - 2 * MARGIN)


def page_setup(section, *, wide: bool = False) -> None:
    """A4, portrait or landscape, with the report's margins."""
    section.orientation = WD_ORIENT.LANDSCAPE if wide else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (
        (A4_HEIGHT, A4_WIDTH) if wide else (A4_WIDTH, A4_HEIGHT)
    )
    section.left_margin = section.right_margin = MARGIN
    section.top_margin, section.bottom_margin = TOP_MARGIN, MARGIN
    section.header_distance = section.footer_distance = Cm(0.9)


def new_section(doc, *, wide: bool) -> None:
    """Start a section on a new page, landscape or portrait; it keeps the running header
    and footer of the first."""
    page_setup(doc.add_section(WD_SECTION.NEW_PAGE), wide=wide)


def add_field(paragraph, instruction: str, *, size: float) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in on each page."""
    run = paragraph.add_run()
    run.font.size = Pt(size)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, code, separate, shown, end):
        run._r.append(element)


def running_header_and_footer(doc, data: ReportData) -> None:
    """The header of every page (programme code, report title and period, the draft banner
    or who approved) and the footer (how it was made; "Page n of N" as Word fields), in the
    report's language."""
    texts = running_texts(data)
    section = doc.sections[0]
    para = section.header.paragraphs[0]
    para.text = ""
    code = para.add_run(texts["code"])
    code.bold = True
    code.font.size = Pt(7.5)
    code.font.color.rgb = BLUE
    title = para.add_run(("  ·  " if texts["code"] else "") + texts["title"])
    title.font.size = Pt(7.5)
    title.font.color.rgb = GREY
    for line in [texts["banner"], *approval_lines(data)]:
        if line:
            run = section.header.add_paragraph().add_run(line)
            run.font.size = Pt(8)
            run.bold = bool(texts["banner"])
            if texts["banner"]:
                run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    footer = section.footer.paragraphs[0]
    footer.text = ""
    generated = footer.add_run(texts["generated"])
    generated.font.size = Pt(7)
    generated.font.color.rgb = GREY
    numbers_para = section.footer.add_paragraph()
    numbers_para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # "Page %(n)s of %(total)s" in the report's language, its numbers as fields.
    marked = page_label("\x00PAGE\x00", "\x00NUMPAGES\x00")
    for part in marked.split("\x00"):
        if part in ("PAGE", "NUMPAGES"):
            add_field(numbers_para, part, size=7)
        elif part:
            run = numbers_para.add_run(part)
            run.font.size = Pt(7)
            run.font.color.rgb = GREY


def add_chart(container, chart: charts.Chart) -> None:
    """A chart as a PNG picture at its size in the PDF (`container`: the document or a
    table cell)."""
    para = container.add_paragraph() if hasattr(container, "add_paragraph") else container
    shape = para.add_run().add_picture(io.BytesIO(charts.png(chart)), width=Pt(chart.width))
    shape._inline.docPr.set("name", f"Chart {shape._inline.docPr.get('id')}")
    shape._inline.docPr.set("descr", chart.title)  # the alternative text


def add_people_charts(doc, data: ReportData) -> None:
    """The PDF's charts of people reached: by sex and by age band side by side, then by
    region and by category."""
    drawn = charts.people_charts(data, width=CONTENT_WIDTH.pt)
    pair = doc.add_table(rows=1, cols=2)
    pair.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, key in zip(pair.rows[0].cells, ("by_sex", "by_age_band"), strict=True):
        add_chart(cell.paragraphs[0], drawn[key])
    for key in ("by_region", "by_category"):
        add_chart(doc, drawn[key])


IPTT_SIZE = 7


def add_iptt(doc, data: ReportData) -> None:
    """The IPTT: two header rows (the periods over their target, actual and % achieved), an
    indicator's row then its groups' rows, indented."""
    iptt = iptt_of(data)
    periods = iptt["periods"]
    columns = 4 + 3 * len(periods) + 2
    table = doc.add_table(rows=2, cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    top, sub = table.rows[0].cells, table.rows[1].cells
    for c, title in enumerate([_("Code"), _("Indicator"), _("Baseline"), _("Programme target")]):
        _header_cell(top[c].merge(sub[c]), title, size=IPTT_SIZE, right=c >= 2)
    for p, period in enumerate(periods):
        col = 4 + 3 * p
        _header_cell(top[col].merge(top[col + 2]), period["label"], size=IPTT_SIZE)
        for i, title in enumerate(iptt_period_headers()):
            _header_cell(sub[col + i], title, size=IPTT_SIZE, right=True)
    cum = columns - 2
    _header_cell(top[cum].merge(top[cum + 1]), _("Cumulative"), size=IPTT_SIZE)
    _header_cell(sub[cum], _("Actual"), size=IPTT_SIZE, right=True)
    # xgettext:no-python-format
    _header_cell(sub[cum + 1], _("% of programme target"), size=IPTT_SIZE, right=True)
    for row in table.rows:
        _repeat_as_header(row)

    lines, indicator_rows = [], set()

    def add_row(first: str, label: str, values: list, *, indicator: bool) -> None:
        if indicator:
            indicator_rows.add(len(lines))
        lines.append(
            [first, label]
            + [text(v) if v is not None else (numbers.DASH if indicator else "") for v in values]
        )

    for row in iptt["rows"]:
        notes = [row.get("unit_label", ""), method_text(row)]
        if row.get("higher_is_better") is False:
            notes.append("↓ " + _("lower is better"))
        label = f"{row['name']}\n{' · '.join(n for n in notes if n)}"
        add_row(row["code"], label, iptt_figures(row, periods), indicator=True)
        for group in row.get("disaggregations") or []:
            add_row(
                "", group_label(group), iptt_group_figures(row, group, periods), indicator=False
            )
    add_rows(
        table,
        lines,
        size=IPTT_SIZE,
        right=set(range(2, columns)),
        bold=lambda r, c: r in indicator_rows and c != 1,
        fill=lambda r: "EEF3F8" if r in indicator_rows else None,
    )
    # A group's label is indented under its indicator.
    rows = table.rows
    for r in range(len(lines)):
        if r not in indicator_rows:
            rows[r + 2].cells[1].paragraphs[0].paragraph_format.left_indent = Cm(0.3)
    for row in table.rows:
        row.cells[0].width = Cm(1.2)
        row.cells[1].width = Cm(5.5)


def render(data: ReportData) -> bytes:
    doc = Document()
    page_setup(doc.sections[0])
    normal = doc.styles["Normal"]
    normal.font.name = "DejaVu Sans"
    normal.font.size = Pt(10)
    for level in (1, 2, 3):
        style = doc.styles[f"Heading {level}"]
        style.font.color.rgb = BLUE if level != 2 else NAVY
    core = doc.core_properties
    core.title = _("Progress report %(period)s") % {"period": data.period_label}
    core.subject = data.programme.get("name", "")
    core.author = data.programme.get("implementer", "")
    core.comments = data.inputs_hash
    # Draft or final, with the title and page numbers, on every page.
    running_header_and_footer(doc, data)

    # Cover
    images.docx_logos(doc, data)  # none uploaded: no slot
    p = doc.add_paragraph()
    run = p.add_run(data.programme.get("implementer", "").upper())
    run.bold = True
    run.font.color.rgb = BLUE
    doc.add_heading(_("Quarterly progress report"), level=0)
    p = doc.add_paragraph()
    run = p.add_run(data.programme.get("name", ""))
    run.font.size = Pt(13)
    run.font.color.rgb = NAVY
    p = doc.add_paragraph()
    run = p.add_run(f"{period_text(data)} · {data.scope['label']}")
    run.bold = True
    pr = data.programme
    details = [
        (_("Programme code"), pr.get("code")),
        (_("Donor"), pr.get("donor")),
        (_("Implemented by"), pr.get("implementer")),
        (_("Budget code"), pr.get("budget_code")),
        (_("SDG target"), pr.get("sdg_target")),
        (_("Reporting period"), period_text(data)),
        (_("Regions covered"), data.scope["label"]),
        (_("Expected outcome"), pr.get("outcome")),
    ]
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light List Accent 1"
    for key, value in details:
        if value:
            cells = table.add_row().cells
            cells[0].text = str(key)
            cells[1].text = str(value)
            cells[0].paragraphs[0].runs[0].bold = True
    doc.add_paragraph()
    doc.add_heading(_("Key figures"), level=1)
    s = data.summary
    tiles = [
        (text(s["people"], 0), _("people reached (unique)")),
        (text(s["women"], 0), _("women")),
        (text(s["events"], 0), _("events held")),
        (text(s["partners"], 0), _("partner organisations")),
        (sentences.percent(s["satisfied_pct"], group=NBSP), _("participants satisfied")),
        (numbers.signed(s["knowledge_gain"], 1, group=NBSP), _("points of knowledge gain")),
    ]
    grid = doc.add_table(rows=2, cols=3)
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, (value, label) in enumerate(tiles):
        cell = grid.rows[i // 3].cells[i % 3]
        shade(cell, "EEF3F8")
        cell.text = ""
        para = cell.paragraphs[0]
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = para.add_run(value)
        run.bold = True
        run.font.size = Pt(20)
        run.font.color.rgb = BLUE
        label_para = cell.add_paragraph()
        label_para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        label_run = label_para.add_run(str(label))
        label_run.font.size = Pt(8)
        label_run.font.color.rgb = GREY
    doc.add_page_break()

    # Results framework
    doc.add_heading(_("Results framework"), level=1)
    doc.add_paragraph(
        _(
            "Actual values for %(period)s against the targets set for the period. Status: on "
            "track at 90%% of the target or more, needs attention from 60%%, off track below."
        )
        % {"period": period_text(data)}
    )
    header = [
        _("Code"),
        _("Indicator"),
        _("Level"),
        _("Baseline"),
        _("Target"),
        _("Actual"),
        # xgettext:no-python-format
        _("% of target"),
        _("Life of programme"),
        _("Status"),
    ]
    rows = []
    for ind in data.indicators:
        dec = numbers.places_for_unit(ind["unit"])
        notes = [method_text(ind), sentences.reach(ind, group=NBSP)]
        notes.append(sentences.response(ind, group=NBSP))
        notes.append(sentences.progress(ind, group=NBSP, keys=("ytd",)))
        if ind.get("comment"):  # staff's explanation of variance (older snapshots have none)
            notes.append(f"{_('Explanation:')} {ind['comment']}")
        rows.append(
            [
                ind["code"],
                "\n".join([ind["name"], *(n for n in notes if n)]),
                ind["level_label"],
                text(ind["baseline"], dec),
                text(ind["target"], dec),
                text(ind["actual"], dec),
                sentences.percent(ind["percent_of_target"], group=NBSP),
                sentences.life_of_programme(ind, group=NBSP),
                status_label(ind["status"]),
            ]
        )
    table = add_table(doc, header, rows, right={3, 4, 5, 6, 7})
    for r, ind in enumerate(data.indicators, start=1):
        shade(table.rows[r].cells[8], STATUS_FILL.get(ind["status"], "FFFFFF"))

    if iptt_of(data):
        # Wide with more than one period: a landscape section of its own.
        wide = len(iptt_of(data)["periods"]) > 1
        new_section(doc, wide=wide)
        doc.add_heading(iptt_title(), level=1)
        add_iptt(doc, data)
        for line in iptt_legend():
            para = doc.add_paragraph()
            run = para.add_run(line)
            run.font.size = Pt(7.5)
            run.font.color.rgb = GREY
        new_section(doc, wide=False)

    # People reached and the other tables (the same tables as the XLSX annex)
    doc.add_heading(_("People reached"), level=1)
    doc.add_paragraph(sentences.people(data, group=NBSP))
    if data.people["total"]:
        add_people_charts(doc, data)
    tables = {t.key: t for t in report_tables(data)}
    for key in (
        "people_by_sex",
        "people_by_age_band",
        "people_by_region",
        "people_by_category",
        "people_by_disability",
        "people_category_by_sex",
    ):
        t = tables.get(key)
        if t is None:  # a snapshot from before the disability breakdown
            continue
        doc.add_heading(t.title, level=2)
        add_table(doc, t.header, t.rows, right=set(range(1, len(t.header))))

    doc.add_heading(_("Events held"), level=1)
    if not data.events:
        doc.add_paragraph(_("No events were held in this period."))
    elif "events_summary" in tables:
        # Per region and activity line; the full list is in the XLSX and CSV annex.
        doc.add_paragraph(event_summary_note(data))
        t = tables["events_summary"]
        keep = [0, 1, 2, 3, 4, 6, 7, 8, 9]
        first, last = 6, 7
        right = {3, 4, 7, 8}
    else:  # a snapshot from before the summary: its full list of events
        t = tables["events"]
        keep = [0, 1, 3, 4, 6, 7, 8, 9, 10]
        first, last = 3, 4
        right = {7, 8}
    if data.events:
        add_table(
            doc,
            [t.header[i] for i in keep],
            [
                [(f"{row[i]:%d.%m.%Y}" if i in (first, last) and row[i] else row[i]) for i in keep]
                for row in t.rows
            ],
            right=right,
        )

    doc.add_heading(_("Feedback and learning"), level=1)
    doc.add_paragraph(sentences.feedback(data, group=NBSP))
    if data.feedback["respondents"]:
        for key in ("feedback", "feedback_distribution"):
            t = tables[key]
            add_table(doc, t.header, [[r[0], text(r[1])] for r in t.rows], right={1})
    doc.add_heading(_("Knowledge gain"), level=2)
    doc.add_paragraph(sentences.knowledge(data, group=NBSP))
    t = tables["knowledge"]
    if data.knowledge["by_activity"]:
        add_chart(doc, charts.knowledge_chart(data, width=CONTENT_WIDTH.pt))
    if data.knowledge["n"]:
        add_table(
            doc,
            t.header,
            [[r[0]] + [text(v) for v in r[1:]] for r in t.rows],
            right={1, 2, 3, 4, 5},
        )

    doc.add_heading(_("Narrative"), level=1)
    if not data.narratives:
        doc.add_paragraph(_("No narrative has been written for this period yet."))
    for n in data.narratives:
        by_scope = len(data.narratives) > 1 or not data.scope["all_regions"]
        if by_scope:
            doc.add_heading(n["scope"], level=2)
        for key, label in narrative_sections():
            if n[key]:
                doc.add_heading(label, level=3 if by_scope else 2)
                for para in n[key].split("\n"):
                    if para.strip():
                        doc.add_paragraph(para.strip())

    doc.add_heading(_("What participants said"), level=1)
    if not data.quotes:
        doc.add_paragraph(_("No participant agreed to be quoted in this period."))
    for q in data.quotes:
        para = doc.add_paragraph(style="Intense Quote")
        para.add_run(f"“{q['text']}”")
        who = " · ".join(x for x in (q["category"], q["event_type"], q["region"]) if x)
        credit = doc.add_paragraph()
        run = credit.add_run(f"— {who}")
        run.font.size = Pt(8)
        run.font.color.rgb = GREY

    images.docx_photos(doc, data)  # the photos staff chose (none: no section)
    doc.add_page_break()
    doc.add_heading(_("Annex: how each indicator is computed"), level=1)
    methodology = methodology_of(data)
    if methodology:
        doc.add_heading(_("How this report counts"), level=2)
        for paragraph in methodology:
            doc.add_paragraph(paragraph)
        doc.add_heading(_("Indicators"), level=2)
    for a in data.annex:
        doc.add_heading(f"{a['code']} · {a['name']}", level=3 if methodology else 2)
        para = doc.add_paragraph()
        para.add_run(f"{a['rule_label']}. ").bold = True
        para.add_run(a["explanation"])
        how = " · ".join(x for x in (a.get("method_label"), a.get("direction_label")) if x)
        if how:
            doc.add_paragraph(how)
        if a.get("completion_text"):
            doc.add_paragraph(a["completion_text"])
        if a["disaggregations"]:
            doc.add_paragraph(_("Disaggregated by: %(d)s") % {"d": ", ".join(a["disaggregations"])})
        if a["params"]:
            doc.add_paragraph(_("Limited to: %(p)s") % {"p": a.get("params_text", "")})
    doc.add_heading(_("Results by group"), level=2)
    rows = [
        [
            ind["code"],
            dimension_label(dim),
            c["label"],
            text(c["value"], numbers.places_for_unit(ind["unit"])),
        ]
        for ind in data.indicators
        for dim, cells in ind["disaggregations"].items()
        for c in cells
    ]
    add_table(doc, [_("Code"), _("Disaggregated by"), _("Group"), _("Value")], rows, right={3})
    doc.add_heading(_("Data protection"), level=2)
    doc.add_paragraph(disclosure_note())
    small = doc.add_paragraph()
    run = small.add_run(
        _("Report fingerprint (sha256 of its inputs): %(h)s") % {"h": data.inputs_hash}
    )
    run.font.size = Pt(7)
    run.font.color.rgb = GREY
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
