"""Erasing a villager (PIPL, `identity.person.erased.v1`): what micro-funding keeps under their account.

Micro-funding knows villagers by account only (objections and ratings need sign-in; it keeps no phone number),
so an erasure without an account finds nothing here, and is recorded all the same. An objection stays — that
one was made, and its ruling, are the public notice's history — without its objector, the client address it came
from, or its words. A rating keeps its score (the project's average counts it) without its rater or comment; the
timeline step a first rating opened keeps its role without the account. Stored answers to Idempotency-Keys
that carry any of it are deleted: the person's own requests (scope starting with their account) and the office's
rulings that answered with their objection's text.

An erasure is applied once: the audit entry `person.erased` (target: the erasure) is written in the same
transaction, and a second event for the same erasure finds it and changes nothing.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.micro_funding.models import Objection, ProjectStep, Rating, audit_log, tables
from shared import audit
from shared.auth import Principal, Role
from shared.messaging.catalogue import PersonErased
from shared.privacy import ERASED_WORDS

ERASED = "person.erased"
CHUNK = 200
"""Ids looked for in one statement (SQLite bounds an expression's depth)."""


async def already_erased(session: AsyncSession, erasure_id: str) -> bool:
    """This erasure was applied here before (its audit entry is there)."""
    query = select(audit_log.c.id).where(audit_log.c.action == ERASED, audit_log.c.target_id == erasure_id)
    return (await session.execute(query.limit(1))).first() is not None


async def erase_person(session: AsyncSession, erasure: PersonErased) -> None:
    """Apply one erasure in the caller's (the inbox's) transaction."""
    if await already_erased(session, erasure.erasure_id):
        return
    account = erasure.account_id
    objections: list[Objection] = []
    ratings: list[Rating] = []
    steps = keys = 0
    if account:
        objections = list((await session.execute(select(Objection).where(Objection.objector == account))).scalars())
        for objection in objections:
            objection.objector, objection.address, objection.text = None, None, ERASED_WORDS
        ratings = list((await session.execute(select(Rating).where(Rating.rater == account))).scalars())
        for rating in ratings:
            rating.rater, rating.comment = None, ""
        moved = update(ProjectStep).where(ProjectStep.actor == account).values(actor=None)
        steps = (await session.execute(moved.execution_options(synchronize_session=False))).rowcount or 0
        await session.flush()
        ids = [*(objection.id for objection in objections), *(rating.id for rating in ratings)]
        keys = await _forget_answers(session, account, ids)
    office = Principal(subject=erasure.requested_by, roles=frozenset({Role.npc_office}))
    detail = {"objections": len(objections), "ratings": len(ratings), "steps": steps, "idempotency_keys": keys}
    await audit.record(session, office, ERASED, "erasure", erasure.erasure_id, erasure_id=erasure.erasure_id, **detail)


async def _forget_answers(session: AsyncSession, account: str, ids: Sequence[str]) -> int:
    keys = tables.idempotency
    groups: list[list[ColumnElement[bool]]] = [[keys.c.scope.startswith(f"{account}:", autoescape=True)]]
    groups += [
        [keys.c.response_body.contains(key, autoescape=True) for key in ids[start : start + CHUNK]]
        for start in range(0, len(ids), CHUNK)
    ]
    deleted = 0
    for conditions in groups:
        deleted += (await session.execute(delete(keys).where(or_(*conditions)))).rowcount or 0
    return deleted
