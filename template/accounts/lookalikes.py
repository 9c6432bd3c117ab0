"""Usernames that look like another user's are refused: "admin" with a Cyrillic "a" (U+0430)
beside the Latin "admin".

Two usernames look alike when their `skeleton()`s are equal (the idea of Unicode TR39's
confusable skeleton, narrowed to what usernames hold):

1. NFKC, as Django's `normalize_username` does: full-width letters (U+FF41...), the
   mathematical alphabets (U+1D400...), ligatures (U+FB01 "fi") and superscripts become
   plain letters and digits;
2. each letter of another script that is drawn like a Latin letter becomes that letter
   (`LOOKALIKES`: Cyrillic a e o p c y x i j s h d q w and the palochka, and their capitals;
   Greek alpha, omicron, rho, nu, iota, upsilon, chi, gamma, sigma and capitals such as
   Alpha, Beta, Epsilon, Eta, Iota, Kappa, Mu, Nu, Omicron, Rho, Tau, Chi, Upsilon, Zeta;
   Armenian o, n, s; the dotless i and j, the Latin alpha and script g), and the digits 0
   and 1 become "o" and "l";
3. case folding: "Admin", "ADMIN" and "admin" are one name.

What it does not cover: look-alikes made of several characters ("rn" for "m", "vv" for
"w"); capital "I" against lowercase "l" (usernames compare without case, and folding them
together would also fold "i" and "l": "ali" and "all"); accented letters against plain
ones; look-alikes between two scripts other than Latin; letters of scripts outside the
table. Django's username validator already refuses invisible characters (zero-width
spaces, joiners) and lone combining marks.

`find_lookalike()` finds an existing user whose username looks like a given one; the user
model's `clean()`, its manager's `create_user()` / `create_superuser()` and the panel's edit
form refuse such a username with `lookalike_error()`'s message.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

#: A username holding a character outside printable ASCII, as a regular expression.
NOT_ASCII = r"[^ -~]"

# Latin letter or digit -> the characters drawn like it (after NFKC).
_DRAWN_LIKE = {
    "A": "\u0410\u0391",  # Cyrillic capital a, Greek capital alpha
    "B": "\u0412\u0392",  # Cyrillic capital ve, Greek capital beta
    "C": "\u0421\u03f9",  # Cyrillic capital es, Greek capital lunate sigma
    "E": "\u0415\u0395",  # Cyrillic capital ie, Greek capital epsilon
    "H": "\u041d\u0397",  # Cyrillic capital en, Greek capital eta
    # Cyrillic capital Ukrainian i, Greek capital iota, Cyrillic palochka
    "I": "\u0406\u0399\u04c0",
    "J": "\u0408",  # Cyrillic capital je
    "K": "\u041a\u039a",  # Cyrillic capital ka, Greek capital kappa
    "M": "\u041c\u039c",  # Cyrillic capital em, Greek capital mu
    "N": "\u039d",  # Greek capital nu
    "O": "\u041e\u039f",  # Cyrillic capital o, Greek capital omicron
    "P": "\u0420\u03a1",  # Cyrillic capital er, Greek capital rho
    "Q": "\u051a",  # Cyrillic capital qa
    "S": "\u0405",  # Cyrillic capital dze
    "T": "\u0422\u03a4",  # Cyrillic capital te, Greek capital tau
    "W": "\u051c",  # Cyrillic capital we
    "X": "\u0425\u03a7",  # Cyrillic capital ha, Greek capital chi
    "Y": "\u04ae\u03a5",  # Cyrillic capital straight u, Greek capital upsilon
    "Z": "\u0396",  # Greek capital zeta
    "a": "\u0430\u03b1\u0251",  # Cyrillic a, Greek alpha, Latin alpha
    "c": "\u0441\u03f2",  # Cyrillic es, Greek lunate sigma
    "d": "\u0501",  # Cyrillic Komi de
    "e": "\u0435",  # Cyrillic ie
    "g": "\u0261",  # Latin script g
    "h": "\u04bb",  # Cyrillic shha
    "i": "\u0456\u03b9\u0131",  # Cyrillic Ukrainian i, Greek iota, Latin dotless i
    "j": "\u0458\u03f3\u0237",  # Cyrillic je, Greek yot, Latin dotless j
    "l": "\u04cf\u0031",  # Cyrillic palochka, digit one
    "n": "\u0578",  # Armenian vo
    # Cyrillic o, Greek omicron, Armenian oh, Greek sigma, digit zero
    "o": "\u043e\u03bf\u0585\u03c3\u0030",
    "p": "\u0440\u03c1",  # Cyrillic er, Greek rho
    "q": "\u051b",  # Cyrillic qa
    "s": "\u0455",  # Cyrillic dze
    "u": "\u03c5\u057d",  # Greek upsilon, Armenian seh
    "v": "\u03bd\u0475",  # Greek nu, Cyrillic izhitsa
    "w": "\u051d",  # Cyrillic we
    "x": "\u0445\u03c7",  # Cyrillic ha, Greek chi
    "y": "\u0443\u03b3",  # Cyrillic u, Greek gamma
}
#: Character -> the Latin letter (or digit) it is drawn like.
LOOKALIKES: dict[str, str] = {char: latin for latin, chars in _DRAWN_LIKE.items() for char in chars}
_TABLE = str.maketrans(LOOKALIKES)

LOOKALIKE_CODE = "username_lookalike"
LOOKALIKE_RULE = gettext_noop(
    "usernames may not differ from another only in letter case, in full-width or other "
    "compatibility forms, or in letters of other scripts drawn like Latin ones"
)


def skeleton(username: str) -> str:
    """The form that look-alike usernames share (see the module docstring).

    >>> skeleton("\u0430dmin") == skeleton("\uff21DMIN") == skeleton("Admin")
    True
    """
    # Before case folding (Greek capital Nu is drawn like N, its lowercase like v) and after.
    text = unicodedata.normalize("NFKC", username).translate(_TABLE)
    return unicodedata.normalize("NFKC", text.casefold()).translate(_TABLE)


def _ascii_pattern(name_skeleton: str) -> str | None:
    """A regular expression matching the upper-cased form of every ASCII username with this
    skeleton; None when no ASCII username has it."""
    pattern = []
    for char in name_skeleton:
        if char == "o":
            pattern.append("[O0]")
        elif char == "l":
            pattern.append("[L1]")
        elif char.isascii() and (char.isalpha() or char.isdigit()):
            pattern.append(char.upper())
        elif char.isascii() and char.isprintable():
            pattern.append(re.escape(char))
        else:
            return None
    return "^" + "".join(pattern) + "$"


def find_lookalike(users: QuerySet[Any], username: str) -> str | None:
    """The username among `users` that looks like `username` but is not it; None if none.

    `username` is what was typed, before NFKC: "admin" in full-width letters is a
    look-alike of "admin", while "admin" itself is the unique constraint's business. The
    query reads the ASCII usernames of the same spelling up to case, `0`/`o` and `1`/`l`
    (a regular expression on `UPPER(username)`, which the trigram index of the user table
    serves on PostgreSQL), and the usernames holding other characters.
    """
    target = skeleton(username)
    candidates = Q(username__regex=NOT_ASCII)
    ascii_pattern = _ascii_pattern(target)
    if ascii_pattern is not None:
        candidates |= Q(upper_username__regex=ascii_pattern)
    found = users.annotate(upper_username=Upper("username")).filter(candidates)
    for existing in found.exclude(username=username).values_list("username", flat=True):
        if skeleton(existing) == target:
            return existing
    return None


def lookalike_error(existing: str) -> ValidationError:
    """The refusal of a username that looks like the existing username `existing`."""
    return ValidationError(
        _('This username looks like the existing username "%(existing)s": %(rule)s.'),
        code=LOOKALIKE_CODE,
        params={"existing": existing, "rule": _(LOOKALIKE_RULE)},
    )


def validate_not_lookalike(users: QuerySet[Any], username: str) -> None:
    """Raise `lookalike_error()` if a username among `users` looks like `username`."""
    existing = find_lookalike(users, username)
    if existing is not None:
        raise lookalike_error(existing)
