"""The CloudEvents 1.0 envelope (JSON format) that every event travels in."""

import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event; `type` is the versioned event type, which is also the NATS subject."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    specversion: str = "1.0"
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any]
