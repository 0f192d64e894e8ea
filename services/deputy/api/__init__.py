"""The deputy service's HTTP API: deputies, the inbox, the record of duty, household support pairs, the five
ones, the statistics and deputies' suggestions (代表建议).
Routes parse, authorise (see access), call logic and shape the answer through views."""

from fastapi import APIRouter

from services.deputy.api import audit, deputies, figures, inbox, pairs, record, suggestions

router = APIRouter()
for section in (deputies, inbox, record, pairs, figures, suggestions, audit):
    router.include_router(section.router)

__all__ = ["router"]
