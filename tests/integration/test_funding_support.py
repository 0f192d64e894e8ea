"""What the funding tests share (no tests here): a started micro_funding service, fed projections, callers."""

import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

from services.micro_funding.logic import projects, review
from services.micro_funding.schemas import (
    DeliberationCreate,
    NoticeCreate,
    ProjectDraft,
    ScreeningCreate,
)
from shared.auth import Principal, Role
from shared.clock import MovableClock
from shared.messaging.catalogue import CaseSubmittedV2, EventPayload, GridCreated, envelope, stream_of
from tests.support import Databases, Keys, NatsServer, RunningService, case_submitted, start_service

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Funding:
    service: RunningService
    keys: Keys
    clock: MovableClock
    village_id: str
    group_id: str
    case_id: str
    deputy_id: str

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.service.client

    def headers(self, *roles: Role, **claims: str) -> dict[str, str]:
        return self.keys.headers(*roles, **claims)

    @property
    def deputy(self) -> dict[str, str]:
        return self.headers(Role.deputy, subject="deputy-account", deputy_id=self.deputy_id)

    @property
    def office(self) -> dict[str, str]:
        return self.headers(Role.npc_office, subject="office")

    @property
    def staff(self) -> dict[str, str]:
        return self.headers(Role.station_staff, subject="staff")

    @property
    def finance(self) -> dict[str, str]:
        return self.headers(Role.finance, subject="finance")


async def feed(service: RunningService, payload: EventPayload) -> bool:
    """Apply an event the way the durable consumer does (inbox, then the handler, one transaction)."""
    consumer = next(item for item in service.runtime.consumers if item.stream == stream_of(payload.event_type))
    return await consumer.apply_once(envelope("/test", payload))


async def start_funding(stack: AsyncExitStack, nats: NatsServer, databases: Databases, keys: Keys) -> Funding:
    service = await start_service(stack, "micro_funding", databases.settings("micro_funding", nats.url, keys.public))
    clock = MovableClock(START)
    service.runtime.clock = clock
    township, village, group, case, deputy = new_id(), new_id(), new_id(), new_id(), new_id()
    await feed(service, GridCreated(grid_id=township, code="T01", name="韶山乡", level="township", parent_id=None))
    await feed(service, GridCreated(grid_id=village, code="T01V01", name="韶阳村", level="village", parent_id=township))
    await feed(service, GridCreated(grid_id=group, code="T01V01G01", name="第1组", level="group", parent_id=village))
    await feed(service, facilities_case(case, group, [deputy]))
    return Funding(service, keys, clock, village, group, case, deputy)


def facilities_case(case_id: str, grid_id: str, deputy_ids: list[str] | None = None) -> CaseSubmittedV2:
    """A case filed in the grid and routed to `deputy_ids` (the deputies who may cite it)."""
    return case_submitted(case_id, grid_id, deputy_ids, at=START, category="facilities")


async def create_pool(f: Funding, total: str = "375000.00", **changes: str) -> dict:
    body = {
        "year": 2026,
        "name": f"民生微实事 {new_id()[:8]}",
        "total": total,
        "service_cap": "200000.00",
        "goods_cap": "200000.00",
        "works_cap": "200000.00",
        **changes,
    }
    answer = await f.client.post("/fund-pools", json=body, headers=f.finance)
    assert answer.status_code == 201, answer.text
    return answer.json()


def draft_body(f: Funding, pool_id: str, budget: str = "10000.00", **changes: object) -> dict:
    return {
        "pool_id": pool_id,
        "kind": "goods",
        "title": "老旧小区充电桩",
        "description": "在韶阳村第1组安装电动车充电桩 10 个。",
        "beneficiaries": "韶阳村第1组 42 户",
        "beneficiary_count": 42,
        "grid_ids": [f.group_id],
        "case_ids": [f.case_id],
        "budget_lines": [{"item": "充电桩及安装", "amount": budget}],
        "milestones": [{"title": "安装完成", "due_on": "2026-06-30"}],
        **changes,
    }


async def create_draft(f: Funding, pool_id: str, **changes: object) -> dict:
    answer = await f.client.post("/projects", json=draft_body(f, pool_id, **changes), headers=f.deputy)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def step(f: Funding, project_id: str, path: str, body: dict | None, headers: dict, expect: int = 200) -> dict:
    answer = await f.client.post(f"/projects/{project_id}/{path}", json=body, headers=headers)
    assert answer.status_code == expect, answer.text
    return answer.json()


async def to_notice(f: Funding, project_id: str, days: int = 7) -> dict:
    """Submitted by its deputy, screened by station staff, deliberated and put on notice by the NPC office."""
    await step(f, project_id, "submission", None, f.deputy)
    await step(f, project_id, "screening", {"decision": "pass", "note": "符合条件"}, f.staff)
    vote = {"review": "代表工委审议通过", "votes_for": 9, "votes_against": 1, "votes_abstain": 1}
    await step(f, project_id, "deliberation", vote, f.office)
    return await step(f, project_id, "notice", {"days": days}, f.office)


async def many_in_notice(f: Funding, pool_id: str, count: int, budget: str) -> list[str]:
    """`count` projects put on public notice through the same rules, in one transaction (fast set-up)."""
    deputy = Principal(subject="deputy-account", roles=frozenset({Role.deputy}), deputy_id=f.deputy_id)
    staff = Principal(subject="staff", roles=frozenset({Role.station_staff}))
    office = Principal(subject="office", roles=frozenset({Role.npc_office}))
    runtime = f.service.runtime
    ids = []
    async with runtime.maker() as session:
        for _ in range(count):
            draft = ProjectDraft.model_validate(draft_body(f, pool_id, budget=budget))
            project = await projects.create_draft(session, runtime, deputy, draft)
            await review.submit(session, runtime, deputy, project.id)
            await review.screen(session, runtime, staff, project.id, ScreeningCreate(decision="pass"))
            vote = DeliberationCreate(review="审议通过", votes_for=5, votes_against=0)
            await review.deliberate(session, runtime, office, project.id, vote)
            await review.start_notice(session, runtime, office, project.id, NoticeCreate(days=7))
            ids.append(project.id)
        await session.commit()
    return ids
