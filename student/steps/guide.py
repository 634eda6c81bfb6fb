"""/guide: 操作指南."""

from student import state
from student.screens import services

services.render_guide(state.signed_in())
