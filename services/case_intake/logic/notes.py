"""Internal notes (内部备注): what a deputy or the office writes on a case for the other officials handling it."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import Actor, Who, require, standing_for_note
from services.case_intake.domain.wording import say, with_note
from services.case_intake.logic.cases import assignees, now_of
from services.case_intake.logic.timeline import note
from services.case_intake.models import Case
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import CaseNoteCreate
from shared.i18n import N_
from shared.messaging.catalogue import CaseNoted


async def add_note(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: CaseNoteCreate) -> None:
    """An internal note by a deputy handling the case or the office: on the timeline, the status as it is, seen
    by officials only. Its event carries ids only, so that the words stay in this service."""
    require(who, Actor.handler, Actor.staff, doing=N_("write a note on this case"))
    actor = standing_for_note(who, Actor.handler, Actor.staff)
    now = now_of(runtime)
    author = N_("a deputy") if actor is Actor.handler else N_("the office")
    words = with_note(say("Note by {author}", author=author), data.note)
    await note(session, case, "note", who, actor, words, now, data.note)
    payload = CaseNoted(
        case_id=case.id,
        tracking_code=case.tracking_code,
        grid_id=case.grid_id,
        deputy_ids=await assignees(session, case.id),
        actor_deputy_id=who.deputy_id if actor is Actor.handler else None,
        at=now,
    )
    await runtime.emit(session, payload, subject=case.id)
