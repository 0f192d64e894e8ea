from datetime import timedelta

import pytest

from devstack.demo import city as demo_city
from devstack.supervisor import Stack, free_port
from shared.auth import Principal, Role, issue_token

ISSUER = "deputies-in-the-grid"


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    """The whole system in real processes, with the demo city, as `make run` starts it."""
    system = Stack(var_dir=tmp_path_factory.mktemp("contract-var"), gateway_port=free_port())
    try:
        system.start()
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="package")
def role_headers(stack):
    """Headers of each kind of caller: none, a villager, a deputy, station staff, an officer, the office, finance."""
    deputy = demo_city.deputies()[0]
    principals = {
        "villager": Principal(subject="contract-villager", roles=frozenset({Role.villager})),
        "deputy": Principal(subject="contract-deputy", roles=frozenset({Role.deputy}), deputy_id=deputy.id),
        "station_staff": Principal(subject="contract-staff", roles=frozenset({Role.station_staff})),
        "agency_officer": Principal(
            subject="contract-officer", roles=frozenset({Role.agency_officer}), organisation="water-bureau"
        ),
        "npc_office": Principal(subject="contract-office", roles=frozenset({Role.npc_office})),
        "finance": Principal(subject="contract-finance", roles=frozenset({Role.finance})),
    }
    private_key = stack.private_key.read_bytes()
    headers = {"anonymous": {}}
    for name, principal in principals.items():
        token = issue_token(private_key, principal, issuer=ISSUER, lifetime=timedelta(hours=2))
        headers[name] = {"Authorization": f"Bearer {token}"}
    return headers
