"""/verify: 身份核验 with the CHSI collection code."""

from student import state
from student.screens import enrol

enrol.render_verify(state.signed_in())
