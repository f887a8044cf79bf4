"""What a webhook event is read with by default: headers, field names, limits.

Kept apart from webhook.py so the CLI can show these defaults in --help
without importing the receiver.
"""

SECRET_ENV = "BATCHCASE_WEBHOOK_SECRET"
SECRET_HEADER = "X-Emedgene-Secret"
CASE_FIELDS = ("case_id", "caseId", "case.id", "test_id", "name")
STATUS_FIELDS = ("status", "new_status", "case.status")
EVENT_ID_FIELDS = ("event_id", "eventId", "event.id")
MAX_BODY = 64 * 1024
ACTIONS = ("export",)
