"""Haven's apps stand in layers, and every module imports only downward (ARCHITECTURE.md, decision 17).

    core  <  platform (organizations, accounts, audit)  <  programs  <  pillars (training, care, measures, ...)
          <  reporting (reporting, grants)  <  shell

A pillar never reaches into another pillar: it reads one only through that pillar's ``selectors`` (its public
read API), and so do reporting and grants, which read each other's figures; ``measures`` is a pure library any
pillar may use whole. Within the platform only the edges of
``PLATFORM_EDGES`` exist. What a pillar's write changes reaches the layers above it through ``core.changes``,
never through an import.

Every module's imports are read with ``ast``: at the top, inside functions, ``import_module("...")`` with a
literal name, and a model's foreign key named by string ("app.Model"). An import under ``if TYPE_CHECKING:`` is
only a type hint and is allowed. Tests (``tests/`` and ``conftest.py``) exercise the assembled system and may
import anything; settings, ``urls.py`` and ``wsgi.py`` assemble it and stand above every layer.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HAVEN = Path(__file__).resolve().parents[2]

CORE, PLATFORM, PROGRAMS, PILLARS, REPORTING, SHELL = range(6)
LAYER_NAMES = ("core", "platform", "programs", "pillars", "reporting", "shell")
LAYERS = {
    "core": CORE,
    "keys": CORE,  # haven/keys.py: reading keys from the environment, for the settings
    "organizations": PLATFORM,
    "accounts": PLATFORM,
    "audit": PLATFORM,
    "programs": PROGRAMS,
    "measures": PILLARS,
    "training": PILLARS,
    "care": PILLARS,
    "learning": PILLARS,
    "safeguarding": PILLARS,
    "awareness": PILLARS,  # reads safeguarding's reviews through its selectors (a campaign showing minors)
    "reporting": REPORTING,
    "grants": REPORTING,  # money follows outcomes: grants read reporting's figures, reporting grants' (decision 26)
    "evaluation": REPORTING,  # reads the pillars through their selectors to build its package (issue 18)
    "shell": SHELL,
    "api": SHELL,  # an adapter like the pages: it calls the pillars' services and selectors
}
# The project's assembly: above every layer, checked by nothing here.
ASSEMBLY = frozenset({"settings", "urls", "wsgi", "conftest", "__init__"})
# Which platform app may import which: a membership is a user's and sign-in needs to know the roles (accounts and
# organizations, both ways); every write is audited (to audit); the log is scoped by tenancy and shows each
# membership what its organizations did (audit to organizations). The log never imports accounts.
PLATFORM_EDGES = frozenset(
    {
        ("accounts", "organizations"),
        ("accounts", "audit"),
        ("organizations", "accounts"),
        ("organizations", "audit"),
        ("audit", "organizations"),
    }
)
LIBRARIES = frozenset({"measures"})  # pure Python, no ORM: any pillar may use every module
PUBLIC_READ = "selectors"
RELATED_FIELDS = frozenset({"ForeignKey", "OneToOneField", "ManyToManyField"})


@dataclass(frozen=True)
class Import:
    path: str  # relative to src/haven
    line: int
    target: str  # a dotted module name


def module_name(path: Path) -> str:
    parts = ["haven", *path.relative_to(HAVEN).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (HAVEN / relative).with_suffix(".py").is_file() or (HAVEN / relative / "__init__.py").is_file()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            for statement in node.body:
                hidden.update(id(inner) for inner in ast.walk(statement))
    return hidden


def imports_in(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, dotted module) of every import of a haven module that ``source`` (the module ``module``) makes."""
    tree = ast.parse(source)
    hidden = _type_checking_only(tree)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                yield node.lineno, submodule if _is_module(submodule) else origin
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            value = node.args[0].value
            if name == "import_module" and isinstance(value, str):
                yield node.lineno, value
            elif name in RELATED_FIELDS and isinstance(value, str) and value.count(".") == 1:
                app = value.split(".")[0]
                if app in LAYERS:
                    yield node.lineno, f"haven.{app}.models"


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def violation(importer: str, target: str) -> str | None:
    """Why ``importer`` may not import ``target`` (both dotted module names), or None when it may."""
    if not target.startswith("haven."):
        return None
    source_app, target_app = app_of(importer), app_of(target)
    if source_app == target_app or source_app in ASSEMBLY:
        return None
    if target_app in ASSEMBLY:
        return f"{importer} imports {target}: nothing imports the project's assembly (settings, urls)"
    if source_app not in LAYERS or target_app not in LAYERS:
        unplaced = source_app if source_app not in LAYERS else target_app
        return f"{importer} imports {target}: the app {unplaced!r} has no layer (add it to LAYERS)"
    here, there = LAYERS[source_app], LAYERS[target_app]
    if there > here:
        return (
            f"{importer} imports {target}: {source_app} ({LAYER_NAMES[here]}) may not import {target_app} "
            f"({LAYER_NAMES[there]}), a layer above it. Say what changed with core.changes.announce instead, "
            "or move the code to the layer that owns it"
        )
    if there < here:
        return None
    if here == PLATFORM and (source_app, target_app) not in PLATFORM_EDGES:
        return f"{importer} imports {target}: {source_app} may not import {target_app} (see PLATFORM_EDGES)"
    if here in (PILLARS, REPORTING):
        if source_app in LIBRARIES:
            return f"{importer} imports {target}: {source_app} is a pure library and imports no pillar"
        if target_app in LIBRARIES:
            return None
        public = f"haven.{target_app}.{PUBLIC_READ}"
        if target != public and not target.startswith(public + "."):
            return (
                f"{importer} imports {target}: an app reads another of its layer only through its selectors "
                f"({public}); for a write, announce a change in core.changes and let the other pillar keep its own"
            )
    return None


