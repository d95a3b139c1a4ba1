"""What other apps hear about a stay, inside the same transaction as the change.

The roster knows nothing of kites or clocks; apps that keep things belonging to a stay
listen here, so that a transfer carries them and a release closes them in one commit.
"""

from django.dispatch import Signal

# Sent with bookings= (a list), after new stays and their first placements are saved.
bookings_started = Signal()
# Sent with booking=, sending=, receiving=, at=, after a transfer's placements are saved.
booking_transferred = Signal()
# Sent with booking=, after a release is saved.
booking_released = Signal()
