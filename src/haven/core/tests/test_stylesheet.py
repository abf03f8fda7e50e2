"""Every class a page uses has a rule in the stylesheets: a class without one is a promise the page does not keep
(a "critical" badge that looks like any other, overdue measures that look on time)."""

import re
from pathlib import Path

from django.contrib.messages.constants import DEFAULT_TAGS

HAVEN = Path(__file__).resolve().parents[2]
STYLESHEETS = [HAVEN / "core" / "static" / "haven" / "haven.css"]
SCRIPTS = [HAVEN / "core" / "static" / "haven" / "haven.js"]

# Classes made from a variable: each prefix and every value the variable can take.
DYNAMIC = {
    "message-": {f"message-{tag}" for tag in DEFAULT_TAGS.values()},
    "tree-depth-": {f"tree-depth-{depth}" for depth in range(3)},  # national office, chapter, CAC
}
# Classes that only name an element for a script or a test, and need no look of their own.
HOOKS: frozenset[str] = frozenset({"trajectory-chart-key"})  # care/trajectory.js shows it with the chart

VARIABLE = re.compile(r"\{\{.*?\}\}", re.S)
TAG = re.compile(r"\{%.*?%\}", re.S)
CLASS_ATTRIBUTE = re.compile(r"""\bclass="([^"]*)\"""")
PYTHON_CLASS = re.compile(r"""["']class["']\s*:\s*["']([^"']+)["']""")
SCRIPT_CLASS = re.compile(r"""className\s*=\s*"([^"]+)\"""")
STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
COMMENT = re.compile(r"/\*.*?\*/", re.S)
SELECTORS = re.compile(r"([^{}]+)\{[^{}]*\}")
CLASS_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


def _templates() -> list[Path]:
    return sorted(HAVEN.glob("*/templates/**/*.html"))


def classes_used() -> dict[str, set[str]]:
    """Each class a template, a form widget or the script gives an element, with where. Both branches of an
    ``{% if %}`` count; a class made from a variable counts as every value of it (``DYNAMIC``)."""
    used: dict[str, set[str]] = {}

    def add(name: str, where: str) -> None:
        used.setdefault(name, set()).add(where)

    for path in _templates():
        where = str(path.relative_to(HAVEN))
        for value in CLASS_ATTRIBUTE.findall(path.read_text(encoding="utf-8")):
            for token in TAG.sub(" ", VARIABLE.sub("\x00", value)).split():
                if "\x00" not in token:
                    add(token, where)
                    continue
                prefix = token.split("\x00")[0]
                assert prefix in DYNAMIC, f"{where}: class {token!r} is made from a variable; list it in DYNAMIC"
                for name in DYNAMIC[prefix]:
                    add(name, where)
    for path in sorted(HAVEN.glob("*/forms.py")):
        for value in PYTHON_CLASS.findall(path.read_text(encoding="utf-8")):
            for token in value.split():
                add(token, str(path.relative_to(HAVEN)))
    for path in SCRIPTS:
        for value in SCRIPT_CLASS.findall(path.read_text(encoding="utf-8")):
            for token in value.split():
                add(token, str(path.relative_to(HAVEN)))
    return used


def classes_styled() -> set[str]:
    sheets = [path.read_text(encoding="utf-8") for path in STYLESHEETS]
    sheets += [block for path in _templates() for block in STYLE_BLOCK.findall(path.read_text(encoding="utf-8"))]
    styled: set[str] = set()
    for sheet in sheets:
        for selector in SELECTORS.findall(COMMENT.sub("", sheet)):
            styled.update(CLASS_SELECTOR.findall(selector))
    return styled


def test_the_classes_are_found() -> None:
    used = classes_used()
    assert {"badge-danger", "measure-overdue", "done", "todo", "message-warning", "tree-depth-0", "item"} <= set(used)
    assert {"field", "errorlist", "visually-hidden"} <= classes_styled()


def test_every_class_used_has_a_rule() -> None:
    used = classes_used()
    missing = {name: sorted(where) for name, where in used.items() if name not in classes_styled() | HOOKS}
    assert missing == {}, "give these classes a rule in haven.css, or list a script's or test's hook in HOOKS"


def test_the_hooks_are_used() -> None:
    assert set(HOOKS) <= set(classes_used())
