"""A villager stops SMS by replying: the provider pushes the replies it received (uplink messages: Aliyun's
SmsUp) to `POST /sms/replies`, and a reply that says stop (TD, T, 退订, 停止, as the carriers' unsubscribe
convention has it) ends every SMS to that number: the numbers given for cases are forgotten (as
`DELETE /contacts/{code}` does for one case), an account that keeps that number has every kind of SMS turned off,
and the messages to it not yet sent are skipped. Each reply is taken once, by the provider's `sequence_id`;
nothing of it is kept but that id and whether it was a stop (not the number, not the words)."""

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notification.domain.notices import CHOSEN_KINDS
from services.notification.logic.contacts import CONTACT_PREFIX
from services.notification.models import Account, CaseContact, Delivery, Preference, SmsReply
from shared.privacy import phone_forms

log = logging.getLogger(__name__)

STOP_WORDS = frozenset({"TD", "T", "退订", "停止"})
SKIPPED = "skipped: the villager replied stop"


@dataclass(frozen=True)
class Reply:
    sequence_id: str
    phone: str
    content: str


def says_stop(content: str) -> bool:
    """The whole reply is a stop word, whatever its case, spaces and closing punctuation (“TD。”, " td ")."""
    word = re.sub(r"[\s。.!！]+", "", content).upper()
    return word in STOP_WORDS


def forms_of(phone: str) -> list[str]:
    """The stored forms of an uplink's number: Aliyun may write the country code as 86 without the plus."""
    digits = re.sub(r"[\s-]", "", phone)
    if re.fullmatch(r"86[0-9]{11}", digits):
        digits = "+" + digits
    return phone_forms(digits)


async def stop_number(session: AsyncSession, phone: str, now: datetime) -> tuple[int, int]:
    """Every SMS to this number stops; returns (case contacts forgotten, accounts turned off)."""
    forms = forms_of(phone)
    case_ids = list((await session.scalars(select(CaseContact.case_id).where(CaseContact.phone.in_(forms)))).all())
    if case_ids:
        await session.execute(delete(CaseContact).where(CaseContact.case_id.in_(case_ids)))
    subjects = list((await session.scalars(select(Account.subject).where(Account.phone.in_(forms)))).all())
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for subject in subjects:
        rows = [
            {"subject": subject, "kind": kind.value, "channel": "sms", "enabled": False, "updated_at": now}
            for kind in CHOSEN_KINDS
        ]
        statement = insert(Preference).values(rows)
        keys = [Preference.subject, Preference.kind, Preference.channel]
        await session.execute(
            statement.on_conflict_do_update(index_elements=keys, set_={"enabled": False, "updated_at": now})
        )
    recipients = [CONTACT_PREFIX + case_id for case_id in case_ids] + [f"account:{s}" for s in subjects]
    waiting = (Delivery.channel == "sms") & (Delivery.status == "pending")
    await session.execute(
        update(Delivery)
        .where(waiting & (Delivery.target.in_(forms) | Delivery.recipient.in_(recipients)))
        .values(status="skipped", reason=SKIPPED, finished_at=now)
    )
    return len(case_ids), len(subjects)


async def take_replies(session: AsyncSession, runtime, replies: list[Reply]) -> int:  # type: ignore[no-untyped-def]
    """Take each reply once (by its sequence id); returns how many stops were new."""
    now: datetime = runtime.clock.now()
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(SmsReply)
    stops = 0
    for reply in replies:
        stop = says_stop(reply.content)
        row = {"sequence_id": reply.sequence_id, "stopped": stop, "received_at": now}
        taken = await session.execute(insert.values(**row).on_conflict_do_nothing())
        if not taken.rowcount or not stop:  # type: ignore[attr-defined]
            continue
        contacts, accounts = await stop_number(session, reply.phone, now)
        stops += 1
        log.info("an SMS stop: %d case numbers forgotten, %d accounts' SMS turned off", contacts, accounts)
    return stops
