"""Operations: worker and queue health, failed jobs with their error and a retry, data sizes, version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.domain.enums import JobStatus
from core.domain.quotas import CHINA
from core.services import jobs, operations
from workbench.context import database, photo_store, require_actor
from workbench.i18n import tr
from workbench.widgets import commit_then_reload, show_flash

actor = require_actor()
st.title(tr("运行状态", "Operations"))
show_flash()


def size(n: float) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


with database().session() as session:
    health = operations.health(session, actor, photo_store())

st.subheader(tr("后台任务", "Background jobs"))
counts = health.jobs_by_status
columns = st.columns(5)
columns[0].metric(tr("等待中", "Waiting"), f"{counts[JobStatus.QUEUED]:,}")
columns[1].metric(tr("处理中", "Running"), f"{counts[JobStatus.RUNNING]:,}")
columns[2].metric(tr("已完成", "Done"), f"{counts[JobStatus.DONE]:,}")
columns[3].metric(tr("失败", "Failed"), f"{counts[JobStatus.FAILED]:,}")
columns[4].metric(tr("队列积压", "Queue backlog"),
                  tr("无法读取", "unreadable") if health.queue_backlog is None else f"{health.queue_backlog:,}")
if health.worker_stalled:
    st.error(tr(f"最早的等待任务已排队超过 {operations.STALLED_AFTER.seconds // 60} 分钟且没有任务在处理："
                "后台进程（python -m core worker）可能未运行。",
                f"The oldest waiting job has queued for over {operations.STALLED_AFTER.seconds // 60} minutes with "
                "nothing running: the worker (python -m core worker) may be down."))
elif health.oldest_waiting_since is not None:
    st.caption(tr(f"最早的等待任务排队于 {health.oldest_waiting_since.astimezone(CHINA):%H:%M:%S}",
                  f"Oldest waiting job queued at {health.oldest_waiting_since.astimezone(CHINA):%H:%M:%S}"))

st.subheader(tr("失败的任务", "Failed jobs"))
if health.failed:
    st.dataframe(pd.DataFrame([{
        tr("编号", "Job"): job.id,
        tr("类型", "Kind"): job.kind,
        tr("对象", "Subject"): job.subject_id,
        tr("尝试次数", "Attempts"): job.attempts,
        tr("失败时间", "Failed at"): job.failed_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
        tr("错误", "Error"): job.error,
    } for job in health.failed]), hide_index=True)
    by_id = {job.id: job for job in health.failed}
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    chosen = left.selectbox(tr("选择任务", "Job"), list(by_id), key="retry_job_id",
                            format_func=lambda i: f"#{i} {by_id[i].kind} {by_id[i].subject_id}")
    if right.button(tr("重试", "Retry"), key="retry_job", icon=":material/replay:", type="primary"):
        commit_then_reload(lambda session: jobs.retry(session, actor, chosen),
                           tr(f"任务 #{chosen} 已重新排队。", f"Job #{chosen} queued again."))
else:
    st.caption(tr("没有失败的任务。", "No failed jobs."))

st.subheader(tr("存储与版本", "Storage and version"))
storage = st.columns(3)
storage[0].metric(tr("数据库", "Database"), size(health.database_bytes))
storage[1].metric(tr("照片库", "Photo store"), size(health.photo_store_bytes))
storage[2].metric(tr("版本", "Version"), health.version)
