"""Package-wide settings: progress bars and default parallelism.

Settings only change how work is shown or scheduled, never the numbers computed.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass
class Settings:
    """Mutable package settings (``pob.settings.settings``).

    Attributes
    ----------
    progress
        ``True``/``False`` forces tqdm progress bars on/off; ``None`` shows them only when stderr is a terminal.
    n_jobs
        Default number of joblib workers when a function is called with ``n_jobs=None``.
    """

    progress: bool | None = None
    n_jobs: int | None = None

    def show_progress(self, override: bool | None = None) -> bool:
        """Whether a progress bar should be displayed now."""
        if override is not None:
            return bool(override)
        if self.progress is not None:
            return bool(self.progress)
        if os.environ.get("POB_PROGRESS") is not None:
            return os.environ["POB_PROGRESS"] not in ("0", "false", "False", "")
        return sys.stderr.isatty()


settings = Settings()
