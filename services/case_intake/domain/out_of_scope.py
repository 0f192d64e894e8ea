"""Matters this channel does not handle (诉讼, 仲裁, 纪检监察, 行政复议, 信访) and where the villager should go
instead: a rejected case names one, and its answer tells the villager in Chinese and English."""

OUT_OF_SCOPE: dict[str, tuple[str, str, str]] = {
    "litigation": (
        "诉讼",
        "属于诉讼事项，请到人民法院诉讼服务中心立案或咨询。",
        "A matter for the courts: file or ask at the people's court's litigation service centre.",
    ),
    "arbitration": (
        "仲裁",
        "属于仲裁事项，请向仲裁委员会（劳动争议向劳动人事争议仲裁委员会）申请。",
        "A matter for arbitration: apply to the arbitration commission (labour disputes: the labour commission).",
    ),
    "discipline": (
        "纪检监察",
        "属于纪检监察事项，请向市纪委监委反映。",
        "A matter for discipline inspection: report it to the city's discipline and supervision commission.",
    ),
    "administrative_review": (
        "行政复议",
        "属于行政复议事项，请向复议机关（市人民政府行政复议机构）申请。",
        "A matter for administrative review: apply to the review office of the city government.",
    ),
    "petition": (
        "信访",
        "该事项已进入信访程序，请通过信访渠道跟进办理进度。",
        "Already in the petition (信访) process: follow it through the petition office.",
    ),
}
"""code -> (label, where to go in Chinese, in English); the codes are schemas.OutOfScope, in its order."""


def where_to_go(code: str | None) -> str | None:
    if code is None:
        return None
    _, zh, en = OUT_OF_SCOPE[code]
    return f"{zh} {en}"
