"""The development SMS sender: nothing leaves the machine. Each message is a JSON line in a file under var/
(`SMS_DEV_FILE`; the notification service lists it at `GET /dev/sms`, the gateway reads the last sign-in code
from it at `GET /api/auth/dev/otp`) and a line in the log. Production refuses it (each process's settings)."""

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

from shared.privacy import normalise_phone
from shared.sms import Known, Outcome, SmsMessage

log = logging.getLogger(__name__)


class DevSmsSender:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: SmsMessage) -> Outcome:
        log.warning("development SMS (not sent) to %s: %s", message.phone, message.text)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "id": message.id,
            "phone": message.phone,
            "kind": message.kind,
            "text": message.text,
            "params": message.params,
            "at": message.at.isoformat(),
        }
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")
        return Outcome("sent")

    async def status(self, message: SmsMessage) -> Known:
        return "sent" if any(entry["id"] == message.id for entry in self.sent()) else "not_sent"

    def sent(self) -> list[dict]:
        """Every message in the file, oldest first."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]

    def last(self, phone: str, kind: str) -> dict | None:
        """The newest message of this kind to this number (in any form), if any."""
        number = normalise_phone(phone)
        for entry in reversed(self.sent()):
            if entry["kind"] == kind and normalise_phone(entry["phone"]) == number:
                return entry
        return None

    def forget(self, phones: Iterable[str]) -> int:
        """Remove every message to these numbers (in any form) from the file, and say how many went: an erased
        person's number must not stay in the development outbox either. The file is rewritten in one step (a
        new file replacing the old) with no await in between, so a send of this process cannot fall between
        (another process's can: development only)."""
        wanted = {normalise_phone(phone) for phone in phones}
        if not wanted or not self.path.exists():
            return 0
        with self.path.open(encoding="utf-8") as file:
            lines = [line for line in file if line.strip()]
        kept = [line for line in lines if normalise_phone(json.loads(line)["phone"]) not in wanted]
        if len(kept) < len(lines):
            fresh = self.path.with_name(self.path.name + ".tmp")
            fresh.write_text("".join(kept), encoding="utf-8")
            os.replace(fresh, self.path)
        return len(lines) - len(kept)

    async def close(self) -> None:
        return None
