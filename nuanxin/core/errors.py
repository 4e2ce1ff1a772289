"""One error type for business rules: a translated, user-safe message, optionally tied to a field."""


class DomainError(Exception):
    """Raised by actions when a rule refuses a change. `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"error": self.message, "field": self.field, "code": self.code}
