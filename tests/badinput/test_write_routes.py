"""Every create and update route of every service, from its own OpenAPI document, given bad input: each answer
is a clear 4xx problem (application/problem+json with title, status and detail; a spoilt field is named in
`errors`), no row is added or removed anywhere in the service's database, the service keeps answering, and
the records that were there before read exactly as they did.

A route appears here as soon as it is in the service's OpenAPI document. Routes without a body get the
unknown-id check only (said in their test's skip reason for the body checks).
"""

import json
import uuid

import httpx
import pytest

from shared.migrations import SERVICES
from tests.badinput.inputs import (
    Mutation,
    Operation,
    body_mutations,
    example,
    field_mutations,
    subsequence,
    unknown_value,
    write_operations,
)
from tests.badinput.worlds import World, gateway_openapi, problem_faults
from tests.contract.test_service_contracts import _openapi

ANSWER_BYTES = 8192  # a refusal says what is wrong; it does not send a 100 KB input back
OPERATIONS = [(service, operation) for service in SERVICES for operation in write_operations(_openapi(service))]
OPERATIONS += [
    ("gateway", operation)
    for operation in write_operations(gateway_openapi())
    if not operation.path.startswith("/open311/")  # its own error format: test_open311.py
]


def _ids(value: object) -> str:
    return value.label if isinstance(value, Operation) else str(value)


def _url(operation: Operation, values: dict[str, str]) -> str:
    path = operation.path
    for name in operation.path_params:
        path = path.replace("{" + name + "}", values.get(name) or str(uuid.uuid4()))
    return path


async def _send(world: World, operation: Operation, url: str, mutation: Mutation) -> list[str]:
    """Send one bad request; what went wrong, if anything."""
    return (await _answer_and_faults(world, operation, url, mutation))[1]


async def _answer_and_faults(
    world: World, operation: Operation, url: str, mutation: Mutation
) -> tuple[httpx.Response, list[str]]:
    before = await world.row_counts()
    headers = {**world.headers, "Content-Type": mutation.content_type, "Idempotency-Key": uuid.uuid4().hex}
    answer = await world.client.request(operation.method.upper(), url, content=mutation.content, headers=headers)
    faults = problem_faults(answer)
    if len(answer.content) > ANSWER_BYTES:
        faults.append(f"the answer repeats the input: {len(answer.content)} bytes")
    if mutation.field is not None and not faults:
        locations = [error["loc"] for error in answer.json().get("errors") or []]
        if answer.status_code != 422 or not any(_names(mutation.field, loc[1:]) for loc in locations):
            faults.append(f"{answer.status_code}, the field is not named: {answer.text[:300]}")
    after = await world.row_counts()
    if after != before:
        changed = {name: (before.get(name), count) for name, count in after.items() if before.get(name) != count}
        faults.append(f"stored: {changed}")
    return answer, [f"{mutation.label}: {'; '.join(faults)}"] if faults else []


def _names(field: tuple, location: list) -> bool:
    """The error is about the field: its location has the field's path in it (unions add steps of their own),
    or is the object whose discriminating property the field is."""
    return subsequence(field, location) or (
        0 < len(location) < len(field) and tuple(location) == field[: len(location)]
    )


def _not_json(operation: Operation) -> str:
    if operation.body_schema is None:
        return f"{operation.label} takes no body: nothing to spoil"
    if operation.content_type == "multipart/form-data":
        return f"{operation.label} takes a file: tests/badinput/test_case_photos.py"
    return f"{operation.label} takes {operation.content_type}"


async def _still_answering(world: World) -> list[str]:
    faults = []
    if (await world.client.get("/healthz")).status_code != 200:
        faults.append("the service stopped answering /healthz")
    now = await world.read_all()
    faults += [
        f"{path} changed: {world.snapshot[path]} -> {now[path]}" for path in now if now[path] != world.snapshot[path]
    ]
    return faults


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=_ids)
async def test_bad_fields_are_refused_and_change_nothing(worlds, service, operation):
    mutations = field_mutations(operation)
    if not mutations:
        pytest.skip(_not_json(operation))
    world = await worlds.get(service)
    url = _url(operation, world.ids)
    faults = [fault for mutation in mutations for fault in await _send(world, operation, url, mutation)]
    faults += await _still_answering(world)
    assert not faults, f"{service} {operation.label}:\n" + "\n".join(faults)


@pytest.mark.parametrize(("service", "operation"), OPERATIONS, ids=_ids)
async def test_bodies_that_are_not_json_objects_are_refused(worlds, service, operation):
    mutations = body_mutations(operation)
    if operation.content_type != "application/json":
        pytest.skip(_not_json(operation))
    world = await worlds.get(service)
    url = _url(operation, world.ids)
    faults = [fault for mutation in mutations for fault in await _send(world, operation, url, mutation)]
    faults += await _still_answering(world)
    assert not faults, f"{service} {operation.label}:\n" + "\n".join(faults)


@pytest.mark.parametrize(
    ("service", "operation"), [(s, o) for s, o in OPERATIONS if o.path_params and o.path != "/holidays/{day}"], ids=_ids
)
async def test_unknown_ids_in_the_path_are_refused(worlds, service, operation):
    """Every path id replaced by one of the right shape that names nothing: 404, or 422 for the body (the
    body is only schema-valid). PUT /holidays/{day} sets a day: it has no id that could be unknown."""
    world = await worlds.get(service)
    shapes = zip(operation.path_params, operation.param_schemas, strict=True)
    unknown = {name: unknown_value(schema) for name, schema in shapes}
    body = b"" if operation.body_schema is None else json.dumps(example(operation.body_schema)).encode()
    mutation = Mutation("unknown ids " + ", ".join(unknown.values()), body, "application/json")
    answer, faults = await _answer_and_faults(world, operation, _url(operation, unknown), mutation)
    if answer.status_code not in (404, 422) or "path" in str([e["loc"][0] for e in answer.json().get("errors", [])]):
        faults.append(f"not a 404 for an unknown id: {answer.status_code} {answer.text[:300]}")
    faults += await _still_answering(world)
    assert not faults, f"{service} {operation.label}:\n" + "\n".join(faults)
