"""Runs the rasa_sdk action server on a local interface, without the SDK-version warning.

No rasa_sdk release matches Rasa 3.6 and runs on this project's Python 3.11: rasa_sdk 3.6.x
declares Requires-Python <3.11 (and pins sanic <22), and 3.11.0 is the first release for 3.11.
The webhook protocol did not change in between (tests/nlu/test_rasa_conversations.py drives
real Rasa 3.6 against it), so the "might not be compatible" warning on every call is noise.
"""

from __future__ import annotations

import os

# A prefix of rasa_sdk.utils.check_version_compatibility's UserWarning.
VERSION_WARNING = "Your versions of rasa and rasa_sdk might not be compatible"


def quiet_version_warning() -> None:
    """Silences the SDK-version warning here and in the Sanic workers this process spawns."""
    import warnings

    warnings.filterwarnings("ignore", message=VERSION_WARNING, category=UserWarning)
    rule = f"ignore:{VERSION_WARNING}:UserWarning"
    # Sanic workers are new interpreters; they inherit the environment, not the filters.
    current = os.environ.get("PYTHONWARNINGS", "")
    if rule not in current:
        os.environ["PYTHONWARNINGS"] = f"{current},{rule}" if current else rule


def serve(*, port: int, host: str = "127.0.0.1") -> None:
    """Serves the actions of actions.server on host:port (POST /webhook) until stopped."""
    from rasa_sdk.endpoint import run
    from rasa_sdk.executor import ActionExecutor

    quiet_version_warning()
    os.environ["SANIC_HOST"] = host  # rasa_sdk's run() reads the interface only from here
    executor = ActionExecutor()
    executor.register_package("actions.server")
    run(executor, port=port)
