"""What reporting tells the apps above it, so that it need not import them."""

from django.dispatch import Signal

# Sent by the workflow inside the step's transaction, after the event row is written, with
# submission, action, from_state, to_state, user and reason. A receiver that raises undoes the
# step.
report_moved = Signal()
