"""One name per category (issue #19, item 11): the names case intake gives (GET /categories, seeded by its
migrations), the PWA's catalogues (what a phone shows before it was ever online) and the station's export say the
same, in Chinese and in English; the villager who picked "用水和水费" and the deputy who reads it see one name."""

import importlib.util
import re

from services.station_scheduling.views.exports import CATEGORIES as STATION_NAMES
from shared.categories import CATEGORY_NAMES
from shared.config import PROJECT_ROOT
from shared.documents import CATEGORIES as PRINTED_NAMES

MIGRATION = PROJECT_ROOT / "services/case_intake/migrations/versions/d8e3b6f0a4c1_one_name_per_category.py"


def _names() -> dict[str, tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("one_name_per_category", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.NAMES


def _catalogue(lang: str) -> dict[str, str]:
    text = (PROJECT_ROOT / "pwa" / "i18n" / f"{lang}.js").read_text(encoding="utf-8")
    return dict(re.findall(r"^\s*'category\.(\w+)': '([^']*)',", text, re.M))


def test_the_pwa_says_each_category_by_the_name_case_intake_gives_it() -> None:
    names = _names()
    assert _catalogue("zh-CN") == {code: zh for code, (zh, _) in names.items()}
    assert _catalogue("en") == {code: en for code, (_, en) in names.items()}
    assert _catalogue("zh-CN")["water"] == "用水和水费"


def test_the_station_export_and_the_printed_documents_name_categories_the_same_way() -> None:
    names = _names()
    assert names == CATEGORY_NAMES
    assert {code: names[code] for code in STATION_NAMES} == STATION_NAMES
    assert {code: zh for code, (zh, _) in names.items()} == PRINTED_NAMES
    assert PRINTED_NAMES["water"] == "用水和水费"  # a PDF said "用水" while the app said "用水和水费"


def test_the_seeded_names_the_office_left_alone_are_renamed_and_the_others_stay() -> None:
    seeded = PROJECT_ROOT / "services/case_intake/migrations/versions/e57b75642c2c_case_lifecycle.py"
    spec = importlib.util.spec_from_file_location("case_lifecycle", seeded)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names = _names()
    spec = importlib.util.spec_from_file_location("one_name_per_category", MIGRATION)
    renamed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(renamed)  # type: ignore[union-attr]
    for code, zh, en, *_ in module.CATEGORIES:
        if code in renamed.RENAMED:
            assert renamed.RENAMED[code] == ((zh, en), names[code])
        else:
            assert (zh, en) == names[code], code
