"""Money in every shape it must not take — negative, fractions of a fen, exponents, NaN, numbers instead of
strings, thousands separators, full-width digits, more than the pool holds — is refused with a 422 problem
naming the field, and not a fen moves: no row anywhere, the pool's reconciliation unchanged."""

from datetime import timedelta

import pytest

from tests.badinput.worlds import World, problem_faults

BAD_AMOUNTS = [
    "-100.00",
    "-0.01",
    "0.001",
    "12.345",
    "1e5",
    "NaN",
    "Infinity",
    "1,000.00",
    " 100.00",
    "100.00 ",
    "１００.００",
    "0x10",
    "",
    "9999999999999.00",
    100.5,
    100,
    -1,
    None,
]
AMOUNTS = pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=[repr(amount) for amount in BAD_AMOUNTS])


async def _refused(
    world: World, path: str, body: dict, headers: dict[str, str], field: tuple, method: str = "POST"
) -> None:
    before = (await world.row_counts(), await world.read_all())
    answer = await world.client.request(method, path, json=body, headers=headers)
    assert not problem_faults(answer), f"{answer.status_code} {answer.text}"
    assert answer.status_code == 422
    assert any(tuple(error["loc"][1:]) == field for error in answer.json()["errors"]), answer.text
    assert (await world.row_counts(), await world.read_all()) == before


async def _funded(world: World) -> tuple[str, dict]:
    """A project approved for 10,000.00 yuan (the deputy's, screened, deliberated, a week's notice)."""
    from tests.integration.test_funding_support import create_draft, step, to_notice

    funding = world.native
    if "funded" not in world.ids:
        project = await create_draft(funding, world.ids["pool_id"], budget="10000.00")
        await to_notice(funding, project["id"])
        funding.clock.advance(timedelta(days=8))
        await step(funding, project["id"], "approval", {"note": "批准"}, funding.office)
        world.ids["funded"] = project["id"]
        world.reads.append(f"/ledger-entries?project_id={project['id']}")
        world.snapshot = await world.read_all()
    return world.ids["funded"], funding


@AMOUNTS
async def test_pool_totals_and_caps(worlds, amount):
    world = await worlds.get("micro_funding")
    funding = world.native
    for field in ("total", "service_cap"):
        body = {"year": 2026, "name": "坏金额", "total": "1000.00", "service_cap": "10.00", "goods_cap": "10.00"}
        body = {**body, "works_cap": "10.00", field: amount}
        await _refused(world, "/fund-pools", body, funding.finance, (field,))


@AMOUNTS
async def test_budget_lines(worlds, amount):
    from tests.integration.test_funding_support import draft_body

    world = await worlds.get("micro_funding")
    funding = world.native
    body = draft_body(funding, world.ids["pool_id"], budget=amount)
    await _refused(world, "/projects", body, funding.deputy, ("budget_lines", 0, "amount"))
    project = f"/projects/{world.ids['project_id']}"
    await _refused(world, project, body, funding.deputy, ("budget_lines", 0, "amount"), method="PUT")


@AMOUNTS
async def test_disbursements_and_releases(worlds, amount):
    world = await worlds.get("micro_funding")
    project, funding = await _funded(world)
    body = {"amount": amount, "purpose": "首期款", "reference": "合同 2026-001"}
    await _refused(world, f"/projects/{project}/disbursements", body, funding.finance, ("amount",))
    if amount is not None:  # a release without an amount gives back all that is left: not bad input
        await _refused(world, f"/projects/{project}/releases", {"amount": amount}, funding.finance, ("amount",))


@pytest.mark.parametrize("amount", ["0.00", "0", "10000.01", "99999.00"])
async def test_amounts_the_ledger_cannot_pay_are_refused(worlds, amount):
    """Well-formed, but nothing or more than the project holds: refused by the ledger's rules."""
    world = await worlds.get("micro_funding")
    project, funding = await _funded(world)
    for path, body in ((f"/projects/{project}/disbursements", {"amount": amount, "purpose": "付款"}),):
        before = (await world.row_counts(), await world.read_all())
        answer = await world.client.post(path, json=body, headers=funding.finance)
        assert not problem_faults(answer) and answer.status_code in (409, 422), answer.text
        assert (await world.row_counts(), await world.read_all()) == before
    before = (await world.row_counts(), await world.read_all())
    answer = await world.client.post(f"/projects/{project}/releases", json={"amount": amount}, headers=funding.finance)
    assert not problem_faults(answer) and answer.status_code in (409, 422), answer.text
    assert (await world.row_counts(), await world.read_all()) == before


async def test_a_budget_line_of_nothing_is_refused(worlds):
    from tests.integration.test_funding_support import draft_body

    world = await worlds.get("micro_funding")
    funding = world.native
    before = await world.row_counts()
    answer = await world.client.post(
        "/projects", json=draft_body(funding, world.ids["pool_id"], budget="0.00"), headers=funding.deputy
    )
    assert not problem_faults(answer) and answer.status_code == 422, answer.text
    assert await world.row_counts() == before
