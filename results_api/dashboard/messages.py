"""The dashboard script's own strings, translated on the server and handed to it in its config.

The script's modules show each through ``t("...")``; every such literal is listed here
(``tests/results_api/dashboard/test_locale.py`` checks that both sides agree), marked
with ``gettext_noop`` so that ``makemessages`` finds it.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

MESSAGES: tuple[str, ...] = (
    gettext_noop("(contains)"),
    gettext_noop("(tracebacks are hidden from you)"),
    gettext_noop("(unnamed)"),
    gettext_noop("All"),
    gettext_noop("Changes shown"),
    gettext_noop("Created"),
    gettext_noop("Exception"),
    gettext_noop("Failure rate"),
    gettext_noop("Failures"),
    gettext_noop("First seen"),
    gettext_noop("Last seen"),
    gettext_noop("Runtime p50"),
    gettext_noop("Runtime p95"),
    gettext_noop("Wait p50"),
    gettext_noop("Wait p95"),
    gettext_noop("Delete"),
    gettext_noop("Done: {acted} of {matched} tasks acted on."),
    gettext_noop("{action}: {matched} tasks, of which {acting} will be acted on."),
    gettext_noop("Act on every task these filters select"),
    gettext_noop("Act on the {count} selected tasks"),
    gettext_noop("Select"),
    gettext_noop("Select {task}"),
    gettext_noop("Created ({zone})"),
    gettext_noop("Group id"),
    gettext_noop("Group {id}"),
    gettext_noop("Last change"),
    gettext_noop("Matched"),
    gettext_noop("Error"),
    gettext_noop("Hide counts and chart"),
    gettext_noop("Show counts and chart"),
    gettext_noop("Last saved"),
    gettext_noop("No changes"),
    gettext_noop("No changes (304)"),
    gettext_noop("No such task"),
    gettext_noop("No task changed in this range."),
    gettext_noop("No task with this id is stored, or it is outside what you may see."),
    gettext_noop("Confirm again to go on with the same run."),
    gettext_noop("Not done ({status}): {message}"),
    gettext_noop("PENDING (queued)"),
    gettext_noop("Retry"),
    gettext_noop("Revoke"),
    gettext_noop("Revoke and terminate"),
    gettext_noop("Revoke sent to the workers; the state changes once a worker acts on it."),
    gettext_noop("Revoke this task"),
    gettext_noop("Revoke this task and terminate its process"),
    gettext_noop("Runtime"),
    gettext_noop("Send this task again with its stored arguments"),
    gettext_noop("Sent again as"),
    gettext_noop("Status"),
    gettext_noop("Task"),
    gettext_noop("Task id"),
    gettext_noop("Tasks"),
    gettext_noop("The API answered: {message}"),
    gettext_noop("The API asks to slow down (429); the next update will try again."),
    gettext_noop("The results API could not be read: {message}"),
    gettext_noop("Updated"),
    gettext_noop("Wait"),
    gettext_noop("Waiting time before a worker took the task: longest {value}."),
    gettext_noop("Worker"),
    gettext_noop("any"),
    gettext_noop("from"),
    gettext_noop("mean runtime {value}"),
    gettext_noop("mean wait {value}"),
    gettext_noop("no"),
    gettext_noop("not visible or not stored yet"),
    gettext_noop("to"),
    gettext_noop("yes"),
    gettext_noop("{count} tasks: "),
    gettext_noop("{value} so far"),
    gettext_noop(
        "{total} tasks last changed in the range, per {interval}; "
        "the largest {interval} had {most}."
    ),
    gettext_noop("minute"),
    gettext_noop("hour"),
    gettext_noop("day"),
)


def translated_messages() -> dict[str, str]:
    """Return each message that the active language translates, as msgid -> translation."""
    return {message: gettext(message) for message in MESSAGES if gettext(message) != message}
