"""Routes made from a table: one endpoint function serves several actions (a case's, a suggestion's, a project's
stages), each with its own request model. FastAPI reads the body's model from the endpoint's signature, so the
row's model is written into it here; a body that may be left out gets the model's defaults."""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

Endpoint = Callable[..., Awaitable[Any]]


def with_body(endpoint: Endpoint, model: type[BaseModel], *, optional: bool = False) -> Endpoint:
    """Give `endpoint`'s parameter named `body` the annotation `model` (defaulting to `model()` if `optional`)."""
    signature = inspect.signature(endpoint)
    default: Any = model() if optional else inspect.Parameter.empty
    parameters = [
        parameter.replace(annotation=model, default=default) if parameter.name == "body" else parameter
        for parameter in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint
