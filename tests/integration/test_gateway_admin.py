"""The NPC office manages accounts, roles and API keys; every change lands in the audit log."""

import pytest

from shared.auth import Role
from tests.integration.test_gateway_harness import (
    PASSWORD,
    add_official,
    bearer,
    gateway_settings,
    idempotency_key,
    login,
    migrated_app,
    running,
)

DEPUTY_ID = "5f0e3c1a-3d0b-4b8e-9b7e-1f2a3b4c5d6e"


@pytest.fixture
async def office(nats_server, databases, keys):
    app = await migrated_app(gateway_settings(databases, nats_server.url, keys))
    async with running(app) as http:
        office_id = await add_official(app, "office", Role.npc_office)
        token = (await login(http, "office")).json()["access_token"]
        yield app, http, bearer(token), office_id


async def test_only_the_office_manages_accounts(office, keys):
    app, http, office_headers, _ = office
    await add_official(app, "staff", Role.station_staff)
    staff = bearer((await login(http, "staff")).json()["access_token"])
    for method, path in [("GET", "/api/admin/accounts"), ("GET", "/api/admin/audit"), ("GET", "/api/admin/api-keys")]:
        assert (await http.request(method, path)).status_code == 401
        assert (await http.request(method, path, headers=staff)).status_code == 403
        # a token that claims the office role for an account the gateway does not know is not enough
        assert (await http.request(method, path, headers=keys.headers(Role.npc_office))).status_code == 403
        assert (await http.request(method, path, headers=office_headers)).status_code == 200


async def test_the_office_creates_an_official_once_per_idempotency_key(office):
    _, http, headers, office_id = office
    body = {
        "username": "water-bureau",
        "password": "initial-password-1",
        "name": "水务局 王科长",
        "roles": ["agency_officer"],
        "organisation": "水务局",
    }
    key = {**headers, "Idempotency-Key": idempotency_key()}
    first = await http.post("/api/admin/accounts", json=body, headers=key)
    assert first.status_code == 201, first.text
    again = await http.post("/api/admin/accounts", json=body, headers=key)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    taken = await http.post("/api/admin/accounts", json=body, headers=headers)
    assert taken.status_code == 409
    signed_in = await login(http, "water-bureau", "initial-password-1")
    assert signed_in.json()["organisation"] == "水务局" and signed_in.json()["roles"] == ["agency_officer"]

    audit = (await http.get("/api/admin/audit", params={"action": "account.created"}, headers=headers)).json()
    assert audit["total"] == 1
    entry = audit["items"][0]
    assert entry["actor_id"] == office_id and entry["target_id"] == first.json()["id"]
    assert "initial-password-1" not in str(audit)


@pytest.mark.parametrize(
    "body",
    [
        {"roles": ["deputy"]},  # a deputy's account names the deputy
        {"roles": ["agency_officer"]},  # an agency officer's names the organisation
        {"roles": []},
        {"roles": ["mayor"]},
        {"password": "short"},
        {"username": "bad name!"},
    ],
)
async def test_accounts_must_make_sense(office, body):
    _, http, headers, _ = office
    full = {"username": "someone", "password": "initial-password-1", "name": "某人", "roles": ["finance"], **body}
    answer = await http.post("/api/admin/accounts", json=full, headers=headers)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"


async def test_no_account_holds_the_deputy_and_the_finance_role_at_once(office):
    app, http, headers, _ = office
    both = {"username": "dep-fin", "password": "initial-password-1", "name": "某人", "deputy_id": DEPUTY_ID}
    refused = await http.post("/api/admin/accounts", json={**both, "roles": ["deputy", "finance"]}, headers=headers)
    assert refused.status_code == 422 and "不相容岗位分离" in refused.json()["detail"]
    deputy_id = await add_official(app, "dep2", Role.deputy, deputy_id=DEPUTY_ID)
    finance_id = await add_official(app, "fin2", Role.finance)
    for account_id in (deputy_id, finance_id):
        changed = await http.patch(
            f"/api/admin/accounts/{account_id}",
            json={"roles": ["finance", "deputy"], "deputy_id": DEPUTY_ID},
            headers=headers,
        )
        assert changed.status_code == 422 and "不相容岗位分离" in changed.json()["detail"]
    assert (await login(http, "dep2")).json()["roles"] == ["deputy"]  # nothing changed
    assert (await login(http, "fin2")).json()["roles"] == ["finance"]


