"""The rules an erasure applies to words (shared.privacy's scrub, services.case_intake.domain.personal_data): the
number found however it was typed and nowhere else, names taken out, and which steps hold the person's own words."""

from services.case_intake.domain.personal_data import holds_their_words, last_digits, without_words
from services.case_intake.domain.wording import with_note
from shared.privacy import NAME_MARK, phone_pattern, scrub, scrub_json


def test_the_number_is_found_however_it_was_typed_and_not_inside_a_longer_number():
    phones = ["+86 138-1234-5678"]
    for typed in ("13812345678", "+8613812345678", "86 138 1234 5678", "138-1234-5678", "电话13812345678。"):
        assert "5678" not in scrub(typed, phones=phones), typed
    assert scrub("tel 138 1234 5678!", phones=phones) == "tel *************!"
    for other in ("213812345678", "138123456789", "13812345679", "ID 4301231381234567812"):
        assert scrub(other, phones=phones) == other
    assert scrub("分机 12345，请找 12345", phones=["12345"]) == "分机 *****，请找 *****"  # short: exactly as given
    assert last_digits("+86 138-1234-5678") == "5678"
    assert phone_pattern("12345") is None  # too short to look for in free text


def test_names_are_taken_out_of_words_and_json_but_never_a_single_character():
    names = frozenset({"王小明", "王"})
    assert scrub("已联系王小明，王家的水管修好了", names) == f"已联系{NAME_MARK}，王家的水管修好了"
    parties = [{"role": "申请人", "name": "王小明"}, {"role": "被申请人", "name": "李四"}]
    assert scrub_json(parties, names, ["13812345678"]) == [
        {"role": "申请人", "name": NAME_MARK},
        {"role": "被申请人", "name": "李四"},
    ]
    assert scrub_json({"n": 3, "ok": True, "none": None}, names) == {"n": 3, "ok": True, "none": None}


def test_the_villagers_steps_and_what_staff_wrote_down_for_them_hold_their_words():
    assert holds_their_words("submit", "villager", "Filed in the app")
    assert holds_their_words("reopen", "villager", "Reopened by the villager: not solved")
    assert not holds_their_words("support", "villager", 'Another villager said "me too"')  # someone else's
    assert holds_their_words("confirm", "office", "On a return visit (回访) the villager said it was solved")
    assert holds_their_words("reopen", "office", "Return visit (回访) by phone by the office: not solved")
    assert not holds_their_words("reopen", "office", "Reopened by the office to be redone: 再核实")
    assert not holds_their_words("resolve", "deputy", "Resolved: 修好了")


def test_only_the_persons_words_leave_a_steps_reason():
    rated = "The villager confirmed it was solved and rated it: satisfied"
    assert without_words(with_note(rated, "修得很快: 谢谢"), "修得很快: 谢谢") == rated
    assert without_words(rated, None) == rated  # no words: nothing to take
    long_words = "很" * 600
    assert without_words(with_note("Resolved", long_words), long_words) == "Resolved"  # cut short in the reason
