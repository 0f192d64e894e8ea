"""The two steps of every spreadsheet import: the dry run, then the commit, through the same code.

Each row is applied through the service's own use cases (the ones its API calls) inside a savepoint, in one
transaction for the whole file: a row a rule refuses is rolled back alone and reported with the rule's words.
At the end the dry run rolls everything back; the commit keeps it only when no row was bad (or the office chose
`skip_bad_rows`, and the bad rows were never kept). So a dry run answers exactly what a commit would do, an
import obeys exactly what the API obeys, events of created and changed records are staged in the outbox as
the API stages them, and re-importing the same file changes nothing (rows are matched by code: a row that
changes nothing is left alone).

Every import that was read is audited (`<service>.import.<kind>`) with the file's SHA-256 and the counts.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from shared import audit, i18n
from shared.auth import Principal
from shared.errors import ProblemError, Unprocessable
from shared.sheet_cells import CellError, Sheet
from shared.sheet_words import CELL, FILE, ROW, Catalogue, Language, say
from shared.sheets_in import XLSX_TYPE, Table, Upload

Outcome = Literal["created", "changed", "unchanged", "error"]


class ImportProblem(BaseModel):
    row: int | None = Field(description="The row's number in the spreadsheet (the heading row is above it)")
    column: str | None = Field(description="The column's heading as in the file (or the template's)")
    message: str = Field(description="What is wrong, in the request's language (Accept-Language: zh-CN or en)")
    rule: str = Field(description="A stable name of what is wrong: required, not_date, grid.council_head …")


class ImportItem(BaseModel):
    row: int
    key: str = Field(description="The row's code (for an assignment: deputy code → grid code)")
    outcome: Outcome = Field(description="What the commit does (or did) with the row; error: nothing")
    fields: list[str] = Field(default_factory=list, description="The columns a change touches")


class ImportReport(BaseModel):
    """What an import did (`committed`) or would do (`dry_run`), row by row. The lists hold every row of the
    file (at most shared.sheets_in.MAX_ROWS)."""

    kind: str
    dry_run: bool
    committed: bool
    sha256: str = Field(description="The file's SHA-256 (also in the audit log)")
    format: Literal["xlsx", "csv"]
    encoding: str | None = Field(description="The CSV's text encoding (utf-8, utf-8-sig, gb18030, utf-16)")
    rows: int
    created: int
    changed: int
    unchanged: int
    bad_rows: int = Field(description="Rows with at least one error; a commit with any keeps nothing, unless …")
    skipped: int = Field(description="… skip_bad_rows was chosen: then these rows were left out and the rest kept")
    ignored_columns: list[str] = Field(description="Headings the import does not read")
    errors: list[ImportProblem]
    items: list[ImportItem]


@dataclass
class ImportRun:
    """One import's bookkeeping: the rows' outcomes and problems, in the request's language. `words` are the
    service's rule names → (column key, {language: words}) for the refusals its use cases raise."""

    sheet: Sheet
    table: Table
    upload: Upload
    language: Language
    words: dict[str, tuple[str | None, dict[str, str]]]
    fields: dict[str, str] = field(default_factory=dict)
    """The request model's field names → column keys (`parent_id` → `parent_code`)."""
    headings: dict[str, dict[str, str]] = field(default_factory=dict)
    """Words for what is no column of the sheet (a grid's boundary, from its own file)."""
    problems: list[ImportProblem] = field(default_factory=list)
    outcomes: dict[int, ImportItem] = field(default_factory=dict)

    def heading(self, key: str | None) -> str | None:
        if key is None:
            return None
        if key in self.table.headings:
            return self.table.headings[key]
        known = [column for column in self.sheet.columns if column.key == key]
        if known:
            return known[0].heading(self.language)
        return self.headings[key][self.language] if key in self.headings else key

    def fault(self, row: int | None, column: str | None, rule: str, message: str) -> None:
        self.problems.append(ImportProblem(row=row, column=self.heading(column), message=message, rule=rule))

    def cell(self, row: int, column: str, error: CellError) -> None:
        self.fault(row, column, error.key, error.message(self.language))

    def reader(self, row: int, values: dict[str, Any]) -> Callable[[str, Callable[[Any], Any]], Any]:
        """`read(key, reader)`: the cell `key` of this row through `reader`, or None with its fault noted."""

        def read(key: str, reader: Callable[[Any], Any]) -> Any:
            try:
                return reader(values.get(key))
            except CellError as error:
                self.cell(row, key, error)
                return None

        return read

    def said(self, row: int | None, column: str | None, key: str, catalogue: Catalogue = ROW, /, **params: Any) -> None:
        self.fault(row, column, key, say(catalogue, key, self.language, **params))

    def refused(self, row: int, error: ProblemError) -> None:
        """A use case's refusal, in the service's words for its rule (else the use case's own sentence)."""
        rule = error.rule or "rule"
        column, words = self.words.get(rule, (None, None))
        why = i18n.translate(error.detail or error.title, error.params, "en" if self.language == "en" else "zh")
        if words:
            message = words[self.language].format_map({**error.extra, **error.params, "why": why})
        else:
            message = say(ROW, "rule", self.language, why=why)
        self.fault(row, column, rule, message)

    def rule(self, row: int | None, rule: str, **params: Any) -> None:
        """A fault the service itself finds, in its words for `rule`."""
        column, words = self.words[rule]
        self.fault(row, column, rule, words[self.language].format(**params))

    def invalid(self, row: int, error: ValidationError) -> None:
        """A request model's refusal, beside the column its field comes from."""
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else ""
            self.said(row, self.fields.get(name, name), "not_valid", CELL, why=item["msg"])

    def bad(self, row: int) -> bool:
        return any(problem.row == row for problem in self.problems)

    def done(self, row: int, key: str, outcome: Outcome, fields: list[str] | None = None) -> None:
        self.outcomes[row] = ImportItem(row=row, key=key, outcome=outcome, fields=fields or [])

    async def apply(
        self, session: AsyncSession, row: int, key: str, action: Callable[[], Awaitable[tuple[Outcome, list[str]]]]
    ) -> None:
        """Run one row's use cases in a savepoint: kept if they pass, rolled back alone if a rule refuses."""
        try:
            async with session.begin_nested():
                outcome, fields = await action()
        except ProblemError as error:
            self.refused(row, error)
        except ValidationError as error:
            self.invalid(row, error)
        except IntegrityError:  # another request wrote the same code meanwhile (PostgreSQL: a unique index)
            self.said(row, None, "conflict")
        else:
            names = [self.heading(self.fields.get(name, name)) or name for name in fields]
            self.done(row, key, outcome, list(dict.fromkeys(names)))

    def report(self, *, dry_run: bool, committed: bool, skip_bad_rows: bool) -> ImportReport:
        bad = {problem.row for problem in self.problems if problem.row is not None}
        items = []
        for row in self.table.rows:
            item = self.outcomes.get(row.number)
            if row.number in bad or item is None:
                key = item.key if item else ""
                items.append(ImportItem(row=row.number, key=key, outcome="error"))
            else:
                items.append(item)
        counts = {
            name: sum(1 for item in items if item.outcome == name) for name in ("created", "changed", "unchanged")
        }
        return ImportReport(
            kind=self.sheet.kind,
            dry_run=dry_run,
            committed=committed,
            sha256=self.upload.sha256,
            format=self.table.format,
            encoding=self.table.encoding,
            rows=len(self.table.rows),
            bad_rows=len(bad),
            skipped=len(bad) if committed and skip_bad_rows else 0,
            ignored_columns=self.table.ignored,
            errors=sorted(self.problems, key=lambda problem: problem.row or 0),
            items=items,
            **counts,
        )

    async def finish(
        self, session: AsyncSession, principal: Principal, action: str, *, dry_run: bool, skip_bad_rows: bool
    ) -> ImportReport:
        """Keep or roll back, audit, and answer: the report; a refused commit is a 422 carrying the report."""
        committed = not dry_run and (not self.problems or skip_bad_rows)
        if not committed:
            await session.rollback()
        report = self.report(dry_run=dry_run, committed=committed, skip_bad_rows=skip_bad_rows)
        detail = {
            "sha256": report.sha256,
            "format": report.format,
            "dry_run": dry_run,
            "committed": committed,
            "rows": report.rows,
            "created": report.created,
            "changed": report.changed,
            "unchanged": report.unchanged,
            "bad_rows": report.bad_rows,
            "skipped": report.skipped,
        }
        await audit.record(session, principal, action, "import", report.sha256[:64], **detail)
        await session.commit()
        if not dry_run and not committed:
            unplaced = sum(1 for problem in self.problems if problem.row is None)  # e.g. a boundary of no row
            detail_text = say(FILE, "commit_refused", self.language, n=report.bad_rows + unplaced)
            raise Unprocessable(detail_text, rule="import.bad_rows", report=report.model_dump(mode="json"))
        return report


