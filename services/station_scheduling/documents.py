"""The station service's printed documents (A4, from shared.documents):

- a reception session's notice for the village (接待日公告): when, where (or the meeting address), which deputies
  are on duty and which agencies join, and how to book a place;
- a village group's QR poster (扫码反映问题): the group's name, its deputies, their station's hours and next
  sessions, and a QR code that opens the PWA's filing with this group already chosen (`/file?grid=<id>`): no
  GPS and no pickers for the villager who scans it.
"""

from collections.abc import Sequence
from datetime import datetime

from services.station_scheduling.domain.days import local
from services.station_scheduling.views.documents import Poster, SessionNotice, StationHours
from shared.documents import ACCENT, MUTED, SHADE, Document, china_day, china_time

WEEKDAYS = "一二三四五六日"
MODES = {"station": "在联络站内", "outside": "在联络站外", "online": "网上接待"}
TIERS = {"main": "代表联络总站", "township": "乡镇代表联络站", "area": "片区代表联络站"}
HOW = (
    "① 用手机扫一扫上面的二维码，本组已经选好，不用再选地址；",
    "② 选是什么事，写几句话，可以拍照片，留不留电话都行；",
    "③ 点“发送”，记下查询码，随时查看代表办得怎么样。",
)


def filing_link(public_url: str, grid_id: str) -> str:
    """The PWA's filing, with this group already chosen (what a poster's QR code opens)."""
    return f"{public_url.rstrip('/')}/file?grid={grid_id}"


def booking_link(public_url: str) -> str:
    return f"{public_url.rstrip('/')}/book"


def hours_lines(hours: StationHours) -> list[str]:
    """Opening windows as people say them: 每周一至周五 08:30–17:30, 每周二、周四 14:00–17:00, 每月5日 09:00–12:00
    (weekdays with the same hours together, a run of three or more as a range)."""
    by_time: dict[tuple[str, str], list[int]] = {}
    monthly = []
    for window in hours.hours:
        span = (f"{window.opens:%H:%M}", f"{window.closes:%H:%M}")
        if window.weekday:
            by_time.setdefault(span, []).append(window.weekday)
        else:
            monthly.append((window.month_day or 0, span))
    lines = []
    for (opens, closes), days in sorted(by_time.items(), key=lambda item: (min(item[1]), item[0])):
        lines.append(f"每{_weekdays(sorted(set(days)))} {opens}–{closes}")
    lines += [f"每月{day}日 {opens}–{closes}" for day, (opens, closes) in sorted(monthly)]
    return lines


def _weekdays(days: list[int]) -> str:
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"周{WEEKDAYS[run[0] - 1]}至周{WEEKDAYS[run[-1] - 1]}")
        else:
            parts += [f"周{WEEKDAYS[day - 1]}" for day in run]
    return "、".join(parts)


def when(starts_at: datetime, ends_at: datetime) -> str:
    start, end = local(starts_at), local(ends_at)
    return f"{china_day(start)}（星期{WEEKDAYS[start.weekday()]}）{start:%H:%M}–{end:%H:%M}"


# ------------------------------------------------------------------ the session's notice


def session_notice_pdf(notice: SessionNotice, *, public_url: str, issuer: str, printed_at: datetime) -> bytes:
    session, station = notice.session, notice.station
    document = Document(f"代表接待日公告 · {station.name}", issuer=issuer, printed_at=printed_at)
    document.add_page()
    cancelled = session.status == "cancelled"
    document.title_block("人大代表接待日公告" + ("（已取消）" if cancelled else ""), station.name, colour=ACCENT)
    if cancelled:
        document.paragraph(f"本次接待已取消。{session.cancel_reason or ''}给您带来不便，敬请谅解。", size=13)
    else:
        document.paragraph(
            "为听取群众意见和建议，帮助解决群众反映的问题，人大代表将在下列时间、地点接待群众，欢迎前来反映情况。",
            size=12,
        )
    where = {
        "station": f"{station.name}（{station.address}）",
        "outside": session.place or station.address,
        "online": f"网上接待：{session.meeting_url or '会议地址另行通知'}",
    }[session.mode.value]
    document.section("接待安排")
    document.facts(
        [
            ("时间", when(session.starts_at, session.ends_at)),
            ("地点", where),
            ("方式", MODES.get(session.mode.value, session.mode.value)),
            ("主题", session.topic),
            ("接待名额", f"{session.capacity} 人（已预约 {session.confirmed} 人）"),
        ]
    )
    document.section("接待代表")
    names = "、".join(duty.name for duty in session.deputies if duty.name) or "另行通知"
    document.paragraph(names, size=14)
    document.section("参加接待的部门")
    staff = [[item.organisation, item.role] for item in session.agency_staff]
    document.grid_table(["单位", "人员"], staff, [3, 2], empty="暂无部门参加；需要部门到场的，请提前向联络站说明。")
    if not cancelled:
        _booking(document, public_url)
    document.ln(6)
    document.cell(0, 7, issuer, align="R", new_x="LMARGIN", new_y="NEXT")
    document.cell(0, 7, china_day(printed_at), align="R", new_x="LMARGIN", new_y="NEXT")
    return document.output_bytes()


