"""/standard: 采集标准."""

from student import state
from student.screens import services

services.render_standard(state.signed_in())
