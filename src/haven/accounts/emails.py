"""The one form of an e-mail address that Haven stores, looks up and throttles by."""

import unicodedata


def normalize_email(value: str) -> str:
    """``value`` without surrounding spaces, in Unicode compatibility form (NFKC) and case-folded.

    NFKC folds look-alike compatibility characters (fullwidth letters, the Kelvin sign) into the letters they stand
    for; case folding is Unicode's caseless matching, the same on every database (SQL's UPPER and LOWER differ
    between SQLite and PostgreSQL). NFKC is applied again after folding, so the result is a fixed point. Letters
    that are distinct in Unicode stay distinct: the dotless ``ı`` is not ``i``.
    """
    if value.isascii():  # NFKC leaves ASCII as it is, and case-folds it as lower() does: the common case, fast
        return value.strip().lower()
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return unicodedata.normalize("NFKC", folded).strip()
