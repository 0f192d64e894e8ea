"""A case the office sends on leaves the inbox of the deputies it left: a deputy who returned it no longer finds
it waiting (to be refused when opened), and one it comes back to finds it to accept again."""

from contextlib import AsyncExitStack

from shared.auth import Role
from tests.integration.city import build_city, case_body
from tests.support import eventually


async def test_a_redispatched_case_leaves_the_old_deputys_inbox_and_comes_back_to_accept(nats_server, databases, keys):
    async with AsyncExitStack() as stack:
        city = await build_city(stack, nats_server, databases, keys)
        intake, office = city.case_intake.client, keys.headers(Role.npc_office)
        other = await city.deputy.client.post(
            "/deputies",
            json={"code": "D9002", "name": "李秋云", "level": "township", "district": "韶山乡第4选区"},
            headers=office,
        )
        assert other.status_code == 201, other.text
        other_id = other.json()["id"]
        headers_of = {city.deputy_id: city.deputy_headers, other_id: keys.headers(Role.deputy, deputy_id=other_id)}
        case = (await intake.post("/cases", json=case_body(city))).json()

        async def inbox(deputy_id: str) -> dict[str, str]:
            answer = await city.deputy.client.get("/inbox", headers=headers_of[deputy_id], params={"limit": 200})
            assert answer.status_code == 200, answer.text
            return {item["case_id"]: item["status"] for item in answer.json()["items"]}

        async def shows(deputy_id: str, status: str | None):  # type: ignore[no-untyped-def]
            async def check() -> bool:
                return (await inbox(deputy_id)).get(case["id"]) == status

            await eventually(check)

        await shows(city.deputy_id, "assigned")
        path = f"/cases/{case['id']}"
        returned = await intake.post(f"{path}/return", json={"reason": "这是第2组的事"}, headers=city.deputy_headers)
        assert returned.status_code == 200, returned.text
        await shows(city.deputy_id, "returned")

        sent = await intake.post(f"{path}/dispatch", json={"deputy_ids": [other_id]}, headers=office)
        assert sent.status_code == 200, sent.text
        await shows(other_id, "assigned")
        await shows(city.deputy_id, None)

        back = await intake.post(f"{path}/return", json={"reason": "还是第1组的事"}, headers=headers_of[other_id])
        assert back.status_code == 200, back.text
        sent = await intake.post(f"{path}/dispatch", json={"deputy_ids": [city.deputy_id]}, headers=office)
        assert sent.status_code == 200, sent.text
        await shows(city.deputy_id, "assigned")
        await shows(other_id, None)
        accepted = await intake.post(f"{path}/accept", json={}, headers=city.deputy_headers)
        assert accepted.status_code == 200, accepted.text
        await shows(city.deputy_id, "accepted")
