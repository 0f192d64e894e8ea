"""Progress of a long load: a callback `(done, total)`, and a one-line text bar that draws it."""

import sys
from collections.abc import Callable

Progress = Callable[[int, int], None]


class ProgressBar:
    """A one-line text progress bar on stderr: `grid      [##########..........]  318/636`."""

    def __init__(self, label: str, width: int = 30) -> None:
        self.label, self.width, self.shown = label, width, -1

    def __call__(self, done: int, total: int) -> None:
        filled = self.width * done // max(total, 1)
        if filled == self.shown and done != total:
            return
        self.shown = filled
        bar = "#" * filled + "." * (self.width - filled)
        sys.stderr.write(f"\r{self.label:<20} [{bar}] {done:>5}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()
