"""The NPC office imports the roster of deputies from a spreadsheet, in two steps (`dry_run=true`, the default:
the report of what would happen; `dry_run=false`: the commit), and downloads its template. See shared.imports
and docs/operations.md."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.deputy.logic import imports
from shared.auth import CurrentPrincipal, Role
from shared.imports import TEMPLATE_ANSWER, ImportReport, ImportRun, attachment, upload_body
from shared.problems import responses
from shared.service import RuntimeDep, SessionDep
from shared.sheet_words import language_of
from shared.sheets_in import XLSX_TYPE, SheetRefused, close_all, read_table, receive, template

router = APIRouter(tags=["deputy-import"])
FILE_NAMES = {"zh-CN": "代表名单导入模板.xlsx", "en": "deputies-template.xlsx"}


@router.post(
    "/imports/deputies",
    operation_id="deputy-import",
    response_model=ImportReport,
    responses=responses(401, 403, 409, 413, 415, 422),
    openapi_extra={
        "requestBody": upload_body(
            "The roster: Chinese or English headings as in the template; XLSX or CSV (UTF-8 with or without BOM, "
            "GB18030)"
        )
    },
)
async def import_deputies(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    dry_run: Annotated[bool, Query(description="true (the default): only check and report; false: import")] = True,
    skip_bad_rows: Annotated[
        bool, Query(description="On commit: import the good rows and leave out the bad ones (else nothing is kept)")
    ] = False,
    expect_sha256: Annotated[
        str | None,
        Query(pattern=r"^[0-9a-f]{64}$", description="On commit: the SHA-256 the dry run reported (409 if not)"),
    ] = None,
) -> ImportReport:
    """Deputies by code: registered, changed or left alone, by the rules of POST /deputies and PATCH
    /deputies/{id}. The report names every row's outcome and every fault (row, column, words in the
    Accept-Language's language), never a phone number; a commit with a bad row keeps nothing (422, with the
    report) unless skip_bad_rows. Grids are known here a few seconds after the grid service created them."""
    principal.require(Role.npc_office)
    language = language_of(request.headers.get("accept-language"))
    uploads = await receive(request, language)
    try:
        if expect_sha256 is not None and expect_sha256 != uploads["file"].sha256:
            raise SheetRefused("wrong_file", language, 409)
        table = await asyncio.to_thread(read_table, uploads["file"], imports.SHEET, language)
        run = ImportRun(imports.SHEET, table, uploads["file"], language, {})
        return await imports.import_deputies(
            session, runtime, principal, run, dry_run=dry_run, skip_bad_rows=skip_bad_rows
        )
    finally:
        close_all(uploads)


@router.get(
    "/imports/deputies/template",
    operation_id="deputy-import-template",
    response_class=Response,
    responses={**TEMPLATE_ANSWER, **responses(401, 403)},
)
async def import_template(request: Request, principal: CurrentPrincipal) -> Response:
    """The XLSX template of the roster: the headings in the Accept-Language's language and a sheet that says
    what each column holds."""
    principal.require(Role.npc_office)
    language = language_of(request.headers.get("accept-language"))
    content = await asyncio.to_thread(template, imports.SHEET, language)
    return Response(content, media_type=XLSX_TYPE, headers=attachment(FILE_NAMES[language]))
