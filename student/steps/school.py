"""/school: 搜索学校."""

from student import state
from student.screens import enrol

enrol.render_school(state.signed_in())
