"""Errors the ``insday`` command tells its user with their own exit code, kept free of imports:
the CLI catches them without loading the code that raises them (SQLAlchemy, the models)."""


class LeaseBusy(RuntimeError):
    """Another holder kept the lease for longer than we were willing to wait."""

    def __init__(self, name: str, holder: str):
        super().__init__(f"lease {name!r} is held by {holder}")
        self.name, self.holder = name, holder