def first_seen(run: ImportRun, column: str, keys: dict[Any, int], key: Any, row: int, shown: str) -> bool:
    """Whether `key` is new in this file; a repeat is the row's fault, naming the row it repeats."""
    if key in keys:
        run.said(row, column, "duplicate", first=keys[key], key=shown)
        return False
    keys[key] = row
    return True


# --- OpenAPI ------------------------------------------------------------------------------------------------


def upload_body(description: str, *, boundaries: bool = False) -> dict[str, Any]:
    """The request body of an import route: multipart with the spreadsheet in `file`."""
    properties: dict[str, Any] = {"file": {"type": "string", "format": "binary", "description": description}}
    if boundaries:
        properties["boundaries"] = {
            "type": "string",
            "format": "binary",
            "description": "Optional: a GeoJSON FeatureCollection of (Multi)Polygons, each feature's properties "
            "naming its grid's code (code or 编码)",
        }
    return {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": properties}}
        },
    }


TEMPLATE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The template (XLSX): the headings in the request's language and a sheet of notes",
        "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def attachment(filename: str) -> dict[str, str]:
    """Content-Disposition for a download whose name may be Chinese (RFC 6266 / 5987)."""
    from urllib.parse import quote  # noqa: PLC0415

    ascii_name = filename.encode("ascii", "ignore").decode() or "template.xlsx"
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"}