def _modules() -> Iterator[Path]:
    for path in sorted(HAVEN.rglob("*.py")):
        parts = path.relative_to(HAVEN).parts
        if "tests" in parts or path.name == "conftest.py":
            continue
        yield path


def all_imports() -> Iterator[tuple[str, Import]]:
    for path in _modules():
        module = module_name(path)
        for line, target in imports_in(path.read_text(), module, is_package=path.name == "__init__.py"):
            yield module, Import(str(path.relative_to(HAVEN)), line, target)


def test_every_import_goes_downward() -> None:
    problems = sorted(
        {
            f"{found.path}:{found.line}: {reason}"
            for module, found in all_imports()
            if (reason := violation(module, found.target))
        }
    )
    assert not problems, "Imports across the layers:\n" + "\n".join(problems)


def test_every_app_has_a_layer() -> None:
    apps = {path.parent.name for path in HAVEN.glob("*/apps.py")}
    assert apps - set(LAYERS) == set(), "Place each new app in LAYERS (and ARCHITECTURE.md's map)"


# -- The checker itself --------------------------------------------------------------------------------------------


def _found(source: str, module: str) -> list[str]:
    return [reason for _line, target in imports_in(source, module) if (reason := violation(module, target))]


@pytest.mark.parametrize(
    "source",
    [
        "from haven.reporting import kept",
        "import haven.reporting.kept",
        "def f():\n    from haven.reporting.kept import refresh\n",
        "from importlib import import_module\nimport_module('haven.reporting.kept')",
        "from haven.training.models import Enrollment",
        "from haven.training import services",
        "from ..training import version",
        "class A(models.Model):\n    cohort = models.ForeignKey('training.Cohort', on_delete=models.CASCADE)",
    ],
)
def test_the_checker_finds_an_upward_or_sideways_import(source: str) -> None:
    assert _found(source, "haven.care.services")


@pytest.mark.parametrize(
    "source",
    [
        "from haven.training import selectors",
        "from haven.training.selectors import program_for",
        "from haven.measures import scoring",
        "from haven.core.changes import announce",
        "from haven.organizations.models import Membership",
        "from . import models\nfrom .models import Episode",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from haven.reporting.kept import refresh",
    ],
)
def test_the_checker_allows_a_downward_or_public_import(source: str) -> None:
    assert _found(source, "haven.care.services") == []


def test_the_checker_holds_the_core_and_the_platform() -> None:
    assert _found("from haven.organizations.models import Membership", "haven.core.views")
    assert _found("from haven.accounts.models import User", "haven.audit.selectors")
    assert _found("from haven.shell.navigation import items_for", "haven.reporting.views")
    assert _found("from haven.care import selectors", "haven.measures.scoring")
    assert _found("from haven.care import selectors", "haven.hotline.services")  # an app with no layer yet
    assert _found("from haven.safeguarding.models import Submission", "haven.awareness.services")  # beside: selectors
    assert _found("from haven.reporting.figures import workforce", "haven.grants.services")  # beside: selectors
    assert _found("from haven.reporting import selectors", "haven.grants.services") == []
    assert _found("from haven.grants import selectors", "haven.reporting.figures") == []
    assert _found("from haven.organizations.models import Membership", "haven.accounts.services") == []


# -- Views are thin ------------------------------------------------------------------------------------------------

WRITES = frozenset({"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "atomic", "on_commit"})


def writes_in(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) of every write a module makes itself: an audit entry, a transaction, a row created through a
    manager. A view hands those to its app's services (and a read's audit to its selectors)."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        if node.func.attr == "record" and isinstance(owner, ast.Name) and owner.id == "audit":
            yield node.lineno, "audit.record"
        elif node.func.attr in WRITES:
            yield node.lineno, node.func.attr


def test_views_write_nothing_themselves() -> None:
    problems = [
        f"{path.relative_to(HAVEN)}:{line}: {what}"
        for path in sorted({*HAVEN.glob("*/views*.py"), *HAVEN.glob("*/*_views.py"), *HAVEN.glob("*/views/*.py")})
        for line, what in writes_in(path.read_text())
    ]
    assert not problems, "Writes in views (move them to the app's services or selectors):\n" + "\n".join(problems)


def test_the_write_finder_sees_a_view_writing() -> None:
    source = (
        "def v(request):\n    with transaction.atomic():\n        r = Report.objects.create(x=1)\n"
        "        audit.record(actor=request.user, action='x')\n        transaction.on_commit(lambda: None)\n"
    )
    assert [what for _line, what in writes_in(source)] == ["atomic", "create", "audit.record", "on_commit"]
    assert list(writes_in("def v(request):\n    return services.report_request(actor=request.user)\n")) == []
