"""The demo city loads once, covers every group with a deputy, heads each township with a council member,
has a year of deputies' suggestions in every state (counted in the statistics), and its events reach the other
service when the services run."""

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from devstack import demo
from devstack.demo import city as demo_city
from services.deputy.domain.suggestions import ACCEPTED_STATES, STATES
from services.deputy.models import KnownGrid, Suggestion
from services.grid.models import KnownDeputy
from shared.auth import Role
from shared.clock import CHINA
from shared.config import SERVICE_PACKAGES
from shared.migrations import upgrade
from tests.support import eventually, start_service


async def test_the_demo_city_loads_once_with_full_coverage_and_its_events_flow(nats_server, databases, keys):
    settings = {name: databases.settings(name, nats_server.url, keys.public) for name in ("grid", "deputy")}
    for name in ("grid", "deputy"):
        await asyncio.to_thread(upgrade, SERVICE_PACKAGES[name], settings[name])
        assert await demo.seed_service(name, settings[name]) > 0
        assert await demo.seed_service(name, settings[name]) == 0  # a second load changes nothing

    async with AsyncExitStack() as stack:
        grid = await start_service(stack, "grid", settings["grid"])
        deputy = await start_service(stack, "deputy", settings["deputy"])
        office = keys.headers(Role.npc_office)
        report = (await grid.client.get("/coverage", headers=office)).json()
        assert (report["groups_total"], report["groups_covered"], report["total"]) == (218, 218, 0)
        assert report["townships_without_head"] == []
        for township, head in demo_city.grid_heads():
            answer = await grid.client.get("/assignments", params={"grid_id": township.id, "active": True})
            assert [(item["deputy_id"], item["role"]) for item in answer.json()["items"]] == [(head.id, "grid_head")]
        group = (await grid.client.get("/grids", params={"q": "湘韶村第1组"})).json()["items"][0]
        lat, lon = group["centre_lat"], group["centre_lon"]
        assert (await grid.client.get("/resolve", params={"lat": lat, "lon": lon})).json()["grid"]["id"] == group["id"]
        listed = (await deputy.client.get("/deputies", params={"limit": 1})).json()
        assert listed["total"] == 414 and listed["items"][0]["is_demo"] and listed["items"][0]["contact_phone"] is None
        async with deputy.runtime.maker() as session:
            by_state = select(Suggestion.state, func.count()).group_by(Suggestion.state)
            states = dict((await session.execute(by_state)).all())
        assert set(states) == set(STATES) and sum(states.values()) == 52
        today = datetime.now(UTC).astimezone(CHINA).date()
        year = {"date_from": (today - timedelta(days=366)).isoformat(), "date_to": today.isoformat()}
        figures = (await deputy.client.get("/statistics", params=year)).json()["total"]
        assert figures["suggestions"] == sum(count for state, count in states.items() if state in ACCEPTED_STATES)
        published = (await deputy.client.get("/suggestions", params={"limit": 1})).json()
        assert published["total"] == figures["suggestions"]

        async def projected() -> bool:
            async with grid.runtime.maker() as session:
                homes = select(func.count()).select_from(KnownDeputy).where(KnownDeputy.version == 1)
                confirmed = (await session.execute(homes)).scalar_one()
            async with deputy.runtime.maker() as session:
                placed = select(func.count()).select_from(KnownGrid).where(KnownGrid.township_id.is_not(None))
                return confirmed == 414 and (await session.execute(placed)).scalar_one() == 260

        await eventually(projected, timeout=30)
