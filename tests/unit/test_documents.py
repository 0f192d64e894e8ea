"""shared.documents without a service: Chinese line breaking, money in yuan, the rendering queue that refuses
rather than piling up, and the stations' hours as people say them."""

import asyncio
import threading
from datetime import UTC, datetime, time
from types import SimpleNamespace

import pytest

from services.station_scheduling.documents import hours_lines
from shared import documents
from shared.documents import Document, yuan
from shared.errors import ServiceUnavailable


@pytest.fixture(scope="module")
def page() -> Document:
    document = Document("测试", issuer="人大常委会代表工委", printed_at=datetime(2026, 3, 2, tzinfo=UTC))
    document.add_page()
    document.set_font(size=11)
    return document


def test_lines_fit_their_width_and_never_start_with_a_closing_mark(page):
    text = "为听取群众意见和建议，帮助解决群众反映的问题，人大代表将在下列时间、地点接待群众，欢迎前来反映情况。" * 3
    lines = page.lines(text, 60)
    assert "".join(lines) == text  # nothing lost, nothing added
    assert all(page.get_string_width(line) <= 60.01 for line in lines)
    assert not any(line[0] in "，。、；：！？）" for line in lines)


def test_lines_keep_numbers_and_latin_words_whole_and_honour_newlines(page):
    text = "接待时间 09:00–11:00，地点 D9001 号 " * 6 + "\n第二段"
    lines = page.lines(text, 45)
    assert lines[-1] == "第二段" and len(lines) > 3
    for line, following in zip(lines, lines[1:], strict=False):
        assert not (line[-1].isascii() and line[-1].isalnum() and following[0].isascii() and following[0].isalnum())


def test_money_is_printed_in_yuan_from_fen():
    assert yuan(1234560) == "¥12,345.60"
    assert yuan(5) == "¥0.05"
    assert yuan(-100) == "-¥1.00"


async def test_a_full_queue_refuses_with_503_instead_of_waiting(monkeypatch):
    release = threading.Event()
    started = []

    def slow() -> bytes:
        started.append(1)
        release.wait(10)
        return b"%PDF-"

    capacity = documents.RENDER_THREADS + documents.MAX_WAITING
    waiting = [asyncio.create_task(documents.render(slow)) for _ in range(capacity)]
    await asyncio.sleep(0.05)
    with pytest.raises(ServiceUnavailable) as refused:
        await documents.render(slow)
    assert refused.value.status == 503
    release.set()
    assert await asyncio.gather(*waiting) == [b"%PDF-"] * capacity
    assert await documents.render(lambda: b"ok") == b"ok"  # the queue is free again


def test_opening_hours_are_said_the_way_people_say_them():
    window = lambda weekday=None, month_day=None, opens=time(8, 30), closes=time(17, 30): SimpleNamespace(  # noqa: E731
        weekday=weekday, month_day=month_day, opens=opens, closes=closes
    )
    hours = SimpleNamespace(
        hours=[window(day) for day in (1, 2, 3, 4, 5)]
        + [window(6, opens=time(9), closes=time(12)), window(month_day=15, opens=time(14), closes=time(17))]
    )
    assert hours_lines(hours) == ["每周一至周五 08:30–17:30", "每周六 09:00–12:00", "每月15日 14:00–17:00"]
    pair = SimpleNamespace(hours=[window(2), window(4)])
    assert hours_lines(pair) == ["每周二、周四 08:30–17:30"]
