"""A year of the demo city's suggestions (代表建议), 52 as in the seed's headline figure, in every state:
through the deputy service's own use cases, on a clock moved through the year (each suggestion starts five days
after the one before, and goes as far as its planned end allows by today)."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from devstack.demo import city as demo_city
from services.deputy.logic import suggestion_handling as handling
from services.deputy.logic import suggestions as drafting
from services.deputy.models import Suggestion
from services.deputy.schemas.suggestions import (
    SuggestionAnswerBody,
    SuggestionAssign,
    SuggestionContact,
    SuggestionDone,
    SuggestionDraft,
    SuggestionMerge,
    SuggestionOpinionBody,
    SuggestionRate,
    SuggestionReason,
    SuggestionRehandle,
)
from shared.auth import Principal, Role
from shared.clock import CHINA, Clock, MovableClock
from shared.service import ServiceRuntime

COUNT = 52
TOPICS = [
    ("老旧小区加装电动车充电桩", "电动车在楼道内充电，火灾隐患突出", "在10个以上老旧小区统一建设充电桩和健身器材"),
    ("村组道路硬化和路灯安装", "部分村民小组道路仍为泥土路，夜间无照明", "将未硬化村组道路纳入年度计划，同步安装路灯"),
    ("农村饮水安全提质", "山区村组枯水期供水不稳定", "新建蓄水池，延伸集中供水管网"),
    ("增设城乡公交站点", "偏远村民出行需步行2公里以上", "优化线路，增设招呼站"),
    ("灌区渠道修缮", "韶山灌区支渠渗漏严重，影响春耕", "安排专项资金维修支渠"),
    ("村卫生室药品配备", "常用慢性病药品经常缺货", "建立乡镇卫生院向村卫生室配送机制"),
    ("留守老人助餐服务", "独居老人吃饭难", "依托村级活动中心开办老年食堂"),
    ("垃圾分类收运体系", "农村生活垃圾收运不及时", "增加收运频次，配置分类垃圾桶"),
    ("学校周边交通安全", "上下学时段车辆混行，存在安全隐患", "设置减速带和护学岗"),
    ("河道清淤和防汛", "汛期前河道淤积严重", "汛前完成重点河段清淤，储备防汛物资"),
    ("快递物流进村", "村民取快递需到镇上", "建设村级快递服务点"),
    ("农村电网改造", "用电高峰电压不稳", "实施农网升级改造"),
    ("红色景区周边停车", "旅游旺季停车难，占道严重", "新建生态停车场，实行错峰引导"),
]
PATH = (
    "completed",
    "planned",
    "assigned",
    "answered",
    "rehandling",
    "dissatisfied",
    "completed",
    "accepted",
    "reassignment_requested",
    "returned",
    "merged",
    "submitted",
    "draft",
)
"""The state each suggestion is taken towards, in turn (as far as the days since it started allow)."""
DAYS = {
    "draft": 0,
    "submitted": 1,
    "returned": 4,
    "merged": 4,
    "accepted": 4,
    "assigned": 6,
    "reassignment_requested": 8,
    "answered": 45,
    "dissatisfied": 55,
    "rehandling": 58,
    "planned": 80,
    "completed": 120,
}
ORGANISATIONS = [
    "housing-bureau",
    "transport-bureau",
    "water-bureau",
    "civil-affairs-bureau",
    "health-bureau",
    "urban-management-bureau",
    "agriculture-bureau",
    "ecology-bureau",
]
CLASSES = ("solved", "planned", "cannot_now", "reference")
OFFICE = Principal(subject="demo-seed", roles=frozenset({Role.npc_office}), name="人大常委会代表工委")


def _officer(code: str) -> Principal:
    return Principal(subject="demo-seed", roles=frozenset({Role.agency_officer}), organisation=code)


def _deputy(deputy_id: str) -> Principal:
    return Principal(subject="demo-seed", roles=frozenset({Role.deputy}), deputy_id=deputy_id)


class Walk:
    """One suggestion taken step by step, the clock moved to each step's day."""

    def __init__(self, session: AsyncSession, runtime: ServiceRuntime, clock: MovableClock, start: datetime) -> None:
        self.session, self.runtime, self.clock, self.start = session, runtime, clock, start
        self.suggestion: Suggestion | None = None

    async def at(self, day: int, do: Callable[..., Awaitable[None]], body: Any, by: Principal) -> None:
        self.clock.current = self.start + timedelta(days=day, hours=day % 5)
        assert self.suggestion is not None
        await do(self.session, self.runtime, self.suggestion, body, by=by)
        await self.session.flush()


