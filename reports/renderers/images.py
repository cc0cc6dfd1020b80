"""The pictures of the PDF and DOCX reports: the logos on the first page and the section
"Photos from the events" (docs/decisions/0014). pdf.py and docx.py each call two functions.

The ReportData names every image by its path in the default storage (reports/branding.py);
this module reads the images from there: the one thing a renderer reads besides the ReportData,
and never the database. An image that is gone from storage (deleted since) or unreadable is
left out; no logo means no slot at all, no photo no section."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from docx.shared import Mm, Pt, RGBColor
from PIL import Image, UnidentifiedImageError
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Paragraph, Spacer, Table, TableStyle
from reportlab.platypus import Image as PdfImage

from ..builder import ReportData

log = logging.getLogger(__name__)

PHOTO_MAX_SIDE = 1400  # pixels: sharp at half an A4 page's width, a small file
LOGO_MAX_SIDE = 800


@dataclass(frozen=True)
class Picture:
    content: bytes  # JPEG, or PNG when the image has transparency (logos)
    width: int
    height: int

    def stream(self) -> io.BytesIO:
        return io.BytesIO(self.content)

    def fit(self, max_w: float, max_h: float) -> tuple[float, float]:
        """The largest (w, h) within max_w x max_h keeping the image's proportions."""
        scale = min(max_w / self.width, max_h / self.height)
        return self.width * scale, self.height * scale


def picture(path: str, *, max_side: int) -> Picture | None:
    """The image at `path` in the default storage, scaled down to `max_side`, or None."""
    if not path:
        return None
    try:
        with default_storage.open(path, "rb") as handle:
            image = Image.open(io.BytesIO(handle.read()))
            image.load()
    except (FileNotFoundError, OSError, UnidentifiedImageError, ValueError):
        log.warning("report image %s is missing or unreadable: left out", path)
        return None
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if image.mode in ("LA", "P", "RGBA"):
        image = image.convert("RGBA")
    # Transparency only where some pixel is see-through (an opaque PNG prints as a JPEG).
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255:
        image.save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return Picture(out.getvalue(), image.width, image.height)


def logos(data: ReportData) -> list[tuple[dict[str, Any], Picture]]:
    found = ((logo, picture(logo.get("path", ""), max_side=LOGO_MAX_SIDE)) for logo in data.logos)
    return [(logo, pic) for logo, pic in found if pic]


def photos(data: ReportData) -> list[tuple[dict[str, Any], Picture]]:
    found = ((p, picture(p.get("path", ""), max_side=PHOTO_MAX_SIDE)) for p in data.photos)
    return [(p, pic) for p, pic in found if pic]


def photos_title() -> str:
    return _("Photos from the events")


def photo_caption(photo: dict[str, Any]) -> str:
    """'Group exercise. Preventing youth radicalisation, Mangystau, 13.08.2024'."""
    start = photo.get("start", "")
    when = f"{start[8:10]}.{start[5:7]}.{start[:4]}" if len(start) == 10 else ""
    where = ", ".join(x for x in (photo.get("event", ""), photo.get("region", ""), when) if x)
    caption = (photo.get("caption") or "").strip()
    if caption and where:
        return f"{caption.rstrip('.')}. {where}"
    return caption or where


# PDF (reportlab) ------------------------------------------------------------------------------
LOGO_HEIGHT_MM = 18


def pdf_logos(data: ReportData, width: float) -> list:
    """A row of the logos for the top of the first page ([] without logos)."""
    found = logos(data)
    if not found:
        return []
    cells = []
    for _logo, pic in found:
        w, h = pic.fit(width / len(found) - 6 * mm, LOGO_HEIGHT_MM * mm)
        cells.append(PdfImage(pic.stream(), width=w, height=h))
    table = Table([cells], colWidths=[width / len(found)] * len(found), hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 0), (0, 0), "LEFT"),
                ("ALIGN", (-1, 0), (-1, 0), "RIGHT" if len(found) > 1 else "LEFT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table, Spacer(1, 4 * mm)]


def pdf_photos(data: ReportData, st: dict, width: float) -> list:
    """The section "Photos from the events": two photos a row, each with its caption."""
    found = photos(data)
    if not found:
        return []
    column = (width - 6 * mm) / 2
    cells = []
    for photo, pic in found:
        w, h = pic.fit(column, 70 * mm)
        caption = Paragraph(escape(photo_caption(photo)), st.get("small") or st["body"])
        cells.append([PdfImage(pic.stream(), width=w, height=h), Spacer(1, 1 * mm), caption])
    rows = [cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)]
    table = Table(rows, colWidths=[column + 3 * mm, column + 3 * mm], hAlign="LEFT")
    table.setStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ]
    )
    title = Paragraph(escape(photos_title()), st["h1"])
    return [CondPageBreak(90 * mm), title, Spacer(1, 2 * mm), table]


# DOCX (python-docx) ---------------------------------------------------------------------------
def docx_logos(doc, data: ReportData) -> None:
    """The logos in one paragraph at the top of the first page (nothing without logos)."""
    found = logos(data)
    if not found:
        return
    para = doc.add_paragraph()
    for i, (logo, pic) in enumerate(found):
        w, h = pic.fit(70, LOGO_HEIGHT_MM)  # millimetres
        run = para.add_run()
        shape = run.add_picture(pic.stream(), width=Mm(w), height=Mm(h))
        shape._inline.docPr.set("descr", logo.get("name", ""))  # the alternative text
        if i < len(found) - 1:
            para.add_run("\u2003\u2003")


def docx_photos(doc, data: ReportData) -> None:
    """The section "Photos from the events", one photo a paragraph with its caption below."""
    found = photos(data)
    if not found:
        return
    doc.add_heading(photos_title(), level=1)
    for photo, pic in found:
        w, h = pic.fit(150, 100)  # millimetres, within an A4 page's text width
        shape = doc.add_paragraph().add_run().add_picture(pic.stream(), width=Mm(w), height=Mm(h))
        caption = photo_caption(photo)
        shape._inline.docPr.set("descr", caption)
        run = doc.add_paragraph().add_run(caption)
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x5F, 0x6B, 0x7A)
