"""The demo city's 414 deputies, through the deputy service's own use case, and a year of their suggestions."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.demo import city as demo_city
from devstack.demo import suggestions as demo_suggestions
from devstack.demo.progress import Progress
from services.deputy.logic.deputies import register_deputy
from services.deputy.models import Deputy
from services.deputy.schemas import DeputyCreate
from shared.service import ServiceRuntime


def _demo_deputy(item: demo_city.DemoDeputy) -> DeputyCreate:
    return DeputyCreate.model_validate(
        {
            "code": item.code,
            "name": item.name,
            "level": item.level,
            "district": item.district,
            "council_member": item.council_member,
            "organisation": item.organisation,
            "contact_phone": item.phone,
            "home_location": {"lat": item.home[0], "lon": item.home[1]},
            "home_grid_id": demo_city.stable_id("grid:" + item.home_grid_code),
        }
    )


async def seed(session: AsyncSession, runtime: ServiceRuntime, *, progress: Progress | None = None) -> int:
    """Register the demo city's 414 deputies once (flagged as demo data), then a year of their suggestions once;
    returns how many deputies and suggestions were made."""
    made = 0
    if not (await session.execute(select(Deputy.id).limit(1))).first():
        roster = demo_city.deputies()
        for done, item in enumerate(roster, start=1):
            await register_deputy(session, runtime, _demo_deputy(item), deputy_id=item.id, is_demo=True)
            if progress is not None:
                progress(done, len(roster))
        made = len(roster)
        await session.flush()
    return made + await demo_suggestions.seed(session, runtime)
