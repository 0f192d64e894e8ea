"""The words of every notice, in zh-CN (the default) and English, made from the tracking code, the step and
the grid's name only: what a lock screen may show. SMS texts fit one segment (70 characters of Chinese text,
the provider's signature 【…】 included). A notice about a time (a session's start, a referral's due day) says it
in Beijing time."""

from datetime import datetime

from services.notification.domain.notices import Kind
from services.notification.domain.timing import due_day
from shared.clock import CHINA
from shared.sms import SMS_SEGMENT, signed

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

TITLES = {
    "zh-CN": {
        Kind.case_routed: "新的群众诉求",
        Kind.case_reminder: "诉求即将到期",
        Kind.case_chased: "诉求已超期（催办）",
        Kind.case_escalated: "诉求已升级督办",
        Kind.referral_answered: "转办单位已答复",
        Kind.case_accepted: "您的诉求已受理",
        Kind.case_referred: "您的诉求已转交有关部门",
        Kind.case_resolved: "您的诉求已办结",
        Kind.case_rejected: "您的诉求未予受理",
        Kind.case_reopened: "您的诉求已重新办理",
        Kind.case_unaccepted: "诉求仍未受理",
        Kind.session_tomorrow: "接待值班提醒",
        Kind.referral_arrived: "新的转办诉求",
        Kind.referral_due: "转办答复明天到期",
        Kind.office_escalated: "诉求升级至人大办督办",
        Kind.booking_confirmed: "接待预约成功",
        Kind.booking_promoted: "候补预约已转正",
        Kind.booking_cancelled: "您预约的接待已取消",
        Kind.project_approved: "民生微实事项目已批准",
        Kind.project_completed: "民生微实事项目已完工",
        Kind.objection_raised: "项目公示收到异议",
        Kind.suggestion_assigned: "新的代表建议交办",
        Kind.suggestion_due: "代表建议即将到期",
        Kind.suggestion_answered: "您的建议已获答复",
        Kind.summary: "更多通知",
    },
    "en": {
        Kind.case_routed: "A new case for you",
        Kind.case_reminder: "A case is nearly due",
        Kind.case_chased: "A case is overdue",
        Kind.case_escalated: "A case was escalated",
        Kind.referral_answered: "A referral was answered",
        Kind.case_accepted: "Your case was accepted",
        Kind.case_referred: "Your case was passed to an agency",
        Kind.case_resolved: "Your case was resolved",
        Kind.case_rejected: "Your case was not taken up",
        Kind.case_reopened: "Your case is being worked on again",
        Kind.case_unaccepted: "A case still waits for you",
        Kind.session_tomorrow: "Reception duty reminder",
        Kind.referral_arrived: "A case was referred to you",
        Kind.referral_due: "A referral is due tomorrow",
        Kind.office_escalated: "A case was escalated to the office",
        Kind.booking_confirmed: "Your booking is confirmed",
        Kind.booking_promoted: "You have a place now",
        Kind.booking_cancelled: "A reception you booked was cancelled",
        Kind.project_approved: "A micro-project was approved",
        Kind.project_completed: "A micro-project was completed",
        Kind.objection_raised: "An objection to a public notice",
        Kind.suggestion_assigned: "A suggestion for you to answer",
        Kind.suggestion_due: "A suggestion's answer is due soon",
        Kind.suggestion_answered: "Your suggestion was answered",
        Kind.summary: "More notifications",
    },
}

