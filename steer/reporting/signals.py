"""What reporting tells the apps above it, so that it need not import them."""

from django.dispatch import Signal

# Sent by the workflow inside the step's transaction, after the event row is written, with
# submission, action, from_state, to_state, user and reason. A receiver that raises undoes the
# step.
report_moved = Signal()

# Sent by reporting's services (services.py) inside their transaction, after the write, with
# subject (the Reminder, Evidence or ImportBatch written), user and from_state (an import's state
# before the write, "" for a new record): the history of who did what (steering's Event) sits
# above reporting. A receiver that raises undoes the write.
recorded = Signal()
