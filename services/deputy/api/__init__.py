"""The deputy service's HTTP API: deputies, the inbox, the record of duty, household support pairs, the five
ones, the statistics and their spreadsheets, and deputies' suggestions (代表建议) with their spreadsheet and
their PDF for the file. Routes parse, authorise (see access), call logic and shape the answer through views."""

from fastapi import APIRouter

from services.deputy.api import (
    audit,
    deputies,
    documents,
    exports,
    figures,
    imports,
    inbox,
    pairs,
    record,
    suggestion_files,
    suggestions,
)

router = APIRouter()
for section in (
    deputies,
    imports,
    inbox,
    record,
    pairs,
    figures,
    exports,
    documents,
    suggestion_files,
    suggestions,
    audit,
):
    router.include_router(section.router)

__all__ = ["router"]
