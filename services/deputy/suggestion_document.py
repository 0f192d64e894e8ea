"""A deputy's suggestion with its answers on paper (建议及答复), for the file: the particulars, the problem and
the proposal, each round's answer with its class, measures, contact and rating, how it ended and the
micro-projects that carry it out. Built from the read model (views.suggestions) as its insiders read it; the page
frame, the font and the tables from shared.documents. The villagers' cases it cites and the co-organisations'
opinions are not printed, and numbers in the texts are masked: the file is kept and passed on."""

from datetime import datetime

from services.deputy.schemas.suggestions import SuggestionAnswerRead, SuggestionRead
from services.deputy.views.suggestion_exports import CLASS_WORDS, KIND_WORDS, RATING_WORDS, STATE_WORDS
from shared.documents import Document, china_day, china_time
from shared.privacy import redact

CONTACT_WORDS = {"in_person": "面商", "phone": "电话", "written": "书面"}


def _zh(table: dict[str, tuple[str, str]], code: str | None) -> str:
    return table[code][0] if code in table else (code or "")


def _when(at: datetime | None) -> str:
    return china_time(at) if at else ""


def _answer(document: Document, answer: SuggestionAnswerRead) -> None:
    document.section(f"答复（第 {answer.round} 轮）")
    on_time = "" if answer.on_time is None else ("按期" if answer.on_time else "逾期")
    contact = (
        f"{CONTACT_WORDS.get(answer.contact_method, answer.contact_method)}（{china_day(answer.contacted_on)}）"
        if answer.contact_method and answer.contacted_on
        else ""
    )
    rating = _zh(RATING_WORDS, answer.rating)
    if answer.rating_reason:
        rating = f"{rating}：{redact(answer.rating_reason)}"
    document.facts(
        [
            ("办理单位", answer.organisation),
            ("答复期限", _when(answer.due_at)),
            ("答复时间", f"{_when(answer.answered_at)} {on_time}".strip()),
            ("答复类别", _zh(CLASS_WORDS, answer.answer_class)),
            ("承诺办结", china_day(answer.promised_on) if answer.promised_on else ""),
            ("联系代表", contact),
            ("代表评价", rating),
        ],
        label_width=28,
    )
    if answer.text:
        document.paragraph(redact(answer.text))
    if answer.measures:
        document.paragraph(f"措施：{redact(answer.measures)}")
    if answer.reason:
        document.paragraph(f"原因：{redact(answer.reason)}")
    if answer.answered_at is None:
        document.note("尚未答复。")


def suggestion_pdf(suggestion: SuggestionRead, *, issuer: str, printed_at: datetime) -> bytes:
    """One suggestion and all its answers, in one A4 file."""
    title = f"代表{_zh(KIND_WORDS, suggestion.kind)}及办理答复"
    document = Document(title, issuer=issuer, printed_at=printed_at)
    document.add_page()
    document.part = suggestion.title[:40]
    document.title_block(suggestion.title, f"{title} · {_zh(STATE_WORDS, suggestion.state) or suggestion.state}")
    lead = [d.name for d in suggestion.deputies if d.lead]
    others = [d.name for d in suggestion.deputies if not d.lead]
    document.section("一、基本情况")
    document.facts(
        [
            ("编号", suggestion.id),
            ("领衔代表", "、".join(lead)),
            ("联名代表", "、".join(others)),
            ("主办单位", suggestion.lead_organisation or ""),
            ("协办单位", "、".join(suggestion.co_organisations)),
            ("提交时间", _when(suggestion.submitted_at)),
            ("立案时间", _when(suggestion.accepted_at)),
            ("交办时间", _when(suggestion.assigned_at)),
            ("办结时间", _when(suggestion.completed_at)),
            ("重点难点", "是" if suggestion.broad else "否"),
            ("公开", "是" if suggestion.public else "否（不予公开）"),
        ],
        label_width=28,
    )
    document.section("二、反映的问题")
    document.paragraph(redact(suggestion.problem))
    document.section("三、建议")
    document.paragraph(redact(suggestion.proposal))
    for answer in suggestion.answers:
        _answer(document, answer)
    if not suggestion.answers:
        document.section("答复")
        document.note("尚未交办答复。")
    if suggestion.done_report:
        document.section("落实情况")
        document.paragraph(redact(suggestion.done_report))
    if suggestion.projects:
        document.section("据此实施的民生微实事")
        rows = [
            [item.title, china_day(item.proposed_at), china_day(item.completed_at) if item.completed_at else "实施中"]
            for item in suggestion.projects
        ]
        document.grid_table(["项目", "提出", "完成"], rows, [5, 1.6, 1.6])
    if suggestion.reason:
        document.note(f"办理说明：{redact(suggestion.reason)}")
    document.ln(4)
    document.note(f"本件由{document.issuer}根据代表建议办理记录生成；所引群众反映的内容不在本件中。")
    return document.output_bytes()
