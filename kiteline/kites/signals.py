"""What other apps hear about a kite, inside the same transaction as the change."""

from django.dispatch import Signal

# Sent with kite=, actor=, seen_at=, after a face-to-face contact is saved.
kite_seen = Signal()
