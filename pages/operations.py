"""Operations: live workers, queue health, stalled and orphaned jobs, failed jobs with their error and a
retry, data sizes, version."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from core.domain.enums import JobStatus
from core.domain.quotas import CHINA
from core.services import jobs, operations
from uikit.clock import beijing
from workbench.context import database, photo_store, require_actor
from workbench.i18n import tr
from workbench.widgets import commit_then_reload, show_flash

WORKER_COMMAND = "python -m core worker --processes N"
"""How the workers start (README → Deployment); shown as code, a command is typed as it is."""

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
    st.error(tr(f"最早的等待任务已排队超过 {operations.STALLED_AFTER.seconds // 60} 分钟且没有在线的后台进程："
                f"后台进程（`{WORKER_COMMAND}`）可能未运行。",
                f"The oldest waiting job has queued for over {operations.STALLED_AFTER.seconds // 60} minutes and no "
                f"worker is alive: the workers (`{WORKER_COMMAND}`) may be down."))
elif health.oldest_waiting_since is not None:
    st.caption(tr(f"最早的等待任务排队于 {health.oldest_waiting_since.astimezone(CHINA):%H:%M:%S}",
                  f"Oldest waiting job queued at {health.oldest_waiting_since.astimezone(CHINA):%H:%M:%S}"))


def when(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


st.subheader(tr("在线的后台进程", "Live workers"))
if health.workers:
    st.dataframe(pd.DataFrame([{
        tr("进程", "Worker"): w.worker_id,
        tr("队列", "Queue"): w.queue,
        tr("启动于", "Started"): when(w.started_at),
        tr("最近心跳", "Last heartbeat"): when(w.last_seen_at),
        tr("当前任务", "Current job"): "" if w.current_job_id is None else f"#{w.current_job_id}",
        tr("已完成", "Done"): w.jobs_done,
        tr("状态", "State"): tr("正在停止", "stopping") if w.stopping else tr("运行中", "working"),
    } for w in health.workers]), hide_index=True)
else:
    st.warning(tr(f"没有在线的后台进程：新任务会排队等待，直到后台进程启动（`{WORKER_COMMAND}`）。",
                  f"No worker is alive: new jobs wait in the queue until the workers start (`{WORKER_COMMAND}`)."))

if health.orphaned:
    st.subheader(tr("失联的任务", "Orphaned jobs"))
    st.error(tr("以下任务标记为处理中，但处理它的后台进程已停止（租约已过期）；在线的后台进程会在几秒内将其重新排队。",
                "These jobs are marked running but their worker stopped (its lease ran out); a live worker puts "
                "them back on the queue within seconds."))
    st.dataframe(pd.DataFrame([{
        tr("编号", "Job"): job.id, tr("类型", "Kind"): job.kind, tr("对象", "Subject"): job.subject_id,
        tr("尝试次数", "Attempts"): job.attempts, tr("租约到期", "Lease expired"): when(job.since),
        tr("进程", "Worker"): job.worker or "",
    } for job in health.orphaned]), hide_index=True)

if health.stalled:
    st.subheader(tr("排队过久的任务", "Stalled jobs"))
    st.dataframe(pd.DataFrame([{
        tr("编号", "Job"): job.id, tr("类型", "Kind"): job.kind, tr("对象", "Subject"): job.subject_id,
        tr("尝试次数", "Attempts"): job.attempts, tr("排队于", "Queued"): when(job.since),
        tr("上次错误", "Last error"): job.error,
    } for job in health.stalled]), hide_index=True)

st.subheader(tr("失败的任务", "Failed jobs"))
if health.failed:
    st.dataframe(pd.DataFrame([{
        tr("编号", "Job"): job.id,
        tr("类型", "Kind"): job.kind,
        tr("对象", "Subject"): job.subject_id,
        tr("尝试次数", "Attempts"): job.attempts,
        tr("失败时间", "Failed at"): when(job.failed_at),
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
measured = health.photo_store
storage[1].metric(tr("照片库", "Photo store"), size(measured.total_bytes) if measured else tr("未测量", "Not measured"))
if measured:
    minutes = int((datetime.now(UTC) - measured.measured_at).total_seconds() // 60)
    storage[1].caption(tr(f"{minutes} 分钟前测量（北京时间 {beijing(measured.measured_at)}）",
                          f"Measured {minutes} min ago ({beijing(measured.measured_at)} Beijing time)"))
if storage[1].button(tr("测量照片库", "Measure the photo store"), key="measure_store", icon=":material/straighten:",
                     help=tr("逐个统计照片文件，照片多时需要一些时间。", "Adds up every photo file; takes a while on a full store.")):
    with st.spinner(tr("正在测量照片库…", "Measuring the photo store…")):
        operations.measure_photo_store(actor, photo_store())
    st.rerun()
storage[2].metric(tr("版本", "Version"), health.version)
