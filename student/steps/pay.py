"""/pay: 支付采集费用."""

from student import state
from student.screens import pay

pay.render(state.signed_in())