BODIES = {
    "zh-CN": {
        Kind.case_routed: "{grid}有新诉求{code}，请尽快受理。",
        Kind.case_reminder: "{grid}诉求{code}即将到期，请及时办理。",
        Kind.case_chased: "{grid}诉求{code}已超期，请立即办理。",
        Kind.case_escalated: "{grid}诉求{code}已升级督办。",
        Kind.referral_answered: "{grid}诉求{code}的转办单位已答复，请查看。",
        Kind.case_accepted: "您在{grid}反映的诉求{code}已受理。",
        Kind.case_referred: "您的诉求{code}已转交有关部门办理。",
        Kind.case_resolved: "您的诉求{code}已办结。问题解决了吗？请在应用中或电话答复。",
        Kind.case_rejected: "您的诉求{code}未予受理，原因和去处请在应用中查看。",
        Kind.case_reopened: "您的诉求{code}已重新办理。",
        Kind.case_unaccepted: "{grid}诉求{code}交办已超2个工作小时仍未受理，请尽快受理。",
        Kind.session_tomorrow: "您{when}有一场代表接待值班，请准时参加。",
        Kind.referral_arrived: "{grid}诉求{code}已转交贵单位办理，请于{day}前答复。",
        Kind.referral_due: "{grid}诉求{code}的转办答复明天（{day}）到期，请及时答复。",
        Kind.office_escalated: "{grid}诉求{code}已升级至人大办督办，请查看。",
        Kind.booking_confirmed: "您预约的{when}代表接待已确认，请准时到场。",
        Kind.booking_promoted: "有名额空出，您候补的{when}代表接待已转为正式预约。",
        Kind.booking_cancelled: "您预约的{when}代表接待已取消，请另约时间。",
        Kind.project_approved: "回应您诉求{code}的民生微实事项目已批准实施。",
        Kind.project_completed: "回应您诉求{code}的民生微实事项目已完工验收。",
        Kind.objection_raised: "一个民生微实事项目在公示期收到异议，请审查处理。",
        Kind.suggestion_assigned: "一件代表建议已交办贵单位主办，请于{day}前答复。",
        Kind.suggestion_due: "贵单位主办的代表建议将于{day}到期，请及时答复。",
        Kind.suggestion_answered: "您领衔或附议的代表建议已获答复，请查看并评价。",
        Kind.summary: "另有{count}条通知，请打开应用查看。",
    },
    "en": {
        Kind.case_routed: "New case {code} in {grid}: please accept it.",
        Kind.case_reminder: "Case {code} in {grid} is nearly due.",
        Kind.case_chased: "Case {code} in {grid} is overdue: act now.",
        Kind.case_escalated: "Case {code} in {grid} was escalated.",
        Kind.referral_answered: "The agency answered on case {code} in {grid}.",
        Kind.case_accepted: "Your case {code} in {grid} was accepted.",
        Kind.case_referred: "Your case {code} went to an agency.",
        Kind.case_resolved: "{code} resolved. Fixed? Reply in app or by phone.",
        Kind.case_rejected: "{code} not taken up: the app says where to go.",
        Kind.case_reopened: "Your case {code} is being worked on again.",
        Kind.case_unaccepted: "Case {code} in {grid} is still not accepted.",
        Kind.session_tomorrow: "You are on duty at a reception on {when}.",
        Kind.referral_arrived: "Referral {code} in {grid}: answer by {day}.",
        Kind.referral_due: "Referral {code} ({grid}) is due tomorrow, {day}.",
        Kind.office_escalated: "Case {code} in {grid} now needs the office.",
        Kind.booking_confirmed: "Your place at the reception on {when} is confirmed.",
        Kind.booking_promoted: "A place freed up: you are booked for {when}.",
        Kind.booking_cancelled: "The reception on {when} you booked was cancelled.",
        Kind.project_approved: "{code}: a micro-project to answer it was approved.",
        Kind.project_completed: "{code}: its micro-project was completed.",
        Kind.objection_raised: "A project's public notice drew an objection: please rule.",
        Kind.suggestion_assigned: "A deputies' suggestion is yours to answer by {day}.",
        Kind.suggestion_due: "The answer to a suggestion you lead is due {day}.",
        Kind.suggestion_answered: "A suggestion you made or signed was answered: please rate it.",
        Kind.summary: "And {count} more: open the app.",
    },
}


def language_of(value: str | None) -> str:
    """zh-CN unless the account chose English."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def when_text(moment: datetime | None, language: str) -> str:
    """A moment in Beijing time: "12月5日 09:00" or "5 Dec 09:00"."""
    if moment is None:
        return ""
    local = moment.astimezone(CHINA)
    if language_of(language) == "zh-CN":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {MONTHS[local.month - 1]} {local:%H:%M}"


def day_text(deadline: datetime | None, language: str) -> str:
    """The Beijing day a deadline falls on (a deadline is the end of its day, 24:00): "12月10日" or "10 Dec"."""
    if deadline is None:
        return ""
    day = due_day(deadline)
    if language_of(language) == "zh-CN":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1]}"


def words(
    kind: Kind, language: str, tracking_code: str, grid_name: str, when: datetime | None = None, count: int = 0
) -> tuple[str, str]:
    """(title, body) of a notice in the language (`count`: how many messages a summary folded)."""
    language = language_of(language)
    grid = grid_name or ("网格" if language == "zh-CN" else "your grid")
    body = BODIES[language][kind].format(
        code=tracking_code, grid=grid, when=when_text(when, language), day=day_text(when, language), count=count
    )
    return TITLES[language][kind], body


def sms_text(
    kind: Kind,
    language: str,
    tracking_code: str,
    grid_name: str,
    signature: str,
    when: datetime | None = None,
    count: int = 0,
) -> str:
    """The text of one SMS, `【signature】` first, within one segment: the grid's name is shortened to fit."""
    grid = grid_name
    while True:
        _, body = words(kind, language, tracking_code, grid, when, count)
        text = signed(signature, body)
        if len(text) <= SMS_SEGMENT or not grid:
            break
        grid = grid[: max(len(grid) - (len(text) - SMS_SEGMENT) - 1, 0)]
        grid = grid + "…" if grid else ""
    if len(text) > SMS_SEGMENT:
        raise ValueError(f"an SMS of {kind} does not fit one segment: {text!r}")
    return text
