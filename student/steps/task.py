"""/task: 学历类别 and 采集任务 of the chosen school."""

from student import state
from student.screens import enrol

enrol.render_task(state.signed_in())
