"""Dependencies point one way: api|events → schemas, service → store → models (STYLE.md)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "callcenter"
FORBIDDEN = {
    "models": {"store", "service", "api", "events", "schemas", "db", "app", "realtime", "aiohttp", "aiosqlite",
               "socketio", "jinja2", "pydantic"},
    "schemas": {"store", "service", "api", "events", "db", "app", "realtime"},
    "store": {"service", "api", "events", "app", "realtime"},
    "service": {"api", "events", "app", "realtime"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_import_arrows_point_one_way() -> None:
    wrong = []
    for path in PKG.rglob("*.py"):
        role = path.stem
        if role not in FORBIDDEN:
            continue
        feature = path.parent.name
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] != "callcenter":
                if parts[0] in FORBIDDEN[role]:
                    wrong.append(f"{path.relative_to(PKG)} imports {module}")
                continue
            if parts[-1] in FORBIDDEN[role] or (len(parts) > 1 and parts[1] in FORBIDDEN[role]):
                wrong.append(f"{path.relative_to(PKG)} imports {module}")
            if role in {"service", "api", "events"} and len(parts) == 3 and parts[2] == "store" \
                    and parts[1] != feature:
                wrong.append(f"{path.relative_to(PKG)} reaches into {module}")
    assert wrong == []


def test_no_module_is_created_at_import_time() -> None:
    # A server or connection made at import time is shared by every test and every app (STYLE.md).
    offenders = []
    for path in PKG.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                name = ast.unparse(node.value.func)
                if name.endswith(("AsyncServer", "Application", "connect", "Database")):
                    offenders.append(f"{path.relative_to(PKG)}: {ast.unparse(node)}")
    assert offenders == []
