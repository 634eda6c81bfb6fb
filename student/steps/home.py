"""/ : 首页, the linked task at a glance."""

from student import state
from student.screens import home

home.render(state.signed_in())
