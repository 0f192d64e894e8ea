"""督办: a late case (or one the office chooses) goes first to the township's grid head, who joins those handling
it, then to the NPC office; a case no deputy answers for goes to the NPC office at once."""

from sqlalchemy.ext.asyncio import AsyncSession

from services.case_intake.domain.lifecycle import SYSTEM, Who
from services.case_intake.domain.wording import say, with_note
from services.case_intake.logic.cases import assignees, now_of
from services.case_intake.logic.routing import township_heads
from services.case_intake.logic.timeline import check, move
from services.case_intake.models import Case, CaseAssignee
from services.case_intake.runtime import CaseRuntime
from services.case_intake.schemas import ReasonBody
from shared.errors import Conflict


async def escalate(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, data: ReasonBody) -> None:
    """The office escalates a case, with a reason."""
    await escalate_case(session, runtime, case, who, data.reason)


async def escalate_case(session: AsyncSession, runtime: CaseRuntime, case: Case, who: Who, reason: str) -> None:
    """One level up: to the township's grid head (added to those handling it), then to the NPC office."""
    check(case, "escalate", who)
    if case.escalation_level >= 2:
        raise Conflict("The NPC office already supervises this case.", current_status=case.status, action="escalate")
    now = now_of(runtime)
    case.escalation_level += 1
    if case.escalation_level == 1:
        heads = [
            head
            for head in await township_heads(session, case.grid_id)
            if head not in await assignees(session, case.id)
        ]
        session.add_all([CaseAssignee(case_id=case.id, deputy_id=head) for head in heads])
        await session.flush()
        words = (
            say("Escalated to the township grid head (督办)")
            if heads or await _has_head(session, case)
            else say("Escalated (督办): the township has no grid head yet, the NPC office is told")
        )
    else:
        words = say("Escalated to the NPC office, which now supervises it (督办)")
    await move(session, runtime, case, "escalate", who, with_note(words, reason), now, said=reason)


async def escalate_unrouted(session: AsyncSession, runtime: CaseRuntime, case: Case) -> None:
    """A case that reached no deputy by its accept deadline (no one answers for its grid, its village or its
    township) goes to the NPC office, which dispatches it: it never waits unseen."""
    case.escalation_level = 2
    words = say("No deputy answers for this grid, its village or its township yet: sent to the NPC office (督办)")
    await move(session, runtime, case, "escalate", SYSTEM, words, now_of(runtime))


async def _has_head(session: AsyncSession, case: Case) -> bool:
    return bool(set(await township_heads(session, case.grid_id)) & set(await assignees(session, case.id)))