async def test_changing_roles_or_disabling_ends_the_accounts_sessions(office):
    app, http, headers, _ = office
    account_id = await add_official(app, "dep", Role.deputy, deputy_id=DEPUTY_ID)
    tokens = (await login(http, "dep")).json()
    changed = await http.patch(
        f"/api/admin/accounts/{account_id}", json={"roles": ["deputy", "station_staff"]}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["roles"] == ["deputy", "station_staff"]
    assert (await http.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    assert (await login(http, "dep")).json()["roles"] == ["deputy", "station_staff"]

    disabled = await http.patch(f"/api/admin/accounts/{account_id}", json={"active": False}, headers=headers)
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert (await login(http, "dep")).status_code == 401
    listed = (await http.get("/api/admin/accounts", params={"active": "false"}, headers=headers)).json()
    assert [item["id"] for item in listed["items"]] == [account_id]
    actions = [item["action"] for item in (await http.get("/api/admin/audit", headers=headers)).json()["items"]]
    assert actions.count("account.updated") == 2


async def test_the_office_cannot_lock_itself_out(office):
    _, http, headers, office_id = office
    for body in ({"active": False}, {"roles": ["finance"]}):
        assert (await http.patch(f"/api/admin/accounts/{office_id}", json=body, headers=headers)).status_code == 422


async def test_password_and_totp_resets(office):
    app, http, headers, _ = office
    account_id = await add_official(app, "fin", Role.finance)
    tokens = (await login(http, "fin")).json()
    reset = await http.post(
        f"/api/admin/accounts/{account_id}/password", json={"password": "brand-new-password"}, headers=headers
    )
    assert reset.status_code == 204
    assert (await login(http, "fin", PASSWORD)).status_code == 401
    assert (await login(http, "fin", "brand-new-password")).status_code == 200
    assert (await http.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    assert (await http.delete(f"/api/admin/accounts/{account_id}/totp", headers=headers)).status_code == 204
    assert (await http.delete(f"/api/admin/accounts/{account_id}/sessions", headers=headers)).status_code == 204
    missing = await http.delete("/api/admin/accounts/00000000-0000-4000-8000-000000000000/totp", headers=headers)
    assert missing.status_code == 404
    actions = {item["action"] for item in (await http.get("/api/admin/audit", headers=headers)).json()["items"]}
    assert {"account.password-reset", "account.totp-reset", "account.sessions-revoked"} <= actions


async def test_api_keys_are_shown_once_and_can_be_revoked(office):
    app, http, headers, _ = office
    created = await http.post("/api/admin/api-keys", json={"name": "12345 热线"}, headers=headers)
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("o311_") and key["prefix"] == key["key"][:12]
    listed = (await http.get("/api/admin/api-keys", headers=headers)).json()
    assert [item["id"] for item in listed] == [key["id"]] and "key" not in listed[0]
    from gateway.identity.accounts import api_key_of

    async with app.state.gateway.maker() as session:
        assert (await api_key_of(session, key["key"])) is not None
    assert (await http.delete(f"/api/admin/api-keys/{key['id']}", headers=headers)).status_code == 204
    async with app.state.gateway.maker() as session:
        assert (await api_key_of(session, key["key"])) is None
    actions = {item["action"] for item in (await http.get("/api/admin/audit", headers=headers)).json()["items"]}
    assert {"api-key.created", "api-key.revoked"} <= actions
