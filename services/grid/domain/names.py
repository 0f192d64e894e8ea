"""Names as villagers type them: pinyin (xiangshaocun) and initials (xsc), with polyphones (长 chang/zhang)."""

import itertools
import re

MAX_VARIANTS = 8
SEPARATOR = "|"
KINDS: dict[str, tuple[str, ...]] = {
    "township": ("town", "township", "subdistrict"),
    "village": ("village", "community"),
    "group": ("group", "compound"),
}
_SUFFIX_KIND = (
    ("街道", "subdistrict"),
    ("镇", "town"),
    ("乡", "township"),
    ("社区", "community"),
    ("村", "village"),
    ("小区", "compound"),
)
_NOT_KEY = re.compile(r"[^0-9a-z]")


def default_kind(level: str, name: str) -> str:
    """The kind a name's suffix says (镇 → town, 社区 → community, 小区 → compound), within the level's kinds."""
    allowed = KINDS[level]
    for suffix, kind in _SUFFIX_KIND:
        if kind in allowed and name.endswith(suffix):
            return kind
    return allowed[0] if level != "township" else "township"


def _variants(name: str, initials: bool) -> list[str]:
    # pypinyin's dictionaries are ~55 MB: loaded when a grid is first named, not by every grid process at rest
    from pypinyin import Style, pinyin

    style = Style.FIRST_LETTER if initials else Style.NORMAL
    readings = [
        [_NOT_KEY.sub("", item.lower()) for item in options] for options in pinyin(name, style=style, heteronym=True)
    ]
    readings = [list(dict.fromkeys(options))[:2] for options in readings]
    combos = itertools.islice(itertools.product(*readings), MAX_VARIANTS)
    return list(dict.fromkeys("".join(combo) for combo in combos))


def _joined(variants: list[str], limit: int) -> str:
    kept: list[str] = []
    for variant in variants:
        if len(SEPARATOR.join([*kept, variant])) > limit:
            break
        kept.append(variant)
    return SEPARATOR.join(kept)


def search_keys(name: str, limit: int = 600) -> tuple[str, str]:
    """(full pinyin, initials) of a name, each reading of a polyphone as one more `|`-separated variant."""
    return _joined(_variants(name, False), limit), _joined(_variants(name, True), limit)


def query_key(text: str) -> str:
    """What a typed query is compared with: lower case letters and digits only ('Xiang Shao' → 'xiangshao')."""
    return _NOT_KEY.sub("", text.lower())
