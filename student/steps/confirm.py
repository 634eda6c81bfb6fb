"""/confirm: the masked record, and 关联任务."""

from student import state
from student.screens import enrol

enrol.render_confirm(state.signed_in())
