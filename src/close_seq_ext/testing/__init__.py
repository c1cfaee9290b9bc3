"""A local Close API for tests: real HTTP on 127.0.0.1, in-memory state, programmable faults.

Install with the `testing` extra (``pip install 'close-sequences[testing]'``).

>>> from close_seq_ext.testing import CloseServer, Fault
>>> with CloseServer(leads=100) as server:  # doctest: +SKIP
...     server.inject("GET", "/api/v1/sequence/", Fault.status(503), times=2)
...     client = make_client(server.api_key, base_url=server.base_url)

To test a webhook handler, ``sign_webhook(payload, signature_key)`` returns a delivery's
body and headers signed as Close signs them (see `close_seq_ext.webhooks`).

In pytest, use the ``close_server`` fixture (see `close_seq_ext.testing.plugin`). From a
shell: ``python -m close_seq_ext.testing --port 8000 --leads 500`` prints the base URL and
an API key.

What it does as Close does: the 13 operations of the contract; Basic (key as username) and
Bearer auth, else 401; 404 ``{"error": ...}`` for unknown ids; 400 ``{"errors": [],
"field-errors": {...}}`` for invalid bodies; partial PUTs; the steps rule of sequence
updates; at least one filter to list subscriptions; a maximum `_limit`; naive timestamps on
sequences and subscriptions, ``+00:00`` offsets on bulk actions; `RateLimit` on every
answer and 429 with `RateLimit`, `Retry-After` and ``{"error": {"rate_reset": ...}}`` past
a limit; bulk actions that move from `created` through `processing` to `done` in the
background.

Where Close's behaviour is unknown, this server chooses (most useful to a tester):

- Auth: the Basic password is ignored; Bearer takes one OAuth token (`oauth_token`).
  Answers to bad credentials still carry `RateLimit`, counted under an "anonymous" key.
  The key and the token are random on every start unless given or derived from `seed`.
- Limits: a request body past `max_body_size` (1 MiB) is a 413; a connection has 5 s to
  send each request's headers; a 500 (a bug of this server) says only that
  `CloseServer.check()` raises it.
- `_fields` always keeps `id` (the contract requires it). Unknown names are ignored.
- `_limit` above `max_limit` (default 100) and `_skip` above `max_skip` (default none) are
  400. Lists are in creation order.
- DELETE answers 200 with ``{}`` (the official client parses every 200 body as JSON).
- Paths without their trailing slash are 404, not redirects. Content-Type is not checked.
- Sequences are created `active`; a step without `step_type` is `email` when it has an
  `email_template_id`, else `call`; email steps default to `old_thread`, `required` to
  true, `delay` to 0. `timezone` must be an IANA name. Step ids sent on update must belong
  to the sequence (400 otherwise); other fields sent with an id update that step.
- Deleting a sequence finishes its active and paused subscriptions with `status_reason`
  `sequence-deleted`; they stay readable.
- Subscribing: unknown sequence or contact is 404; `contact_email` must be one of the
  contact's emails (default: its first); a contact already active or paused in the
  sequence is 400. PUT `status` accepts `paused` (reason `manual`) and `active` (reason
  cleared; 400 when `allow_manual_activation=False`, as on plans without workflow runs);
  other statuses are 400. DELETE removes the subscription.
- Bulk actions: the leads are selected when the action is created. `subscribe` treats
  every contact that ever had a subscription to the sequence (even deleted) as having
  received it; `contact_preference="lead"` takes the first contact with an email, and each
  contact's first email is used. `n_objects` counts contacts to subscribe, or
  subscriptions to change. `reassign` (undocumented) is refused with 400. Unknown
  `sequence_id` is 400 (the contract has no 404 there). Listing bulk actions counts as a
  poll of each one listed.
- s_query: see `close_seq_ext.testing._squery` for the grammar covered and its choices;
  unsupported nodes (`saved_search`, full-text `text`, `custom_field`...) are 400 naming
  them. Filterable lead fields: name, display_name, description, url, status_id,
  status_label, created_by, updated_by, date_created, date_updated, num_contacts;
  contact fields: name, title, email(s), phone(s), lead_id, dates.
- Rate limits use fixed windows per key and endpoint group (``"GET /api/v1/sequence/"``);
  `reset` is whole seconds rounded up unless `fractional_reset=True`; windows start at each
  group's first request unless `aligned=True` puts them on the server's clock, as Close
  does (see `RateLimit`).
- Outside the contract, read-only ``/api/v1/lead/`` and ``/api/v1/contact/`` (list and
  fetch) let a client find contact ids to subscribe.
"""

from __future__ import annotations

from ._bulk import BulkProgress
from ._calls import Call, CallLog
from ._faults import Fault, FaultRule, Faults
from ._instant import instant_waits, set_instant_waits
from ._leads import generate_leads
from ._ratelimit import RateLimit, RateLimiter
from ._server import CloseServer
from ._state import ServerState
from ._webhooks import sign_webhook

__all__ = [
    "BulkProgress",
    "Call",
    "CallLog",
    "CloseServer",
    "Fault",
    "FaultRule",
    "Faults",
    "RateLimit",
    "RateLimiter",
    "ServerState",
    "generate_leads",
    "instant_waits",
    "set_instant_waits",
    "sign_webhook",
]

# Reprs and docs show the public path, not the private module.
for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__"):
        _obj.__module__ = __name__
del _name, _obj
