"""Audit events, append-only, one hash chain per facility and one for the whole system.

The columns exist to be filtered and shown; the truth is `payload`, the exact bytes that
were hashed. `kiteline audit verify` checks the columns against the bytes and the bytes
against the chain.
"""

from django.db import models


class ChainHead(models.Model):
    """The latest position and hash of one chain. Appending locks this row, so two
    transactions never append to the same chain at once and the chain never forks."""

    chain = models.CharField(max_length=64, primary_key=True)
    position = models.PositiveBigIntegerField(default=0)
    hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"{self.chain} at {self.position}"


class AuditEvent(models.Model):
    chain = models.CharField(max_length=64)
    position = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    # No foreign keys: the log outlives any row it names, and is never cascaded.
    actor_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    person_id = models.BigIntegerField(null=True, blank=True)
    subjects = models.JSONField(default=list)
    detail = models.JSONField(default=dict)
    payload = models.BinaryField()
    previous_hash = models.BinaryField(max_length=32)
    hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["chain", "position"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="one_event_per_position"),
        ]
        indexes = [
            models.Index(fields=["person_id", "occurred_at"]),
            models.Index(fields=["actor_id", "occurred_at"]),
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.chain}#{self.position} {self.action}"
