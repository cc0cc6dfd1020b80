"""Who is who: IIN checks and hashing, and the normalised name used to find duplicates."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS_1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def iin_checksum_ok(iin: str) -> bool:
    """The control digit of a Kazakhstani IIN (12 digits): weighted sum mod 11, with a second
    set of weights when the first gives 10; a result of 10 twice means the number is invalid."""
    digits = [int(c) for c in iin]
    control = sum(d * w for d, w in zip(digits[:11], _WEIGHTS_1, strict=True)) % 11
    if control == 10:
        control = sum(d * w for d, w in zip(digits[:11], _WEIGHTS_2, strict=True)) % 11
        if control == 10:
            return False
    return control == digits[11]


def validate_iin(value: str) -> str:
    """Return the IIN without spaces, or raise a ValidationError that says what is wrong."""
    iin = re.sub(r"\s+", "", value or "")
    if not re.fullmatch(r"\d{12}", iin):
        raise ValidationError(_("An IIN has exactly 12 digits."), code="iin_length")
    if not iin_checksum_ok(iin):
        raise ValidationError(
            _("This IIN is not valid: its control digit does not match."), code="iin_checksum"
        )
    return iin


def hash_iin(iin: str) -> str:
    """A keyed hash (HMAC-SHA256) of a validated IIN: the number itself is never stored."""
    key = settings.IIN_HASH_KEY.encode()
    return hmac.new(key, validate_iin(iin).encode(), hashlib.sha256).hexdigest()


_KAZAKH_FOLD = str.maketrans(
    {
        "ё": "е",
        "й": "и",
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
        "ы": "и",
    }
)


def normalise_name(name: str) -> str:
    """Lower-case, one space, Kazakh and Russian letters folded to a common form, and words
    sorted, so "Нұрланов  Асқар" and "Аскар Нурланов" compare equal."""
    text = unicodedata.normalize("NFC", name or "").lower().translate(_KAZAKH_FOLD)
    text = re.sub(r"[^\w\s]", " ", text)
    words = sorted(w for w in text.split() if w)
    return " ".join(words)