async def _walk(walk: Walk, index: int, target: str, deputies: list[str], last_accepted: str | None) -> None:
    lead, cosigners = deputies[0], deputies[1:]
    title, problem, proposal = TOPICS[index % len(TOPICS)]
    draft = SuggestionDraft.model_validate(
        {
            "title": f"关于{title}的建议"
            if index < len(TOPICS)
            else f"关于{title}的建议（{index // len(TOPICS) + 1}）",
            "problem": problem,
            "proposal": proposal,
            "kind": ("suggestion", "suggestion", "opinion", "criticism")[index % 4],
            "cosigner_ids": cosigners,
        }
    )
    walk.clock.current = walk.start
    walk.suggestion = await drafting.draft(walk.session, walk.runtime, draft, by=_deputy(lead))
    for cosigner in cosigners:
        await walk.at(0, drafting.sign, None, _deputy(cosigner))
    if target == "draft":
        return
    await walk.at(1, drafting.submit, None, _deputy(lead))
    if target == "returned":
        await walk.at(4, drafting.return_, SuggestionReason(reason="请补充问题所在村组和调研数据"), OFFICE)
        return
    if target == "merged" and last_accepted:
        merge = SuggestionMerge(into_id=last_accepted, reason="与同类建议并案办理")
        await walk.at(4, drafting.merge, merge, OFFICE)
        return
    if target == "submitted":
        return
    await walk.at(4, drafting.accept, None, OFFICE)
    if target in {"accepted", "merged"}:
        return
    lead_org, co_org = ORGANISATIONS[index % len(ORGANISATIONS)], ORGANISATIONS[(index + 3) % len(ORGANISATIONS)]
    broad = index % 7 == 3
    assign = SuggestionAssign(lead_organisation=lead_org, co_organisations=[co_org], broad=broad)
    await walk.at(6, handling.assign, assign, OFFICE)
    if target == "reassignment_requested":
        await walk.at(8, handling.request_reassignment, SuggestionReason(reason="不属于本单位职责"), _officer(lead_org))
        return
    if target == "assigned":
        return
    answer_class = "planned" if target in {"planned", "rehandling"} else CLASSES[index % len(CLASSES)]
    await _answer(walk, 30, 45, lead_org, co_org, answer_class)
    if target == "answered":
        return
    await walk.at(50, handling.contact, _contact(walk, 49, "phone"), _deputy(lead))
    if target in {"dissatisfied", "rehandling"} or (target == "completed" and index % 3 == 0):
        await walk.at(
            55, handling.rate, SuggestionRate(rating="dissatisfied", reason="措施不具体，时间表不明确"), _deputy(lead)
        )
        if target == "dissatisfied":
            return
        await walk.at(58, handling.rehandle, SuggestionRehandle(reason="代表不满意，重新办理"), OFFICE)
        if target == "rehandling":
            return
        await _answer(walk, 62, 75, lead_org, co_org, "solved")
        await walk.at(78, handling.contact, _contact(walk, 77, "in_person"), _deputy(lead))
    rating = "satisfied" if index % 2 else "basically_satisfied"
    await walk.at(80, handling.rate, SuggestionRate(rating=rating), _deputy(lead))
    if walk.suggestion is not None and walk.suggestion.state == "planned" and target == "completed":
        await walk.at(120, handling.report_done, SuggestionDone(report="承诺措施已全部落实"), _officer(lead_org))


def _contact(walk: Walk, day: int, method: str) -> SuggestionContact:
    return SuggestionContact(method=method, on=(walk.start + timedelta(days=day)).astimezone(CHINA).date())


async def _answer(walk: Walk, opinion_day: int, day: int, lead_org: str, co_org: str, answer_class: str) -> None:
    await walk.at(
        opinion_day, handling.opinion, SuggestionOpinionBody(text="同意主办单位意见，配合落实"), _officer(co_org)
    )
    promised = (walk.start + timedelta(days=day + 60)).astimezone(CHINA).date()
    body = {
        "answer_class": answer_class,
        "text": "经研究，已会同相关单位实地调查，答复如下。",
        "measures": "列入年度计划，分批实施" if answer_class == "planned" else "",
        "promised_on": promised if answer_class == "planned" else None,
        "reason": "受财力所限，待条件成熟时解决" if answer_class == "cannot_now" else "",
    }
    await walk.at(day, handling.answer, SuggestionAnswerBody.model_validate(body), _officer(lead_org))


def _target(index: int, available_days: int) -> str:
    """The state in turn, or the furthest one its days allow."""
    wanted = PATH[index % len(PATH)]
    if DAYS[wanted] <= available_days:
        return wanted
    return max((state for state in PATH if DAYS[state] <= available_days), key=lambda state: DAYS[state])


async def seed(session: AsyncSession, runtime: ServiceRuntime) -> int:
    """A year of suggestions once (none there yet); returns how many were made."""
    if (await session.execute(select(Suggestion.id).limit(1))).first():
        return 0
    roster = [deputy.id for deputy in demo_city.deputies()]
    real_clock: Clock = runtime.clock
    now = real_clock.now()
    clock = MovableClock(now)
    runtime.clock = clock
    last_accepted: str | None = None
    try:
        for index in range(COUNT):
            start = now - timedelta(days=360 - 5 * index)
            walk = Walk(session, runtime, clock, start)
            signers = [roster[(index * 7 + offset * 31) % len(roster)] for offset in range(1 + index % 3)]
            await _walk(walk, index, _target(index, (now - start).days - 1), signers, last_accepted)
            if walk.suggestion is not None and walk.suggestion.state in {"assigned", "answered", "planned"}:
                last_accepted = walk.suggestion.id
    finally:
        runtime.clock = real_clock
    return COUNT
