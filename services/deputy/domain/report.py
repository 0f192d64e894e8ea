"""The annual duty report (履职报告): what each of its parts holds, in the words it is printed in.

The report is the deputy's record of duty for a year, read by the deputy, the office and the standing committee
it is handed to: cases handled, receptions, mediations and projects are the record's entries of those kinds; a
household's name is never printed (a household visit says only that it was one)."""

from collections.abc import Mapping

FIVE_ONES = {
    "suggestion": "提一条好建议",
    "inspection": "参加一次视察或调研",
    "dispute": "化解一起矛盾纠纷",
    "household": "帮扶一户困难家庭",
    "livelihood": "推动一件民生实事",
}
KINDS = {
    "field_visit": "走访",
    "inspection": "视察",
    "research": "调研",
    "suggestion": "建议",
    "livelihood_matter": "民生实事",
    "reception": "接待",
    "publicity": "宣传",
    "other": "其他",
    "household_visit": "走访帮扶户",
    "case_accepted": "受理群众反映",
    "case_referred": "转办群众反映",
    "case_resolved": "办结群众反映",
    "dispute_mediated": "调解纠纷",
    "reception_held": "联络站接待",
    "visitor_received": "接待来访群众",
    "project_proposed": "提出微实事项目",
    "project_completed": "微实事项目完成",
}
LEVELS = {"city": "市人大代表", "township": "乡镇人大代表", "both": "市、乡镇两级人大代表"}
ROLES = {"member": "联系代表", "grid_head": "网格长"}
BASES = {"electoral_district": "按选区", "proximity": "就近", "": "—"}
STATUS = {"active": "在任", "retired": "已离任"}

SECTIONS = {
    "cases": ("case_accepted", "case_referred", "case_resolved"),
    "receptions": ("reception_held", "visitor_received", "reception"),
    "mediations": ("dispute_mediated",),
    "projects": ("project_proposed", "project_completed"),
    "visits": ("field_visit", "inspection", "research", "suggestion", "livelihood_matter", "publicity", "other"),
}
"""The report's parts that list record entries, and the kinds of entry each lists."""
FROM_A_CATEGORY = frozenset({"case_accepted", "case_referred", "case_resolved", "visitor_received"})
"""Entries whose summary is a case category's code (printed as its word)."""
ROWS_PER_SECTION = 40
"""Entries a part lists at most (the latest); the count says how many there were in all."""


def entry_text(kind: str, summary: str, categories: Mapping[str, str]) -> str:
    """What an entry says on paper: a category's word (from `categories`), nothing of a household visit, else
    the summary."""
    if kind == "household_visit":
        return "走访结对帮扶户"
    if kind in FROM_A_CATEGORY:
        return categories.get(summary, summary)
    return summary
