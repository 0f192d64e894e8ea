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
    recordings,
    reference,
    referrals,
)

router = APIRouter()
SECTIONS = (cases, photos, recordings, actions, referrals, mediation, reference, figures, exports, audit, personal_data)
for section in SECTIONS:
    router.include_router(section.router)

routers = [router]
