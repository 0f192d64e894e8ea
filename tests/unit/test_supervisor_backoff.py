"""The supervisor's restart delays: 1 s, doubling to 30 s while a process keeps failing, 1 s again after it
stayed up a minute."""

from pathlib import Path
from types import SimpleNamespace

from devstack.supervisor import Supervisor


def test_restart_delays_double_up_to_30_s_and_start_over_after_a_steady_minute(capsys):
    stack = SimpleNamespace(processes={}, log_of=lambda name: Path(f"var/{name}.log"))
    supervisor = Supervisor(stack)  # type: ignore[arg-type]
    delays = []
    for uptime in [0.5] * 7 + [61.0, 2.0]:
        stack.processes["case_intake"] = object()
        supervisor._schedule("case_intake", -9, uptime)
        delays.append(supervisor.delays["case_intake"])
        assert "case_intake" not in stack.processes and "case_intake" in supervisor.due
    assert delays == [1, 2, 4, 8, 16, 30, 30, 1, 2]
    assert "case_intake exited with code -9; restarting in 1 s" in capsys.readouterr().out
