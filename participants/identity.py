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


# Latin and Cyrillic letters that look alike (as capitals and as small letters): a keyboard
# left in the other layout puts them inside a name ("Aсқар" with a Latin A). Kazakh і, һ and ү
# have Latin twins too.
_LOOK_ALIKES = {
    "A": "А",
    "B": "В",
    "C": "С",
    "E": "Е",
    "H": "Н",
    "I": "І",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "T": "Т",
    "X": "Х",
    "Y": "Ү",
    "a": "а",
    "c": "с",
    "e": "е",
    "i": "і",
    "k": "к",
    "h": "һ",
    "o": "о",
    "p": "р",
    "x": "х",
    "y": "у",
}
_TO_CYRILLIC = str.maketrans(_LOOK_ALIKES)
_TO_LATIN = str.maketrans({**{c: lat for lat, c in _LOOK_ALIKES.items()}, "У": "Y"})
_WORD = re.compile(r"[^\W\d_]+")


def _script(letter: str) -> str:
    if "a" <= letter.lower() <= "z":
        return "latin"
    return "cyrillic" if "\u0400" <= letter <= "\u04ff" else "other"


def _unconfuse_word(match: re.Match) -> str:
    word = match.group()
    scripts = [_script(c) for c in word]
    if "latin" not in scripts or "cyrillic" not in scripts:
        return word  # one script: as typed (a Latin "Pak" stays Latin)
    # The letters without a twin in the other script tell which one the word is written in;
    # failing those, the most letters.
    only_latin = sum(
        1 for c, s in zip(word, scripts, strict=True) if s == "latin" and c not in _LOOK_ALIKES
    )
    only_cyrillic = sum(
        1
        for c, s in zip(word, scripts, strict=True)
        if s == "cyrillic" and c.translate(_TO_LATIN) == c
    )
    if (only_latin, scripts.count("latin")) > (only_cyrillic, scripts.count("cyrillic")):
        return word.translate(_TO_LATIN)
    return word.translate(_TO_CYRILLIC)


def unconfuse(text: str) -> str:
    """Each word that mixes Latin and Cyrillic letters written in one script: the look-alike
    letters of the other script replaced ("Aсқар" with a Latin A becomes "Асқар"). For
    comparing names only: a name is stored as typed."""
    return _WORD.sub(_unconfuse_word, text)


def normalise_name(name: str) -> str:
    """Lower-case, one space, Latin look-alike letters inside a Cyrillic word (and Cyrillic
    ones inside a Latin word) replaced, Kazakh and Russian letters folded to a common form, and
    words sorted, so "Нұрланов  Асқар", "Аскар Нурланов" and "Hұрланов Aсқар" compare equal."""
    text = unconfuse(unicodedata.normalize("NFC", name or "")).lower().translate(_KAZAKH_FOLD)
    text = re.sub(r"[^\w\s]", " ", text)
    words = sorted(w for w in text.split() if w)
    return " ".join(words)


# Transliteration, for search only: "Dyusenova" finds "Дюсенова" and "Қасымов" finds "Kasymov".
# One common spelling each way (passport-style Latin, and the Kazakh Latin letters q, ğ, ä, ö,
# ü, ı, ş, ç); the result is folded like the stored names, so Kazakh letters need not match.
_LATIN_CLUSTERS = (
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("iu", "ю"),
    ("ju", "ю"),
    ("ya", "я"),
    ("ia", "я"),
    ("ja", "я"),
    ("yo", "ё"),
    ("gh", "г"),
)
_LATIN_LETTERS = str.maketrans(
    {
        "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х",
        "i": "и", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
        "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "у", "x": "кс",
        "y": "и", "z": "з", "ä": "а", "ö": "о", "ü": "у", "ğ": "г", "ı": "и", "ş": "ш",
        "ç": "ч", "ñ": "н", "ń": "н", "'": "",
    }
)  # fmt: skip
_CYRILLIC_LETTERS = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
        "щ": "shch", "ъ": "", "ь": "", "э": "e", "ю": "yu", "я": "ya", "ё": "e",
        "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
        "і": "i",
    }
)  # fmt: skip
# й and ы are written either way in Latin (Aigul / Aygul, Kasymov / Kasimov).
_Y_LETTERS = tuple({"й": short, "ы": hard} for short in "iy" for hard in "yi")


def name_spellings(word: str) -> set[str]:
    """The forms a typed word is searched under in `name_normalised`: the word folded as names
    are, and its transliteration into the other alphabet, folded the same way."""
    folded = normalise_name(word)
    if not folded:
        return set()
    forms = {folded}
    if re.fullmatch(r"[a-zäöüğışçñń']+", folded):
        cyrillic = folded
        for latin, letter in _LATIN_CLUSTERS:
            cyrillic = cyrillic.replace(latin, letter)
        forms.add(normalise_name(cyrillic.translate(_LATIN_LETTERS)))
    elif re.fullmatch(r"[\u0400-\u04ff]+", folded):
        typed = unconfuse(unicodedata.normalize("NFC", word)).lower()
        for y_letters in _Y_LETTERS:
            forms.add(typed.translate(str.maketrans(y_letters)).translate(_CYRILLIC_LETTERS))
    return {form for form in forms if form}
