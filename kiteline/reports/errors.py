class ReportError(ValueError):
    """A report or sample that cannot be made as asked, with the reason in plain words."""
