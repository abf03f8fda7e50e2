"""Text written twice, in English and French, read in the active language (course modules, checklist items)."""

from typing import Any

from django.utils.translation import get_language

LANGUAGES = ("en", "fr")


class InLanguage:
    """The active language's version of a bilingual field pair (``<name>_en``, ``<name>_fr``), English if empty."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        language = (get_language() or "en")[:2]
        text = getattr(obj, f"{self.name}_{language}", "") if language in LANGUAGES else ""
        return text or getattr(obj, f"{self.name}_en")
