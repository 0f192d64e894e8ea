"""The annual duty report (履职报告) on paper: one A4 document per deputy, or a township's deputies one after
the other in one file (each from a new page, the deputy's name in the footer). The data comes from
views.report; the page frame, the font and the tables from shared.documents."""

from collections.abc import Sequence
from datetime import date, datetime

from services.deputy.domain.report import (
    BASES,
    FIVE_ONES,
    KINDS,
    LEVELS,
    ROLES,
    ROWS_PER_SECTION,
    STATUS,
    entry_text,
)
from services.deputy.views.report import DutyReport
from shared.documents import CATEGORIES, GRID_LEVELS, Document, china_day, label
from shared.privacy import redact

PARTS = (
    ("cases", "五、办理群众反映", "本年度没有办理群众反映的记录。"),
    ("receptions", "六、联络站接待", "本年度没有联络站接待的记录。"),
    ("mediations", "七、调解矛盾纠纷", "本年度没有调解矛盾纠纷的记录。"),
    ("projects", "八、民生微实事项目", "本年度没有民生微实事项目的记录。"),
    ("visits", "九、走访、视察调研与建议", "本年度没有走访、视察调研或建议的记录。"),
)


def _period(starts_on: date, ends_on: date | None) -> str:
    return f"{china_day(starts_on)}起" if ends_on is None else f"{china_day(starts_on)}至{china_day(ends_on)}"


def _day(at: datetime) -> str:
    return china_day(at)


def _said(kind: str, summary: str) -> str:
    """An entry's words on paper, with phone and identity numbers masked."""
    return redact(entry_text(kind, summary, CATEGORIES))


def _profile(document: Document, report: DutyReport) -> None:
    deputy = report.deputy
    retired = f"（{china_day(deputy.retired_on)}）" if deputy.retired_on else ""
    document.section("一、基本情况")
    document.facts(
        [
            ("姓名", deputy.name),
            ("代表编号", deputy.code),
            ("代表层级", label(LEVELS, deputy.level)),
            ("选区", deputy.district),
            ("单位职务", deputy.organisation or ""),
            ("主任会议成员", "是" if deputy.council_member else "否"),
            ("居住地网格", report.home or ""),
            ("状态", label(STATUS, deputy.status) + retired),
        ]
    )


def _grids(document: Document, report: DutyReport) -> None:
    document.section("二、联系的网格")
    rows = [
        [line.path, label(GRID_LEVELS, line.level), label(ROLES, line.role), label(BASES, line.basis)]
        + [_period(line.starts_on, line.ends_on)]
        for line in report.grids
    ]
    document.grid_table(
        ["网格", "层级", "职责", "方式", "期间"], rows, [5, 1.6, 1.2, 1.1, 3.2], empty="本年度没有联系的网格。"
    )


def _overview(document: Document, report: DutyReport) -> None:
    counts = report.counts
    document.section("三、履职概况")
    document.facts(
        [
            (
                "群众反映",
                f"受理 {counts['case_accepted']} 件，转办 {counts['case_referred']} 件，"
                f"办结 {counts['case_resolved']} 件",
            ),
            ("调解纠纷", f"{counts['dispute_mediated']} 起"),
            ("联络站接待", f"值班接待 {counts['reception_held']} 次，接待群众 {report.visitors} 人次"),
            ("民生微实事", f"提出项目 {counts['project_proposed']} 个，完成 {counts['project_completed']} 个"),
            ("结对帮扶", f"{report.households} 户"),
            (
                "走访视察调研",
                f"{sum(counts[kind] for kind in ('field_visit', 'inspection', 'research'))} 次，"
                f"提出建议 {counts['suggestion']} 条",
            ),
        ],
        label_width=36,
    )


def _five_ones(document: Document, report: DutyReport) -> None:
    five = report.five_ones
    document.section(f"四、“五个一”完成情况（已完成 {five.done} 项，共 5 项）")
    rows = []
    for item in five.items:
        evidence = "；".join(
            f"{_day(record.occurred_at)} {label(KINDS, record.kind)}：{_said(record.kind, record.summary)}"
            for record in item.evidence
        )
        rows.append([FIVE_ONES.get(item.item, item.item), "✓ 已完成" if item.done else "未完成", evidence or "—"])
    document.grid_table(["事项", "完成情况", "佐证（最多三条）"], rows, [2.2, 1.2, 5])


def _entries(document: Document, report: DutyReport, name: str, title: str, empty: str) -> None:
    section = report.sections[name]
    document.section(title)
    rows = [
        [
            _day(record.occurred_at),
            label(KINDS, record.kind),
            _said(record.kind, record.summary),
            report.tree.path(record.grid_id) or "—",
        ]
        for record in section.entries
    ]
    document.grid_table(["日期", "事项", "内容", "网格"], rows, [1.6, 1.7, 3, 3.2], empty=empty)
    if section.total > len(section.entries):
        document.note(f"共 {section.total} 条，以上列出最近的 {ROWS_PER_SECTION} 条。")


def write_report(document: Document, report: DutyReport) -> None:
    """One deputy's report, from a new page."""
    deputy = report.deputy
    document.add_page()  # the previous page's footer is written here, with the previous deputy's name
    document.part = deputy.name
    document.title_block(
        f"{deputy.name}代表{report.year}年度履职报告", f"{label(LEVELS, deputy.level)} · {deputy.district}"
    )
    _profile(document, report)
    _grids(document, report)
    _overview(document, report)
    _five_ones(document, report)
    for name, title, empty in PARTS:
        _entries(document, report, name, title, empty)
    document.ln(4)
    document.note(
        f"本报告由{document.issuer}根据代表履职档案生成，记载 {report.year} 年 1 月 1 日至 12 月 31 日"
        "（北京时间）的履职情况；群众的姓名、电话和所反映的原话不在报告中。"
    )


def duty_reports_pdf(reports: Sequence[DutyReport], *, title: str, issuer: str, printed_at: datetime) -> bytes:
    """The reports in one PDF (a cover line when there are none: an empty township still answers)."""
    document = Document(title, issuer=issuer, printed_at=printed_at)
    for report in reports:
        write_report(document, report)
    if not reports:
        document.add_page()
        document.title_block(title)
        document.paragraph("这里没有代表。", colour=(108, 117, 125))
    return document.output_bytes()
