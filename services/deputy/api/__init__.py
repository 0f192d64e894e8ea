"""The deputy service's HTTP API: deputies, the inbox, the record of duty, household support pairs, the five
ones and the statistics. Routes parse, authorise (see access), call logic and shape the answer through views."""

from fastapi import APIRouter

from services.deputy.api import audit, deputies, documents, figures, inbox, pairs, record

router = APIRouter()
for section in (deputies, inbox, record, pairs, figures, documents, audit):
    router.include_router(section.router)

__all__ = ["router"]
