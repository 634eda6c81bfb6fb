"""/makeup: 补拍点查询."""

from student import state
from student.screens import services

services.render_makeup(state.signed_in())
