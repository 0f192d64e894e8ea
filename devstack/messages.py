"""The messages the code says to people, found in its syntax trees, and the catalogue they must be in.

`python -m devstack.messages` adds every new message id to `shared/locale/zh_CN/LC_MESSAGES/messages.po` (with an
empty translation to fill in) and drops the ones the code no longer says; `tests/unit/test_messages.py` fails
while one lacks its Chinese. What counts as a message:
- the titles of the problem errors (`shared.errors` and every subclass) and `shared.problems`' status titles;
- the first argument of a problem error raised or built anywhere (`NotFound("No case {case_id}.", params=...)`)
  and of `problem_response`, when it is a literal;
- the sentence of a `ValueError` raised in a service's or the gateway's schemas (pydantic shows it as the field
  error's `msg`);
- a module constant named as such a first argument (`raise NotFound(UNKNOWN_CODE)`), a rate limit's detail
  (`window.hit(client, "Too many …")`), a `LedgerRefused`'s message;
- timeline sentences (`say("…", **values)`, services/case_intake/domain/wording.py);
- words marked with `shared.i18n.N_("…")`: said later, elsewhere (timeline sentences, reasons returned and
  raised by the caller, category names);
- the names of the codes (statuses) messages carry as values, `<kind>:<code>` (`codes()`);
- pydantic's own templates of the field errors the services' inputs can give (`PYDANTIC_ERRORS`).
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from pydantic_core import PydanticKnownError

from shared import i18n
from shared.config import PROJECT_ROOT as ROOT

SOURCES = ("shared", "gateway", "services")
PROBLEM_BASES = {"ProblemError"}
MESSAGE_EXCEPTIONS = {"LedgerRefused"}
"""Domain exceptions whose message a use case turns into a problem's detail."""
SAID_ALREADY = {"SheetRefused"}
"""Problem errors whose first argument is a key of their own catalogue, said in the caller's language where they
are raised (a spreadsheet refused whole: shared.sheet_words); their titles are messages like any other."""
CALLS = {"problem_response"}
PYDANTIC_ERRORS = (
    "missing",
    "extra_forbidden",
    "string_type",
    "string_too_short",
    "string_too_long",
    "string_pattern_mismatch",
    "int_type",
    "int_parsing",
    "float_type",
    "float_parsing",
    "bool_type",
    "bool_parsing",
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "too_short",
    "too_long",
    "list_type",
    "dict_type",
    "model_type",
    "enum",
    "literal_error",
    "date_type",
    "date_parsing",
    "date_from_datetime_parsing",
    "datetime_type",
    "datetime_parsing",
    "datetime_from_date_parsing",
    "timezone_aware",
    "time_type",
    "time_parsing",
    "uuid_type",
    "uuid_parsing",
    "decimal_type",
    "decimal_parsing",
    "decimal_max_digits",
    "decimal_max_places",
    "decimal_whole_digits",
    "multiple_of",
    "finite_number",
    "json_invalid",
    "union_tag_invalid",
    "union_tag_not_found",
    "url_parsing",
    "url_scheme",
    "url_type",
    "value_error",
    "int_from_float",
    "none_required",
    "is_instance_of",
    "frozen_field",
    "string_unicode",
    "bytes_type",
)
"""The field errors pydantic can give for the kinds of input the services take; others stay in English."""


def codes() -> dict[str, tuple[str, ...]]:
    """The codes said by their names in messages (`shared.i18n.code(kind, value)`): each kind's values."""
    from services.case_intake.domain.lifecycle import TRANSITIONS, CaseStatus
    from services.micro_funding.domain.objections import RULED
    from services.micro_funding.schemas import ProjectKind, ProjectStatus
    from services.station_scheduling.schemas import BookingStatus, SessionStatus

    return {
        "case": tuple(CaseStatus),
        "do": tuple(TRANSITIONS),  # "You may not {action} this case."
        "done": tuple(TRANSITIONS),  # "A case that is {status} cannot be {verb}."
        "referral": ("open", "answered", "accepted"),
        "project": tuple(ProjectStatus),
        "project_kind": tuple(ProjectKind),
        "objection": ("pending", *RULED.values()),
        "session": tuple(SessionStatus),
        "booking": tuple(BookingStatus),
    }


def _files() -> Iterator[Path]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _literal(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _problem_classes(trees: dict[Path, ast.Module]) -> set[str]:
    names = set(PROBLEM_BASES)
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.ClassDef)
                    and node.name not in names
                    and any(isinstance(base, ast.Name) and base.id in names for base in node.bases)
                ):
                    names.add(node.name)
                    changed = True
    return names


