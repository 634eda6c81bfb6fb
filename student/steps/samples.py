"""/samples: 图像示范."""

from student import state
from student.screens import services

services.render_samples(state.signed_in())
