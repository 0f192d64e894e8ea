"""The import rule of docs/architecture.md, checked over the source's syntax trees (no imports run):

- shared/ imports nothing of services/, gateway/ or devstack/;
- a service imports no other service, nor the gateway, nor devstack; the gateway imports no service and no
  devstack; only tests import devstack;
- inside a service, the rooms import downward only: domain/ imports no other room of its service and neither
  SQLAlchemy nor FastAPI; models, schemas import neither logic, views, projections, events nor api; logic,
  views and projections never import api or app;
- no module imports itself back through others (no cycle anywhere, at module level or at function level).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "services", "gateway", "devstack")
ROOMS_BELOW = {
    # room -> rooms of the same service it must not import
    "domain": {"logic", "views", "projections", "api", "app", "events", "models", "schemas", "runtime"},
    "models": {"logic", "views", "projections", "api", "app", "events"},
    "schemas": {"logic", "views", "projections", "api", "app", "events"},
    "logic": {"api", "app"},
    "views": {"api", "app"},
    "projections": {"api", "app"},
    "events": {"api", "app"},
}
DOMAIN_FORBIDDEN = ("sqlalchemy", "fastapi", "starlette", "nats", "httpx", "aiohttp")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[str]:
    """Every module this one names in an import statement (anywhere in it), resolved to a known module when
    it is one of ours, else the top-level external name."""
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            names += [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
    resolved = []
    for imported in names:
        probe = imported
        while probe and probe not in MODULES:
            probe = probe.rpartition(".")[0]
        resolved.append(probe or imported)
    return resolved


GRAPH = {name: sorted(set(_imports(name, path)) - {name}) for name, path in MODULES.items()}


def _top(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "services" and len(parts) > 1 else parts[0]


def _room(name: str) -> str | None:
    parts = name.split(".")
    return parts[2] if parts[0] == "services" and len(parts) > 2 else None


def test_shared_imports_nothing_above_it() -> None:
    wrong = [
        (m, d)
        for m, deps in GRAPH.items()
        if m.startswith("shared")
        for d in deps
        if _top(d) in {"gateway", "devstack"} or d.startswith("services")
    ]
    assert wrong == []


def test_services_and_gateway_import_no_other_service_and_no_devtools() -> None:
    wrong = []
    for module, deps in GRAPH.items():
        if _top(module) in ("shared", "devstack"):
            continue
        for dep in deps:
            if _top(dep) == "devstack" or (dep.startswith("services.") and _top(dep) != _top(module)):
                wrong.append((module, dep))
            if module.startswith("services.") and _top(dep) == "gateway":
                wrong.append((module, dep))
    assert wrong == []


def test_rooms_of_a_service_import_downward_only() -> None:
    wrong = []
    for module, deps in GRAPH.items():
        room = _room(module)
        if room not in ROOMS_BELOW:
            continue
        for dep in deps:
            if _top(dep) == _top(module) and _room(dep) in ROOMS_BELOW[room]:
                wrong.append((module, dep))
            if room == "domain" and dep.split(".")[0] in DOMAIN_FORBIDDEN:
                wrong.append((module, dep))
    assert wrong == []


def test_every_service_has_the_same_rooms() -> None:
    rooms = ("domain", "logic", "api", "views", "projections", "models", "schemas", "events", "app", "migrations")
    missing = {}
    for service in sorted(p for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists()):
        absent = [room for room in rooms if not ((service / room).is_dir() or (service / f"{room}.py").exists())]
        if absent:
            missing[service.name] = absent
    assert missing == {}


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]
    edges = defaultdict(list, {m: [d for d in deps if d in MODULES] for m, deps in GRAPH.items()})

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert cycles == []


@pytest.mark.parametrize("limit", [500])
def test_no_module_is_over_the_size_limit(limit: int) -> None:
    large = {
        str(path.relative_to(ROOT)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert large == {}
