"""Time each statement a benchmark's process sends (a Django ``execute_wrapper``).

Imported by path in the drivers that run in another virtualenv, so it
imports nothing of Django or of this repository.
"""

import time


class StatementTimer:
    """Time each statement; in autocommit, its row locks last as long as it does."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.most_rows = 0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.longest = max(self.longest, time.perf_counter() - started)
            if sql.lstrip().upper().startswith("DELETE"):
                self.most_rows = max(self.most_rows, context["cursor"].rowcount)
