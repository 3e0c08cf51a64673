"""The packages' imports, read from their source: no circle, no import from a lower layer upward.

Every import counts, those under ``if TYPE_CHECKING:`` and inside functions
included: a circle that only the type checker walks still ties two modules
together for a reader. The layers of ``results_api`` are the ones its
package docstring and the README's "Where code goes" describe; a
subpackage not named in ``LAYERS`` is checked for circles only.
"""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("django_celery_results", "results_api")

# Lower numbers are lower layers; a module may import its own layer and those below.
LAYERS = {
    "django_celery_results": 0,
    "results_api": 1,
    "results_api.old_paths": 1,
    "results_api.conf": 1,
    "results_api.models": 1,
    "results_api.fields": 2,
    "results_api.content": 2,
    "results_api.failures": 2,
    "results_api.stats": 3,
    "results_api.search.models": 1,
    "results_api.search": 3,
    "results_api.audit": 2,
    "results_api.control": 2,
    "results_api.rest": 4,
    "results_api.bulk.models": 1,
    "results_api.bulk": 3,
    "results_api.metrics.models": 1,
    "results_api.metrics": 5,
    "results_api.dashboard": 5,
    "results_api.apps": 6,
    "results_api.checks": 6,
    "results_api.urls": 6,
    "results_api.tasks": 6,
    "results_api.management": 6,
    "results_api.migrations": 6,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Return the project modules that ``name`` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # "from package import module" imports the module; otherwise the name's module.
            targets = [f"{origin}.{alias.name}" for alias in node.names] + [origin]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    known = set(modules)
    graph = {name: imported_modules(name, path, known) for name, path in modules.items()}
    # A package's __init__ importing its own submodules is how a package hands names on.
    return {
        name: {target for target in targets if not target.startswith(name + ".")}
        for name, targets in graph.items()
    }


def layer_of(module: str) -> int | None:
    while module:
        if module in LAYERS:
            return LAYERS[module]
        module = module.rpartition(".")[0]
    return None


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_either_package_is_part_of_an_import_circle() -> None:
    assert circles(import_graph()) == []


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{name} (layer {layer_of(name)}) imports {target} (layer {layer_of(target)})"
        for name, targets in import_graph().items()
        for target in sorted(targets)
        if (mine := layer_of(name)) is not None
        and (theirs := layer_of(target)) is not None
        and theirs > mine
    ]
    assert upward == []


def test_the_result_store_never_imports_the_api() -> None:
    graph = import_graph()
    assert [
        (name, target)
        for name, targets in graph.items()
        if name.startswith("django_celery_results")
        for target in targets
        if target.startswith("results_api")
    ] == []


# How a module reads the fields of a model without the shared rules.
MODEL_FIELDS_READ = ("get_field", "get_fields", "fields", "concrete_fields", "local_fields")


