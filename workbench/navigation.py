"""Which pages each role gets. Only these are registered with ``st.navigation`` for a session, so a
page a role may not use does not exist for it; the services check the role again on every call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.domain.enums import Role

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
R, S, G, P, A = Role.REVIEWER, Role.SENIOR_REVIEWER, Role.REGISTRAR, Role.SUPPORT, Role.ADMIN


@dataclass(frozen=True)
class PageSpec:
    file: str
    title_zh: str
    title_en: str
    icon: str
    section_zh: str
    section_en: str
    roles: tuple[Role, ...]

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "概览", "Overview", ":material/dashboard:", "总览", "General", (R, S, G, P, A)),
    PageSpec("review_queue.py", "审核队列", "Review queue", ":material/fact_check:", "审核", "Review", (R, S, A)),
    PageSpec("review_grid.py", "宫格审核", "Grid review", ":material/grid_view:", "审核", "Review", (R, S, A)),
    PageSpec("second_review.py", "复核", "Second review", ":material/rule:", "审核", "Review", (S, A)),
    PageSpec("reviewer_stats.py", "审核统计", "Reviewer statistics", ":material/leaderboard:", "审核", "Review",
             (R, S, A)),
    PageSpec("student_history.py", "学生审核记录", "Student history", ":material/history:", "审核", "Review",
             (R, S, A)),
    PageSpec("progress.py", "采集进度", "Progress", ":material/monitoring:", "学籍部门", "Registrar", (G, A)),
    PageSpec("chase_list.py", "催办名单", "Chase list", ":material/campaign:", "学籍部门", "Registrar", (G, A)),
    PageSpec("school_escalations.py", "客服转交", "Escalated by support", ":material/support_agent:", "学籍部门",
             "Registrar", (G,)),
    PageSpec("roster.py", "学籍名单", "Roster", ":material/badge:", "学籍部门", "Registrar", (G, A)),
    PageSpec("roster_import.py", "导入名单", "Import roster", ":material/upload_file:", "学籍部门", "Registrar", (G, A)),
    PageSpec("enrolment_photos.py", "学籍照片", "Enrolment photos", ":material/photo_library:", "学籍部门",
             "Registrar", (G, A)),
    PageSpec("batches.py", "上网批次", "CHSI batches", ":material/cloud_upload:", "学籍部门", "Registrar", (G, A)),
    PageSpec("print_sheets.py", "纸质照片打印", "Printed photos", ":material/print:", "学籍部门", "Registrar", (G, A)),
    PageSpec("offline_shooting.py", "线下拍摄交费", "On-site shooting fees", ":material/photo_camera_front:", "学籍部门",
             "Registrar", (G, P, A)),
    PageSpec("support_lookup.py", "学生查询", "Student lookup", ":material/person_search:", "客服", "Support", (P, A)),
    PageSpec("tickets.py", "工单", "Tickets", ":material/confirmation_number:", "客服", "Support", (P, A)),
    PageSpec("support_dashboard.py", "客服统计", "Support dashboard", ":material/insights:", "客服", "Support",
             (P, A)),
    PageSpec("admin_schools.py", "学校", "Schools", ":material/school:", "管理", "Administration", (A,)),
    PageSpec("admin_tasks.py", "采集任务", "Collection tasks", ":material/event:", "管理", "Administration", (A,)),
    PageSpec("admin_staff.py", "员工账号", "Staff accounts", ":material/group:", "管理", "Administration", (A,)),
    PageSpec("admin_policy.py", "阈值与规则", "Thresholds & policy", ":material/tune:", "管理", "Administration",
             (A,)),
    PageSpec("audit_log.py", "审计日志", "Audit log", ":material/history:", "管理", "Administration", (A,)),
    PageSpec("operations.py", "运行状态", "Operations", ":material/monitor_heart:", "管理", "Administration", (A,)),
)


LANDING: dict[Role, str] = {R: "review_queue.py", S: "review_queue.py"}
"""Where a role lands after sign-in (``workbench.links.landing`` sends the browser there): reviewers go
straight to work. Not Streamlit's default page: that one is served only at ``/``, so a bookmarked
``/review_queue`` would be "page not found"."""


def pages_for(role: Role) -> list[PageSpec]:
    return [p for p in PAGES if role in p.roles]

