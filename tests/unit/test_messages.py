"""Every word the services say to people has its Chinese: problem titles and details, field errors, timeline
sentences. A message without a translation (or whose translation names other values) fails here, before a
villager reads English under a Chinese headline."""

import inspect
import json
import re
import string

import pytest

from devstack import messages
from shared import errors, i18n, problems

CJK = re.compile(r"[\u4e00-\u9fff]")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


MESSAGES = messages.found()


def test_the_code_says_messages_and_the_walk_finds_them() -> None:
    assert len(MESSAGES) > 300
    assert "You already have a booking for this session." in MESSAGES
    assert "No booking {booking_id}." in MESSAGES  # a template, its value kept apart
    assert not any("{" not in message and re.search(r"\b[0-9a-f]{8}-[0-9a-f]{4}", message) for message in MESSAGES)


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_every_message_has_its_chinese_with_the_same_values(message: str) -> None:
    chinese = i18n.catalogue("zh").get(message)
    assert chinese, (
        f"no zh-CN translation (run python -m devstack.messages and fill it in): {message!r} in {MESSAGES[message]}"
    )
    assert CJK.search(chinese) or message.startswith("keys."), chinese
    assert _fields(chinese) <= _fields(message), (message, chinese)


def test_the_catalogue_holds_only_what_the_code_says() -> None:
    assert set(i18n.catalogue("zh")) <= set(MESSAGES) | {""}


def _problem_classes() -> list[type[errors.ProblemError]]:
    found, pending = [], [errors.ProblemError]
    while pending:
        kind = pending.pop()
        found.append(kind)
        pending += kind.__subclasses__()
    return found


def _body(response) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(response.body)


@pytest.mark.parametrize("kind", [cls for _, cls in inspect.getmembers(errors, inspect.isclass)])
def test_every_error_of_shared_errors_is_said_in_both_languages(kind: type) -> None:
    if not issubclass(kind, errors.ProblemError):
        return
    error = kind("No booking {booking_id}.", params={"booking_id": "b-1"})
    for lang, title, detail in (
        ("en", kind.title, "No booking b-1."),
        ("zh", i18n.catalogue("zh")[kind.title], "没有这条预约（b-1）。"),
    ):
        body = _body(
            problems.problem_response(
                error.status, error.detail, slug=error.slug, title=error.title, params=error.params, lang=lang
            )
        )
        assert (body["title"], body["detail"]) == (title, detail)
        assert body["type"] == problems.TYPE_BASE + kind.slug  # the same in every language
    assert str(error) == "No booking b-1."  # logs stay English


def test_a_status_code_shows_its_title_in_chinese_by_default() -> None:
    for status, (_, title) in problems._TITLES.items():
        body = _body(problems.problem_response(status))
        assert body["title"] == i18n.catalogue("zh")[title] and CJK.search(body["title"])
        assert _body(problems.problem_response(status, lang="en"))["title"] == title


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5,zh-CN;q=0.9", "zh"),
        ("fr-FR", "zh"),
        ("de,en;q=0.3", "en"),
    ],
)
def test_the_language_comes_from_accept_language_and_is_chinese_by_default(header: str | None, expected: str) -> None:
    assert i18n.language(header) == expected


def test_values_that_are_codes_are_said_by_their_names_and_a_bad_translation_falls_back() -> None:
    assert (
        i18n.translate("The session is {status}.", {"status": i18n.code("session", "cancelled")}, "zh")
        == "这场接待现在是“已取消”。"
    )
    assert (
        i18n.translate("The session is {status}.", {"status": i18n.code("session", "cancelled")}, "en")
        == "The session is cancelled."
    )
    assert i18n.translate("Words nobody translated.", None, "zh") == "Words nobody translated."
    assert i18n.translate("No booking {booking_id}.", {"other": 1}, "zh") == "没有这条预约（{booking_id}）。"
