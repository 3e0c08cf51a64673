"""The sandbox's embedded broker: kombu's filesystem transport with atomic sends.

kombu's own filesystem channel creates a message file and then writes it, so a
worker polling the folder can take the file while it is still empty and die
decoding it. Here a message is written beside the queue and renamed into it
once complete; a rename within one file system is atomic.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from typing import Any

from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    """A filesystem channel whose messages appear in the queue folder whole."""

    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        staging = os.path.join(os.path.dirname(self.data_folder_out), "staging")
        os.makedirs(staging, exist_ok=True)
        descriptor, staged = tempfile.mkstemp(dir=staging, suffix=".part")
        with os.fdopen(descriptor, "wb") as staged_file:
            staged_file.write(dumps(payload).encode())
        # kombu's name: the queue after the first dot, the send order before it.
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        os.replace(staged, os.path.join(self.data_folder_out, name))


class Transport(filesystem.Transport):
    """kombu's filesystem transport with :class:`Channel`."""

    Channel = Channel
