"""The report's fonts (DejaVu, which covers Kazakh and Russian Cyrillic) and the one way to
measure text with them, shared by the PDF, the charts and the DOCX's chart images."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
FILES = {FONT: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


def font_path(name: str) -> Path:
    return Path(settings.BASE_DIR) / "static" / "fonts" / FILES[name]


@cache
def register_fonts() -> None:
    for name in FILES:
        pdfmetrics.registerFont(TTFont(name, str(font_path(name))))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def text_width(text: str, size: float, font: str = FONT) -> float:
    """The width in points of `text` set in `font` at `size`."""
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


def longest_word_width(text: str, size: float, font: str = FONT) -> float:
    """The width of the widest word of `text`: the least a column can be without breaking a
    word in the middle."""
    return max((text_width(word, size, font) for word in str(text).split()), default=0.0)
