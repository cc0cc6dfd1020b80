"""Uploaded files checked by what they are, not by what they are called.

`sniff(data)` names the kind of a file from its first bytes (and, for the Office formats, the
parts of its zip): JPEG, PNG, WebP, PDF, DOCX, XLSX, or "" for anything else; a text file
renamed to .jpg is "". `clean_image(data)` opens an image with Pillow, refuses one that is
broken or of absurd dimensions, turns it upright and saves it again without its metadata
(EXIF: the camera, the time and the GPS position of where it was taken), no longer than
`IMAGE_MAX_SIDE` pixels. `thumbnail(data)` is a small JPEG of an image for lists.

core imports no app of the project: the callers (event files, report logos) say which kinds
they accept and how large a file may be."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# kind -> (content type, extension)
KINDS: dict[str, tuple[str, str]] = {
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "webp": ("image/webp", "webp"),
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
IMAGE_KINDS = frozenset({"jpeg", "png", "webp"})
# Pillow names of the image kinds, to save a cleaned image in the format it came in.
PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}

IMAGE_MIN_SIDE = 16  # smaller is no photo or logo
IMAGE_MAX_PIXELS = 60_000_000  # about a 60-megapixel camera; more is a decompression bomb
IMAGE_MAX_SIDE = 3000  # stored photos are scaled down to this (long side)
THUMBNAIL_SIDE = 320


def sniff(data: bytes) -> str:
    """The kind of a file by its content ("jpeg", "png", "webp", "pdf", "docx", "xlsx"), or ""."""
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, ValueError):
            return ""
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return ""


def size_in_words(n_bytes: int) -> str:
    """'10 MB', '512 KB': a limit as people say it."""
    if n_bytes >= 1024 * 1024:
        value = n_bytes / (1024 * 1024)
        return _("%(n)s MB") % {"n": f"{value:.0f}" if value == int(value) else f"{value:.1f}"}
    return _("%(n)s KB") % {"n": max(1, round(n_bytes / 1024))}


def check_size(n_bytes: int, limit: int) -> None:
    """A ValidationError when the file is empty or bigger than `limit` bytes."""
    if n_bytes == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if n_bytes > limit:
        raise ValidationError(
            _("The file is too large (%(size)s): the limit is %(limit)s.")
            % {"size": size_in_words(n_bytes), "limit": size_in_words(limit)},
            code="too_large",
        )


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    kind: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def extension(self) -> str:
        return KINDS[self.kind][1]


def _open(data: bytes) -> Image.Image:
    try:
        probe = Image.open(io.BytesIO(data))
        width, height = probe.size
        if width * height > IMAGE_MAX_PIXELS:
            raise ValidationError(
                _("The image is too large (%(w)s × %(h)s pixels).") % {"w": width, "h": height},
                code="too_many_pixels",
            )
        probe.verify()  # a truncated or corrupt file fails here
        image = Image.open(io.BytesIO(data))  # verify() leaves the image unusable
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("The image cannot be read: is the file damaged?"), code="broken"
        ) from error
    except Image.DecompressionBombError as error:
        raise ValidationError(
            _("The image is too large to open safely."), code="too_many_pixels"
        ) from error
    if min(image.size) < IMAGE_MIN_SIDE:
        raise ValidationError(
            _("The image is too small (%(w)s × %(h)s pixels).") % {"w": width, "h": height},
            code="too_small",
        )
    return image


def clean_image(data: bytes, *, max_side: int = IMAGE_MAX_SIDE) -> CleanImage:
    """The image saved again by Pillow: upright (its EXIF orientation applied), no longer than
    `max_side` pixels, and without any metadata (EXIF, GPS, comments). Raises ValidationError
    when it is not a JPEG, PNG or WebP image Pillow can read, or of absurd dimensions."""
    kind = sniff(data)
    if kind not in IMAGE_KINDS:
        raise ValidationError(_("This is not a JPEG, PNG or WebP image."), code="not_image")
    image = ImageOps.exif_transpose(_open(data))
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        # No exif=, no icc_profile=: Pillow writes none unless asked.
        image.save(out, "JPEG", quality=88, optimize=True)
    elif kind == "png":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=88)
    return CleanImage(content=out.getvalue(), kind=kind, width=image.width, height=image.height)


def thumbnail(data: bytes, *, side: int = THUMBNAIL_SIDE) -> bytes:
    """A small JPEG of an image (its long side at most `side` pixels), for lists."""
    image = ImageOps.exif_transpose(_open(data))
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()
