"""/upload-code: 上传采集码 after a temporary shooting code."""

from student import state
from student.screens import services

services.render_upload_code(state.signed_in())
