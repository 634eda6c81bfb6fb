"""/code-help: 采集码下载, how to get the CHSI collection code."""

from student import state
from student.screens import services

services.render_code_help(state.signed_in())
