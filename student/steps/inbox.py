"""/inbox: 消息通知."""

from student import state
from student.screens import status

status.render_inbox(state.signed_in())
