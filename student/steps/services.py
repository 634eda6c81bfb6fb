"""/services: 其他服务与工具."""

from student import state
from student.screens import services

services.render(state.signed_in())
