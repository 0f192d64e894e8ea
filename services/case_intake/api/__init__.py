"""Routes only: parse, authorise, call the use cases, shape the answer through the views. One module a section;
the actions on a case are one table (actions.py)."""

from fastapi import APIRouter

from services.case_intake.api import (
    actions,
    audit,
    cases,
    exports,
    figures,
    mediation,
    personal_data,
    photos,
    reference,
    referrals,
)

router = APIRouter()
for section in (cases, photos, actions, referrals, mediation, reference, figures, exports, audit, personal_data):
    router.include_router(section.router)

routers = [router]
