"""A micro-project's public notice (公示) for the village board, as an A4 PDF: what the project is, its budget
line by line, the villagers' cases it answers (kind, category, place and progress: never who asked or what
they wrote), the plan, the objection period, and a QR code to the project's public page in the PWA.

Only a project the public may see has a notice (the public page's rule); the data comes from views.notice_data.
"""

from datetime import date, datetime, timedelta

from services.micro_funding.views import NoticeData
from shared.documents import (
    ACCENT,
    CASE_KINDS,
    CASE_STATUSES,
    CATEGORIES,
    INK,
    MUTED,
    Document,
    china_day,
    china_time,
    label,
    yuan,
)
from shared.privacy import redact

KINDS = {"service": "服务类", "goods": "物资类", "works": "工程类"}
STAGES = {
    "in_notice": "公示中",
    "funded": "已立项",
    "in_progress": "正在实施",
    "accepted": "已验收",
    "evaluated": "已评价",
    "published": "已公开",
}
QR_SIZE = 36.0


def project_link(public_url: str, project_id: str) -> str:
    """The project's page in the PWA (what the notice's QR code opens)."""
    return f"{public_url.rstrip('/')}/project/{project_id}"


def _done(day: date | None) -> str:
    return china_day(day) if day else "—"


def _period(data: NoticeData, now: datetime) -> str:
    ends = data.project.notice_ends_at
    if ends is None:
        return "本项目已完成公示。"
    starts = data.notice_started_at or (ends - timedelta(days=data.notice_days or 0))
    days = f"（共 {data.notice_days} 天）" if data.notice_days else ""
    if ends <= now or data.project.status != "in_notice":
        return f"公示期为 {china_time(starts)} 至 {china_time(ends)}{days}，已结束。"
    return (
        f"公示期为 {china_time(starts)} 至 {china_time(ends)}{days}。公示期内，对本项目有异议的，可扫描右侧二维码"
        "查看项目并实名提出异议，也可以到所在村（社区）的代表联络站当面提出。人大常委会代表工委逐条处理并答复；"
        "异议未处理完的，项目不予立项。"
    )


def notice_pdf(data: NoticeData, *, link: str, issuer: str, printed_at: datetime) -> bytes:
    project = data.project
    villages = "、".join(name for name in project.village_names if name) or "本村"
    document = Document(f"民生微实事项目公示 · {project.title}", issuer=issuer, printed_at=printed_at)
    document.add_page()
    document.title_block("民生微实事项目公示", villages, colour=ACCENT)
    document.paragraph(
        f"经人大代表提议、初审和审议，“{project.title}”拟作为{villages}的民生微实事项目实施，现将有关情况公示如下。"
    )
    document.section("一、项目概况")
    document.facts(
        [
            ("项目名称", project.title),
            ("所在村（社区）", villages),
            ("项目类别", label(KINDS, project.kind)),
            ("项目内容", project.description),
            ("受益对象", f"{project.beneficiaries}（约 {project.beneficiary_count} 人）"),
            ("预算总额", yuan(project.budget)),
            ("当前阶段", label(STAGES, project.status)),
        ],
        label_width=34,
    )
    _objections(document, data, link, printed_at)
    document.section("三、预算明细")
    rows = [[str(index), redact(line.item), yuan(line.amount_fen)] for index, line in enumerate(data.lines, 1)]
    if rows:
        rows.append(["", "合计", yuan(sum(line.amount_fen for line in data.lines))])
    document.grid_table(["序号", "支出项目", "金额（元）"], rows, [0.8, 6, 2], empty="没有列出预算明细。")
    document.section(f"四、回应的群众反映（共 {len(data.cases)} 件）")
    case_rows = [
        [
            china_day(case.at),
            label(CASE_KINDS, case.kind),
            label(CATEGORIES, case.category),
            grid_name or "—",
            label(CASE_STATUSES, case.status),
        ]
        for case, grid_name in data.cases
    ]
    headings = ["日期", "类型", "类别", "网格", "办理情况"]
    document.grid_table(headings, case_rows, [1.6, 1.4, 1.4, 2.6, 1.8], empty="本项目没有引用群众反映。")
    document.note("为保护反映人，这里不公开反映人的姓名、电话和反映的原话。")
    document.section("五、实施计划")
    plan = [
        [str(index), redact(milestone.title), china_day(milestone.due_on), _done(milestone.done_on)]
        for index, milestone in enumerate(data.milestones, 1)
    ]
    document.grid_table(["序号", "节点", "计划完成", "实际完成"], plan, [0.8, 5, 1.8, 1.8], empty="没有列出实施节点。")
    return document.output_bytes()


def _objections(document: Document, data: NoticeData, link: str, now: datetime) -> None:
    """The objection period beside the QR code, near the top of the first page (what the board's reader needs),
    signed by the issuer."""
    if document.get_y() > document.h - document.b_margin - QR_SIZE - 22:
        document.add_page()
    document.section("二、公示期与异议")
    top = document.get_y()
    text_width = document.epw - QR_SIZE - 6
    document.text_block(_period(data, now), text_width, 6.2)
    document.ln(2)  # signed under the objection clause, beside the code
    document.text_block(f"{document.issuer}\n{china_day(now)}", text_width, 6.2, align="R")
    document.qr(link, document.w - document.r_margin - QR_SIZE, top, QR_SIZE)
    document.set_xy(document.w - document.r_margin - QR_SIZE, top + QR_SIZE)
    document.set_font(size=8)
    document.set_text_color(*MUTED)
    document.cell(QR_SIZE, 4, "扫码查看项目、提出异议", align="C")
    document.set_text_color(*INK)
    document.set_font(size=11)
    document.set_y(max(document.get_y(), top + QR_SIZE + 4))
