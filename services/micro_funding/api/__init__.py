"""Routes only: parse, authorise, call the use cases in logic, shape the answer with views.

pools (fund pools, the ledger, reconciliation) · projects (drafts, lists, the record) · steps (the stages and
the timeline) · objections · delivery (progress, money, ratings) · public (the villages' page) · exports
(the ledger as a spreadsheet) · personal (the caller's own data).
Creates and steps run once per Idempotency-Key (`shared.service.Once`): the PWA's offline queue replays.
"""

from fastapi import APIRouter

from services.micro_funding.api import audit, delivery, exports, objections, personal, pools, projects, public, steps

routers: list[APIRouter] = [
    pools.router,
    projects.router,
    steps.router,
    objections.router,
    delivery.router,
    public.router,
    exports.router,
    audit.router,
    personal.router,
]