def reads_model_fields(path: Path) -> list[int]:
    """Return the lines of ``path`` that read ``<model>._meta.<fields>`` directly."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and node.attr in MODEL_FIELDS_READ
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "_meta"
    ]


def test_the_api_reads_a_models_fields_only_through_the_shared_rules() -> None:
    """``results_api.fields`` and ``django_celery_results.columns`` say what a field is."""
    readers = {
        name: lines
        for name, path in source_modules().items()
        if name.startswith("results_api") and not name.startswith("results_api.fields")
        if (lines := reads_model_fields(path))
    }
    assert readers == {}


def test_the_checks_find_a_circle_and_an_upward_import() -> None:
    graph = {"results_api.rest.a": {"results_api.stats.b"}, "results_api.stats.b": set()}
    assert circles(graph) == []
    graph["results_api.stats.b"] = {"results_api.rest.a"}
    assert circles(graph) == [["results_api.rest.a", "results_api.stats.b"]]
    assert layer_of("results_api.stats.b") < layer_of("results_api.rest.a")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("results_api.views", "results_api.rest.views"),
        ("results_api.pagination", "results_api.rest.pagination"),
        ("results_api.throttling", "results_api.rest.throttling"),
        ("results_api.introspection", "results_api.fields.rules"),
    ],
)
def test_a_former_module_path_imports_the_moved_module_with_a_warning(old: str, new: str) -> None:
    import sys

    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new):
        moved = importlib.import_module(old)
    assert moved is importlib.import_module(new)


def test_a_name_of_the_former_stats_module_is_handed_on_with_a_warning() -> None:
    from results_api.stats import queries

    with pytest.warns(DeprecationWarning, match="results_api.stats.queries.INTERVALS"):
        from results_api.stats import INTERVALS
    assert INTERVALS is queries.INTERVALS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from results_api.stats import rollups  # a submodule: no warning
    assert rollups.__name__ == "results_api.stats.rollups"


# Where a list of standard task fields is written: the catalogue, the store's column facts,
# and the store's model, migrations and write path, which declare and write the columns.
FIELD_LIST_HOMES = (
    "results_api.fields.catalogue",
    "results_api.migrations",
    "django_celery_results.columns",
    "django_celery_results.models",
    "django_celery_results.migrations",
    "django_celery_results.backends",
    "django_celery_results.managers",
    "django_celery_results.statements",
)
# Lists elsewhere that name standard fields for a purpose of their own, not as a copy of
# a catalogue fact, by module and the name they are assigned to.
OWN_FIELD_LISTS = {
    "django_celery_results.admin.TaskResultAdmin.list_filter": "the admin's filter sidebar",
    "django_celery_results.admin.TaskResultAdmin.fieldsets": "the change page's layout",
    "django_celery_results.admin.GroupResultAdmin.readonly_fields": "a group result's columns",
    "django_celery_results.extension.MANAGED_BY_STORE": "what the callback may not set",
    "results_api.rest.serializers.GroupResultSerializer.Meta.fields": "a group result's fields",
    "results_api.bulk.plan.COLUMNS": "what a bulk action reads of each row",
}


def standard_field_names() -> frozenset[str]:
    """Return every API name and column of the standard task fields, and the store's columns."""
    from django_celery_results.columns import CONTENT_COLUMNS, DATE_COLUMNS
    from results_api.fields.catalogue import STANDARD_FIELDS

    return frozenset(
        {field.name for field in STANDARD_FIELDS}
        | {field.column for field in STANDARD_FIELDS if field.column}
        | set(CONTENT_COLUMNS)
        | set(DATE_COLUMNS)
    )


def field_lists(source: str, names: frozenset[str]) -> list[tuple[str, int]]:
    """Return (owner, line) of each literal in ``source`` that spells 3 or more of ``names``.

    The owner is the dotted name the literal is assigned to (``Admin.list_filter``),
    or the function it is written in.
    """
    found: list[tuple[str, int]] = []

    def spelled(node: ast.AST) -> int:
        if isinstance(node, ast.Dict):
            elements: list[ast.expr | None] = list(node.keys)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            elements = list(node.elts)
        else:
            return 0
        return len(
            {
                element.value
                for element in elements
                if isinstance(element, ast.Constant) and element.value in names
            }
        )

    def visit(node: ast.AST, owner: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = None
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                name = child.name
            elif isinstance(child, (ast.Assign, ast.AnnAssign)) and isinstance(
                node, (ast.Module, ast.ClassDef)
            ):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                name = next((t.id for t in targets if isinstance(t, ast.Name)), None)
            child_owner = f"{owner}.{name}".lstrip(".") if name else owner
            if spelled(child) >= 3 and (child_owner, child.lineno) not in found:
                found.append((child_owner, child.lineno))
            visit(child, child_owner)

    visit(ast.parse(source), "")
    return found


def hand_written_field_lists() -> dict[str, int]:
    """Return ``{module.owner: line}`` of the lists of standard fields outside their homes."""
    names = standard_field_names()
    return {
        f"{module}.{owner}".rstrip("."): line
        for module, path in source_modules().items()
        if not module.startswith(FIELD_LIST_HOMES)
        for owner, line in field_lists(path.read_text(), names)
    }


def test_no_module_keeps_its_own_list_of_standard_task_fields() -> None:
    """A standard field's facts are read from the catalogue: one edit adds a field everywhere."""
    stray = {
        owner: line
        for owner, line in hand_written_field_lists().items()
        if owner not in OWN_FIELD_LISTS
    }
    assert stray == {}


def test_each_list_allowed_its_own_purpose_still_exists() -> None:
    assert set(OWN_FIELD_LISTS) <= set(hand_written_field_lists())


def test_the_field_list_check_finds_a_hand_written_list() -> None:
    names = frozenset({"task_id", "status", "worker", "result"})
    source = (
        'SHOWN = ("task_id", "status", "worker")\n'
        "class Admin:\n"
        '    labels = {"task_id": 1, "status": 2, "result": 3}\n'
        "def read(row):\n"
        '    return [row[name] for name in ["task_id", "status", "worker"]]\n'
        'PAIR = ("task_id", "status")\n'
    )
    assert field_lists(source, names) == [("SHOWN", 1), ("Admin.labels", 3), ("read", 5)]
