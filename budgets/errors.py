"""One error convention from services to pages, commands and the API.

Every service refuses with a Django `ValidationError` carrying Chinese messages, attached to
the fields they concern where known (a dict) or to the whole action (a list). Forms show it
with `add_service_errors`; commands print `exc.messages`; the API answers 400 with them.
`ServiceError` builds one from (messages, {field: message}) so that callers name the fields
they know without losing the order of the messages. The pure rules (performance.values,
budgets.rates) stay free of Django and raise their own ValueError_; the services that call
them turn it into a ValidationError naming the field."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


class ServiceError(ValidationError):
    """A refused action: `messages` in the order given, `field_errors` {field: message}."""

    def __init__(self, messages: list[str] | str, field_errors: dict[str, str] | None = None):
        ordered = [messages] if isinstance(messages, str) else list(messages)
        self.field_errors = dict(field_errors or {})
        self.ordered_messages = ordered
        if not self.field_errors:
            super().__init__(ordered)
            return
        placed = set(self.field_errors.values())
        errors: dict[str, list[str]] = {f: [m] for f, m in self.field_errors.items()}
        rest = [m for m in ordered if m not in placed]
        if rest:
            errors[NON_FIELD_ERRORS] = rest
        super().__init__(errors)

    @property
    def messages(self) -> list[str]:
        return list(self.ordered_messages)

    def __str__(self) -> str:
        return "；".join(self.ordered_messages)


def add_service_errors(form, exc: ValidationError) -> None:
    """Show a service's refusal on the form: on its fields where the form has them, else
    above the form; each message once."""
    shown: set[str] = set()
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                if message not in shown:
                    form.add_error(target, message)
                    shown.add(message)
    for message in exc.messages:
        if message not in shown:
            form.add_error(None, message)
            shown.add(message)