def _titles(node: ast.ClassDef) -> Iterator[str]:
    for statement in node.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name) and target.id == "title" and _literal(statement.value):
                    yield _literal(statement.value)  # type: ignore[misc]
                if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
                    for name, value in zip(target.elts, statement.value.elts, strict=False):
                        if isinstance(name, ast.Name) and name.id == "title" and _literal(value):
                            yield _literal(value)  # type: ignore[misc]


def found() -> dict[str, set[str]]:
    """Every message id → the files that say it."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in _files()}
    problems = _problem_classes(trees)
    messages: dict[str, set[str]] = {}

    def add(message: str | None, path: Path) -> None:
        if message and message.strip():
            messages.setdefault(message, set()).add(str(path.relative_to(ROOT)))

    for path, tree in trees.items():
        schemas = path.name.startswith("schemas") or "schemas" in path.parts
        constants = _constants(tree)

        def said(node: ast.AST | None, constants: dict[str, str] = constants) -> str | None:
            if isinstance(node, ast.Name):
                return constants.get(node.id)
            return _literal(node)

        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in problems:
                for title in _titles(node):
                    add(title, path)
            elif isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                arguments = node.args
                if name in SAID_ALREADY:
                    continue
                if (name in problems or name in MESSAGE_EXCEPTIONS or name in ("N_", "say")) and arguments:
                    add(said(arguments[0]), path)
                elif name in CALLS and len(arguments) > 1:
                    add(said(arguments[1]), path)
                elif name == "_problem" and len(arguments) > 4:
                    add(said(arguments[4]), path)
                elif name in ("hit", "check") and isinstance(node.func, ast.Attribute) and len(arguments) > 1:
                    add(said(arguments[1]), path)  # a rate limit's detail
                elif name == "ValueError" and schemas and arguments:
                    add(_literal(arguments[0]), path)
            elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "_TITLES" for target in node.targets
            ):
                for element in ast.walk(node.value):
                    if isinstance(element, ast.Tuple) and len(element.elts) == 2:
                        add(_literal(element.elts[1]), path)  # (slug, title): the title
    for kind, values in codes().items():
        for value in values:
            add(f"{kind}:{value}", ROOT / "shared" / "i18n.py")
    for kind in PYDANTIC_ERRORS:
        try:
            add(PydanticKnownError(kind).message_template, Path(ROOT / "shared" / "problems.py"))  # type: ignore[arg-type]
        except (KeyError, TypeError):
            context = {"expected": "", "max_length": 0, "min_length": 0, "pattern": "", "gt": 0, "ge": 0, "lt": 0}
            try:
                template = PydanticKnownError(kind, context).message_template  # type: ignore[arg-type]
            except (KeyError, TypeError, ValueError):
                continue
            add(template, ROOT / "shared" / "problems.py")
    return messages


def _constants(tree: ast.Module) -> dict[str, str]:
    """A module's string constants (`CHOOSE_GROUP = "…"`), for messages raised by their name."""
    constants: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "N_" and value.args:
                value = value.args[0]
            if isinstance(target, ast.Name) and _literal(value) is not None:
                constants[target.id] = _literal(value)  # type: ignore[assignment]
    return constants


def update() -> tuple[int, int]:
    """Add new ids to the Chinese catalogue, drop gone ones; (added, dropped)."""
    path = i18n.catalogue_path("zh")
    if path.exists():
        with path.open("rb") as file:
            old = read_po(file, locale="zh_CN")
    else:
        old = Catalog(locale="zh_CN")
    messages = found()
    new = Catalog(
        locale="zh_CN",
        project="deputies-in-the-grid",
        fuzzy=False,
        creation_date=old.creation_date,  # an unchanged catalogue is written unchanged
        revision_date=old.revision_date,
    )
    for message_id in sorted(messages):
        before = old.get(message_id)
        flags = {"python-brace-format"} if "{" in message_id else set()
        new.add(
            message_id,
            before.string if before is not None else "",
            locations=[(where, 0) for where in sorted(messages[message_id])],
            flags=flags,
            auto_comments=before.auto_comments if before is not None else (),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, new, width=0, omit_header=False, include_lineno=False, sort_output=True)
    dropped = sum(1 for message in old if message.id and message.id not in messages)
    added = sum(1 for message_id in messages if old.get(message_id) is None)
    return added, dropped


if __name__ == "__main__":
    added, dropped = update()
    print(f"{added} new message(s), {dropped} dropped: {i18n.catalogue_path('zh').relative_to(ROOT)}")
