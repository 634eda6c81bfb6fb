"""Arrows that run one way, checked on the source (``ast``, every import, lazy ones inside
functions included): the core knows no UI, the services never reach for the worker (they enqueue
through ``jobs.JobQueue``, which the worker installs), and the domain stands on nothing but itself,
``core.errors`` and ``core.config``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = {path.name for path in ROOT.iterdir() if (path / "__init__.py").is_file()} | {"tests", "bench"}
UI = ("workbench", "pages", "student")


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    yield from imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the source; ``from a import b`` yields ``a.b`` too, since
    ``from core import worker`` imports the module ``core.worker``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def sources(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _is(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(folder: str, refused) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {module}"
            for path in sources(folder) for line, module in imports_of(path) if refused(module)]


def test_the_core_imports_no_user_interface():
    assert violations("core", lambda m: any(_is(m, ui) for ui in UI)) == []


def test_the_services_never_import_the_worker():
    assert violations("core/services", lambda m: _is(m, "core.worker")) == []


def test_the_domain_imports_only_itself_errors_and_config():
    allowed = ("core.domain", "core.errors", "core.config")

    def refused(module: str) -> bool:
        return module.split(".")[0] in PROJECT_PACKAGES and not any(_is(module, a) for a in allowed) \
            and module != "core"

    assert violations("core/domain", refused) == []


@pytest.mark.parametrize("source, module", [
    ("from core import worker\n", "core.worker"),
    ("def f():\n    import core.worker as w\n", "core.worker"),
    ("from core.worker import get_huey\n", "core.worker"),
    ("from .. import worker\n", "core.worker"),
])
def test_the_check_sees_lazy_relative_and_from_imports(source, module):
    assert any(_is(found, module) for _, found in imports_in(source, "core.services"))


STUDENT_APP_REFUSED = ("core.models", "workbench", "core.imaging", "core.storage", "core.db", "core.worker")


def student_app_refuses(module: str) -> bool:
    """What the student app may not import: ORM rows (``core.models``), the staff app (``workbench``),
    the layers under the services, and any service but the student application layer, which hands
    it frozen views. The domain's shared words (enums, the actor) and ``core.errors`` are allowed."""
    return (any(_is(module, refused) for refused in STUDENT_APP_REFUSED)
            or (_is(module, "core.services") and module != "core.services"
                and not _is(module, "core.services.student_app")))


def test_the_student_app_stands_on_the_student_application_layer_alone():
    """What both apps share is in ``uikit``; what the student app needs of the core comes through
    ``core.services.student_app``."""
    assert violations("student", student_app_refuses) == []


@pytest.mark.parametrize("source", [
    "from core.models import StudentAccount\n", "from workbench import context\n",
    "def f():\n    import workbench.widgets\n", "from core.services.student_flow import Stage\n",
    "from core.services import wechat\n", "import core.services.linking\n",
    "from core.services import student_app, payments\n", "from core.imaging import standard\n",
])
def test_the_student_check_refuses_models_the_staff_app_and_other_services(source):
    assert [m for _, m in imports_in(source, "student.screens") if student_app_refuses(m)]


@pytest.mark.parametrize("source", ["from core.services import student_app\n",
                                    "from core.services.student_app import StudentStatus\n",
                                    "from uikit.plain import plain\n"])
def test_the_student_check_lets_the_student_application_layer_through(source):
    assert not [m for _, m in imports_in(source, "student.screens") if student_app_refuses(m)]
