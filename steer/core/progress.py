"""Progress on the command line, for long commands (imports, backups, documents)."""

import sys
import time


class ProgressBar:
    """A one-line progress bar on a stream (stderr): redrawn at most every half second."""

    def __init__(self, label: str, total: int, stream=None, width: int = 30):
        self.label, self.total, self.width = label, max(total, 1), width
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.start = self.last = time.perf_counter()
        self.last_tenth = -1

    def __call__(self, done: int, total: int | None = None) -> None:
        if total:
            self.total = max(total, 1)
        now = time.perf_counter()
        share = min(done / self.total, 1.0)
        if self.tty:
            if now - self.last < 0.5 and done < self.total:
                return
            filled = round(share * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(
                f"\r{self.label} [{bar}] {share:4.0%} {done:,}/{self.total:,} "
                f"{now - self.start:5.0f} s"
            )
            if done >= self.total:
                self.stream.write("\n")
        else:  # a log: one line per tenth
            tenth = int(share * 10)
            if tenth == self.last_tenth:
                return
            self.last_tenth = tenth
            self.stream.write(
                f"{self.label}: {share:4.0%} {done:,}/{self.total:,} {now - self.start:.0f} s\n"
            )
        self.stream.flush()
        self.last = now
