"""Spreadsheet imports of the NPC office: the grid tree (with boundaries from GeoJSON) and the assignments,
each in two steps (`dry_run=true`, the default: the report of what would happen; `dry_run=false`: the commit),
and their templates. See shared.imports and docs/operations.md."""

import asyncio
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.grid.api.roles import OFFICE
from services.grid.logic import import_assignments, import_grids
from shared.auth import CurrentPrincipal
from shared.imports import TEMPLATE_ANSWER, ImportReport, ImportRun, attachment, upload_body
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.sheet_words import language_of
from shared.sheets_in import XLSX_TYPE, SheetRefused, close_all, read_table, receive, template

router = APIRouter(tags=["grid-import"])

DryRun = Annotated[bool, Query(description="true (the default): only check and report; false: import")]
SkipBadRows = Annotated[
    bool, Query(description="On commit: import the good rows and leave out the bad ones (else nothing is kept)")
]
ExpectSha256 = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9a-f]{64}$",
        description="On commit: the SHA-256 the dry run reported; another file is refused (409)",
    ),
]
IMPORT_ANSWERS = responses(401, 403, 409, 413, 415, 422)
WORDS = "Chinese or English headings as in the template; XLSX or CSV (UTF-8 with or without BOM, GB18030)"


def _check_hash(sha256: str, expected: str | None, language: str) -> None:
    if expected is not None and expected != sha256:
        raise SheetRefused("wrong_file", language, 409)  # type: ignore[arg-type]


@router.post(
    "/imports/grids",
    operation_id="grid-import",
    response_model=ImportReport,
    responses=IMPORT_ANSWERS,
    openapi_extra={"requestBody": upload_body("The grids: " + WORDS, boundaries=True)},
)
async def import_grid_tree(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    dry_run: DryRun = True,
    skip_bad_rows: SkipBadRows = False,
    expect_sha256: ExpectSha256 = None,
) -> ImportReport:
    """Grids (township → village → group) by code: created, changed or left alone; boundaries from an optional
    GeoJSON file. The report names every row's outcome and every fault (row, column, words in the
    Accept-Language's language); a commit with a bad row keeps nothing (422, with the report) unless
    skip_bad_rows."""
    principal.require(*OFFICE)
    language = language_of(request.headers.get("accept-language"))
    uploads = await receive(request, language, optional=("boundaries",))
    try:
        _check_hash(uploads["file"].sha256, expect_sha256, language)
        table = await asyncio.to_thread(read_table, uploads["file"], import_grids.SHEET, language)
        run = ImportRun(import_grids.SHEET, table, uploads["file"], language, {})
        return await import_grids.import_grids(
            session, runtime, principal, run, uploads.get("boundaries"), dry_run=dry_run, skip_bad_rows=skip_bad_rows
        )
    finally:
        close_all(uploads)


@router.post(
    "/imports/assignments",
    operation_id="assignment-import",
    response_model=ImportReport,
    responses=IMPORT_ANSWERS,
    openapi_extra={"requestBody": upload_body("The assignments: " + WORDS)},
)
async def import_grid_assignments(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    dry_run: DryRun = True,
    skip_bad_rows: SkipBadRows = False,
    expect_sha256: ExpectSha256 = None,
) -> ImportReport:
    """Deputies placed in grids (deputy code, grid code, role, basis, start), by the rules of POST /assignments:
    one head a grid, a township's head from the chairpersons' council. A running assignment the file repeats is
    left alone. Deputies are known here a few seconds after the deputy service registered them."""
    principal.require(*OFFICE)
    language = language_of(request.headers.get("accept-language"))
    uploads = await receive(request, language)
    try:
        _check_hash(uploads["file"].sha256, expect_sha256, language)
        table = await asyncio.to_thread(read_table, uploads["file"], import_assignments.SHEET, language)
        run = ImportRun(import_assignments.SHEET, table, uploads["file"], language, {})
        return await import_assignments.import_assignments(
            session, runtime, principal, run, dry_run=dry_run, skip_bad_rows=skip_bad_rows
        )
    finally:
        close_all(uploads)


class ImportKind(StrEnum):
    grids = "grids"
    assignments = "assignments"


TEMPLATES = {ImportKind.grids: import_grids.SHEET, ImportKind.assignments: import_assignments.SHEET}
FILE_NAMES = {
    ImportKind.grids: {"zh-CN": "网格导入模板.xlsx", "en": "grids-template.xlsx"},
    ImportKind.assignments: {"zh-CN": "定格定责导入模板.xlsx", "en": "assignments-template.xlsx"},
}


@router.get(
    "/imports/{kind}/template",
    operation_id="grid-import-template",
    response_class=Response,
    responses={**TEMPLATE_ANSWER, **responses(401, 403, 422)},
)
async def import_template(kind: ImportKind, request: Request, principal: CurrentPrincipal) -> Response:
    """The XLSX template of an import (grids or assignments): the headings in the Accept-Language's language
    and a sheet that says what each column holds."""
    principal.require(*OFFICE)
    language = language_of(request.headers.get("accept-language"))
    content = await asyncio.to_thread(template, TEMPLATES[kind], language)
    return Response(content, media_type=XLSX_TYPE, headers=attachment(FILE_NAMES[kind][language]))