def _booking(document: Document, public_url: str) -> None:
    size = 34.0
    if document.get_y() > document.h - document.b_margin - size - 20:
        document.add_page()
    document.section("预约")
    top = document.get_y()
    document.text_block(
        "可以提前预约，也可以当天直接到场登记。预约：用手机扫描右侧二维码，选择本次接待；"
        "不方便用手机的，请到联络站或请村（社区）干部帮助登记。",
        document.epw - size - 6,
        6.2,
    )
    document.qr(booking_link(public_url), document.w - document.r_margin - size, top, size)
    document.set_y(max(document.get_y(), top + size) + 2)


# ------------------------------------------------------------------ the posters


def posters_pdf(posters: Sequence[Poster], *, title: str, public_url: str, issuer: str, printed_at: datetime) -> bytes:
    document = Document(title, issuer=issuer, printed_at=printed_at, running_head=False)
    document.set_auto_page_break(False)
    for poster in posters:
        _poster(document, poster, filing_link(public_url, poster.group.id), issuer)
    if not posters:
        document.add_page()
        document.title_block(title)
        document.paragraph("这里没有村民小组。", colour=MUTED)
    return document.output_bytes()


def _poster(document: Document, poster: Poster, link: str, issuer: str) -> None:
    document.add_page()
    width = document.w
    document.set_fill_color(*ACCENT)
    document.rect(0, 0, width, 46, style="F")
    document.set_text_color(255, 255, 255)
    document.set_xy(0, 10)
    with document.bold(40):
        document.cell(width, 18, "扫码反映问题", align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font(size=13)
    document.set_x(0)
    document.cell(width, 9, "有事找代表 · 不用下载 · 不用选地址", align="C")
    document.set_text_color(33, 37, 41)
    document.set_xy(document.l_margin, 54)
    with document.bold(24):
        document.text_block(" ".join(poster.places), document.epw, 12, align="C")
    document.set_font(size=12)
    document.set_text_color(*MUTED)
    document.cell(0, 8, "用手机扫一扫，直接向本组的人大代表反映问题", align="C", new_x="LMARGIN", new_y="NEXT")
    size = 96.0
    top = document.get_y() + 3
    document.qr(link, (width - size) / 2, top, size)
    document.set_xy(document.l_margin, top + size + 1)
    document.set_font(size=8)
    document.cell(0, 5, link, align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_text_color(33, 37, 41)
    _panel(document, poster)
    document.set_xy(document.l_margin, document.h - 16)
    document.set_font(size=8)
    document.set_text_color(*MUTED)
    document.text_block(
        f"{issuer} · 反映的事情直接交给本组代表办理，发送后会得到一个查询码，可以随时查看办理进度。"
        f"不公开反映人的姓名和电话。打印于 {china_time(document.printed_at)}",
        document.epw,
        4,
        align="C",
    )
    document.set_text_color(33, 37, 41)


def _panel(document: Document, poster: Poster) -> None:
    """The group's deputies and their station, in a shaded box under the QR code."""
    top = document.get_y() + 3
    document.set_fill_color(*SHADE)
    document.rect(document.l_margin, top, document.epw, document.h - 20 - top, style="F")
    document.set_xy(document.l_margin + 5, top + 4)
    inner = document.epw - 10
    heading = "本村人大代表" if poster.village_deputies else "本组人大代表"
    with document.bold(13):
        document.cell(inner, 8, heading, new_x="LMARGIN", new_y="NEXT")
    document.set_x(document.l_margin + 5)
    document.set_font(size=15)
    names = "、".join(poster.deputies) or "（正在安排）"
    document.text_block(names, inner, 8)
    document.ln(2)
    hours = poster.station
    document.set_x(document.l_margin + 5)
    with document.bold(13):
        document.cell(inner, 8, "代表联络站", new_x="LMARGIN", new_y="NEXT")
    document.set_font(size=11)
    lines = ["请扫码反映问题，代表会尽快联系您。"]
    if hours is not None:
        station = hours.station
        lines = [f"{station.name}（{TIERS.get(station.tier, '')}）", f"地址：{station.address}"]
        opening = hours_lines(hours) or [station.opening_hours]
        lines.append("开放时间：" + "；".join(opening))
        if hours.upcoming:
            lines.append("近期接待日：" + "；".join(when(item.starts_at, item.ends_at) for item in hours.upcoming))
    for line in lines:
        document.set_x(document.l_margin + 5)
        document.text_block(line, inner, 6.4)
    document.ln(2)
    document.set_x(document.l_margin + 5)
    with document.bold(13):
        document.cell(inner, 8, "怎么反映", new_x="LMARGIN", new_y="NEXT")
    document.set_font(size=11)
    for step in HOW:
        document.set_x(document.l_margin + 5)
        document.text_block(step, inner, 6.4)
