"""/status: 采集结果."""

from student import state
from student.screens import status

status.render(state.signed_in())
