"""/offline-shooting: 线下拍摄交费."""

from student import state
from student.screens import offline

offline.render(state.signed_in())
