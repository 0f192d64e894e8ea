"""`make run`: the local system (devstack.stack.Stack) under a small process manager.

A county may run this on one server, so a process that exits on its own is started again, after 1 s, then
2, 4 ... up to 30 s while it keeps failing (back to 1 s once it stayed up a minute), and the log says so.
Only the operator stops the stack: SIGINT (Ctrl-C), SIGTERM, SIGHUP or SIGQUIT, at any moment (while
starting, or while a process waits to be restarted); a second signal while stopping kills what is left.
A second `make run` on the same var folder is refused with a message and exit code 2. SIGKILL of the
supervisor takes the processes with it (see devstack.stack).

Environment: GATEWAY_PORT (8000), NATS_URL (a NATS of your own: the processes then connect with the
NATS_USER and NATS_PASSWORD they inherit, if any), DEVSTACK_VAR_DIR (the folder, var/).
"""

import os
import signal
import sys
import time
import traceback
from pathlib import Path
from types import FrameType

from devstack.stack import (
    GATEWAY_FLAGS,
    Stack,
    StackAlreadyRunning,
    free_port,
    nats_server_binary,
    seed_demo_data,
    wait_for_http,
    wait_for_port,
)
from shared.config import VAR_DIR

__all__ = [
    "GATEWAY_FLAGS",
    "Stack",
    "StackAlreadyRunning",
    "Supervisor",
    "free_port",
    "main",
    "nats_server_binary",
    "seed_demo_data",
    "wait_for_http",
    "wait_for_port",
]

FIRST_DELAY = 1.0
LONGEST_DELAY = 30.0
STEADY_SECONDS = 60.0
"""A process that ran this long before it exited is restarted after FIRST_DELAY again."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Stopped(BaseException):
    """The operator asked the stack to stop while it was starting (like KeyboardInterrupt: nothing in the
    start-up catches it)."""


class Supervisor:
    """Runs a Stack until a signal: restarts what exits, with backoff, and stops everything on a signal."""

    def __init__(self, stack: Stack, *, poll_seconds: float = 0.2) -> None:
        self.stack = stack
        self.poll_seconds = poll_seconds
        self.signalled: int | None = None
        self.delays: dict[str, float] = {}
        self.due: dict[str, float] = {}  # process name -> when to start it again
        self._starting = False
        self._stopping = False

    def run(self) -> int:
        """Start the stack and keep it running until a signal; returns the exit code (1: it failed to start)."""
        code = 0
        self._starting = True  # before the handlers: a signal from now on interrupts the start
        for number in STOP_SIGNALS:
            signal.signal(number, self._on_signal)
        try:
            try:
                self.stack.start()
            finally:
                self._starting = False
            if self.signalled is None:
                users = f" (users and passwords: {self.stack.bus_users.file})" if self.stack.bus_users else ""
                say(
                    f"\n  Deputies in the grid is running: {self.stack.gateway_url}\n  NATS: {self.stack.nats_url}"
                    f"{users}\n  Logs: {self.stack.var_dir}/*.log   Stop: Ctrl-C\n"
                )
                self.watch()
        except Stopped:
            pass
        except Exception:
            traceback.print_exc()
            say("Stopping every process after this error.")
            code = 1
        finally:
            self._starting = False
            self._stopping = True
            if self.signalled is not None:
                say(f"{signal.Signals(self.signalled).name}: stopping every process.")
            self.stack.stop()
            say("All processes stopped.")
        return code

    def _on_signal(self, number: int, _: FrameType | None) -> None:
        if self._stopping or self.signalled is not None:
            self.stack.hurry = True  # asked again: don't wait for what is left
            return
        self.signalled = number
        if self._starting:  # interrupt whatever start-up waits for
            raise Stopped

    def watch(self) -> None:
        """Until a signal: start again, after its delay, each process that exited."""
        while self.signalled is None:
            now = time.monotonic()
            for name, process in list(self.stack.processes.items()):
                if (code := process.poll()) is not None:
                    self._schedule(name, code, now - self.stack.started_at.get(name, now))
            for name, when in list(self.due.items()):
                if when <= now and self.signalled is None:
                    del self.due[name]
                    self.stack.restart(name)
                    say(f"{name} restarted (pid {self.stack.processes[name].pid}).")
            time.sleep(self.poll_seconds)

    def _schedule(self, name: str, code: int, uptime: float) -> None:
        del self.stack.processes[name]
        previous = self.delays.get(name)
        delay = FIRST_DELAY if previous is None or uptime >= STEADY_SECONDS else min(previous * 2, LONGEST_DELAY)
        self.delays[name] = delay
        self.due[name] = time.monotonic() + delay
        say(f"{name} exited with code {code}; restarting in {delay:g} s (see {self.stack.log_of(name)}).")


def say(line: str) -> None:
    print(line, flush=True)


def main() -> None:
    stack = Stack(
        var_dir=Path(os.environ.get("DEVSTACK_VAR_DIR") or VAR_DIR),
        gateway_port=int(os.environ.get("GATEWAY_PORT", "8000")),
        nats_url=os.environ.get("NATS_URL"),
    )
    try:
        stack.claim()
    except StackAlreadyRunning as refused:
        print(refused, file=sys.stderr, flush=True)
        sys.exit(2)
    sys.exit(Supervisor(stack).run())


if __name__ == "__main__":
    main()
