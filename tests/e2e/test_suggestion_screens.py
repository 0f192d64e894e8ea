"""Deputies' suggestions on the officials' phones in a real Chromium at 360 px: a deputy drafts and submits one
(through the offline queue), the NPC office accepts and assigns it from its board, the water bureau's officer
answers it, and the deputy records the contact and rates it; each screen audited and saved as a screenshot."""

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_work_screens import a_group_and_its_deputy, look, sign_in, token

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TITLE = "关于村口增设路灯的建议"


def item(page: Page, suggestion_id: str):
    return page.locator(f"[data-suggestion='{suggestion_id}']")


def test_a_suggestion_is_drafted_assigned_answered_and_rated_on_the_phones(new_page, api: httpx.Client, shots: Path):
    _, deputy_code = a_group_and_its_deputy(api, 21)
    deputy = new_page()
    sign_in(deputy, "/deputy/suggestions", deputy_code, "我的建议")
    deputy.fill("#s-title", TITLE)
    deputy.fill("#s-problem", "村口路段夜间无照明，老人出行不便。")
    deputy.fill("#s-proposal", "在村口至村部路段安装太阳能路灯10盏。")
    look(deputy, shots, "zh-suggestion-1-draft")
    deputy.click("#do-suggestion-draft")
    expect(deputy.locator("#suggestion-list")).to_contain_text(TITLE)
    mine = api.get("/api/deputy/suggestions/work", headers=token(api, deputy_code)).json()["items"]
    sid = next(one["id"] for one in mine if one["title"] == TITLE)
    deputy.click(f"#submit-{sid}")
    expect(item(deputy, sid)).to_contain_text("已提交")

    office = new_page()
    sign_in(office, "/office/suggestions?state=submitted", "office", "代表建议办理")
    expect(office.locator("#suggestion-board")).to_be_visible()
    look(office, shots, "zh-suggestion-2-office-board")
    office.click(f"#accept-{sid}")
    expect(item(office, sid)).to_have_count(0)  # accepted: no longer among the submitted
    office.goto("/office/suggestions?state=accepted")
    office.click(f"#act-assign-{sid} summary")
    office.select_option(f"#assign-lead-{sid}", "water-bureau")
    office.click(f"#do-assign-{sid}")
    expect(office.locator(".screen [role=status]")).to_contain_text("已发送")

    officer = new_page()
    sign_in(officer, "/office/suggestions", "water", "代表建议办理")
    officer.click(f"#act-answer-{sid} summary")
    officer.select_option(f"#answer-class-{sid}", "planned")
    officer.fill(f"#answer-text-{sid}", "已列入明年村级公益事业建设计划。")
    officer.click(f"#do-answer-{sid}")
    expect(officer.locator(f"#act-answer-{sid} .field-error")).to_contain_text("承诺完成日期")
    officer.fill(f"#answer-promised-{sid}", "2099-06-30")
    look(officer, shots, "zh-suggestion-3-officer-answer")
    officer.click(f"#do-answer-{sid}")
    expect(item(officer, sid)).to_contain_text("已答复待评价")

    deputy.reload()
    deputy.click(f"#act-contact-{sid} summary")
    deputy.click(f"#do-contact-{sid}")
    expect(deputy.locator(".screen [role=status]")).to_contain_text("已发送")
    deputy.click(f"#act-rate-{sid} summary")
    deputy.select_option(f"#rating-{sid}", "satisfied")
    look(deputy, shots, "zh-suggestion-4-rate")
    deputy.click(f"#do-rate-{sid}")
    expect(item(deputy, sid)).to_contain_text("计划落实中")
    answered = api.get(f"/api/deputy/suggestions/{sid}").json()
    assert (answered["lead_organisation"], answered["answer_class"], answered["rating"]) == (
        "water-bureau",
        "planned",
        "satisfied",
    )
    assert answered["answers"][0]["contact_method"] == "phone"
