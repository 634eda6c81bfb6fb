"""/capture: shoot, standardise, check and submit."""

from student import state
from student.screens import capture

capture.render(state.signed_in())
