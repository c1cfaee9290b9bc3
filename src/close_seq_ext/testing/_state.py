"""The in-memory Close organization: leads, contacts, sequences, subscriptions, bulk actions.

Every operation of the API is a method here that returns JSON-ready dicts or raises
`APIErrorResponse`; the HTTP layer only parses, calls and serializes. Tests use the same
object to arrange data and to look inside (``state.subscriptions``), always under `lock`
(the methods take it themselves). To find leads and contacts to enroll, read copies:
``state.snapshot_leads()`` and ``state.snapshot_contacts(with_email=True)``.

>>> state = ServerState(leads=5, seed=1)
>>> body = {"name": "Demo", "timezone": "UTC", "steps": [{"step_type": "call"}]}
>>> seq = state.create_sequence(body)
>>> seq["id"].startswith("seq_"), seq["steps"][0]["id"].startswith("seqstep_")
(True, True)
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from . import _validation as check
from ._bulk import BulkJob, BulkProgress
from ._errors import APIErrorResponse
from ._ids import naive_timestamp, new_id, offset_timestamp, utcnow
from ._leads import generate_leads
from ._squery import SQueryError, select_leads, tz_from_header

__all__ = ["ServerState"]

Obj = dict[str, Any]
T = TypeVar("T")
_SUBSCRIPTION_FILTERS = ("sequence_id", "contact_id", "lead_id")
_COUNTED_STATUSES = ("active", "paused", "finished", "goal", "error")
# Which subscriptions each status-changing bulk action touches, and what they become.
_STATUS_ACTIONS = {
    "pause": ("active", "paused"),
    "resume": ("paused", "active"),
    "resume_finished": ("finished", "active"),
}


def _page(items: list[T], skip: int, limit: int) -> tuple[list[T], bool]:
    return items[skip : skip + limit], skip + limit < len(items)


class ServerState:
    """Everything the local Close server knows; thread-safe through `lock`.

    Args:
        leads: How many fake leads (with contacts) to generate.
        seed: Seed of the generator and of every id, so runs are reproducible; given, it
            also derives the API key and the OAuth token. None (the default): the data of
            seed 0, and a key and a token drawn at random, different on every start.
        api_key: The accepted API key (Basic auth username); None: see `seed`.
        oauth_token: The accepted Bearer token; None: see `seed`.
        max_limit: Largest `_limit` accepted; past it the answer is 400.
        max_skip: Largest `_skip` accepted (None: no maximum).
        page_cap: Most items in one page, whatever `_limit` asks (None: `_limit`); a capped
            page says `has_more: true` while items follow, as Close may.
        bulk_progress: Pace of bulk actions (default: 1,000 objects per second).
        allow_manual_activation: Whether PUT ``{"status": "active"}`` on a subscription is
            accepted; Close refuses it (400) on plans without workflow runs.
        clock: Monotonic clock driving bulk progress.
    """

    def __init__(
        self,
        *,
        leads: int = 50,
        seed: int | None = None,
        api_key: str | None = None,
        oauth_token: str | None = None,
        max_limit: int = 100,
        max_skip: int | None = None,
        page_cap: int | None = None,
        bulk_progress: BulkProgress | None = None,
        allow_manual_activation: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock: threading.RLock = threading.RLock()
        # Bumped by every `reset()`: a request that began under an older generation belongs
        # to a test that has ended, and may no longer change anything (see `CloseApp`).
        self.generation: int = 0
        self.n_leads = leads
        self.seed: int = 0 if seed is None else seed
        self.max_limit: int = max_limit
        self.max_skip = max_skip
        self.page_cap = page_cap
        self.bulk_progress: BulkProgress = bulk_progress or BulkProgress.rate(1000)
        self.allow_manual_activation: bool = allow_manual_activation
        self._clock = clock
        rng = random.Random(self.seed)
        self.organization_id: str = new_id("orga_", rng)
        self.user_id: str = new_id("user_", rng)
        # Without a seed, credentials nobody chose are unguessable: a key shared by every
        # install would open any local server left listening beyond this machine.
        credentials = rng if seed is not None else random.SystemRandom()
        self.api_key: str = api_key or "api_" + new_id("", credentials)
        self.oauth_token: str = oauth_token or "oa2_" + new_id("", credentials)
        self._initial = (
            self.bulk_progress,
            max_limit,
            max_skip,
            page_cap,
            allow_manual_activation,
        )
        self._generated: list[Obj] | None = None
        self._leads_exposed = False
        self.reset()

    # --- set-up and test helpers

    def reset(self) -> None:
        """Back to the state right after start: the same leads and ids, nothing else."""
        with self.lock:
            self.generation += 1
            (
                self.bulk_progress,
                self.max_limit,
                self.max_skip,
                self.page_cap,
                self.allow_manual_activation,
            ) = self._initial
            self._rng = random.Random(f"{self.seed}-objects")
            # Generating thousands of leads takes a while and this runs before every test:
            # keep the generated ones unless a test could have changed them.
            if self._generated is None or self._leads_exposed:
                self._generated = generate_leads(
                    self.n_leads,
                    seed=self.seed,
                    organization_id=self.organization_id,
                    user_id=self.user_id,
                )
            self._leads_exposed = False
            leads = self._generated
            self._json: dict[str, bytes] = {}
            self._leads: dict[str, Obj] = {lead["id"]: lead for lead in leads}
            self._contacts: dict[str, Obj] = {
                c["id"]: c for lead in leads for c in lead["contacts"]
            }
            self._sequences: dict[str, Obj] = {}
            self._subscriptions: dict[str, Obj] = {}
            # filter name -> its value -> subscriptions (in creation order); ids never change.
            self._sub_index: dict[str, dict[str, dict[str, Obj]]] = {
                key: {} for key in _SUBSCRIPTION_FILTERS
            }
            self.bulk_jobs: dict[str, BulkJob] = {}
            # (sequence_id, contact_id) pairs that ever had a subscription: `subscribe` skips them.
            self.received: set[tuple[str, str]] = set()
            self._running: list[BulkJob] = []
            self._failures: list[int] = []

    @property
    def leads(self) -> dict[str, Obj]:
        """The leads by id (live), for a test that changes them; to read, `snapshot_leads()`.

        A test may change what it gets here, so after it the next `reset()` generates the
        leads again, which takes a while for thousands. See `sequences` about changing them.
        """
        self.touch()
        self._leads_exposed = True
        return self._leads

    @property
    def contacts(self) -> dict[str, Obj]:
        """The contacts by id (live), like `leads`; to read, `snapshot_contacts()`."""
        self.touch()
        self._leads_exposed = True
        return self._contacts

    @property
    def sequences(self) -> dict[str, Obj]:
        """The sequences by id (live dicts in the API's JSON shape).

        Tests may change these objects directly, e.g. to simulate what Close does on its
        own. Reading the property marks the server's cached JSON stale; when changing an
        object through a reference kept from earlier, call `touch()` afterwards.
        """
        self.touch()
        return self._sequences

    @property
    def subscriptions(self) -> dict[str, Obj]:
        """The subscriptions by id (live). See `sequences` about changing them.

        >>> state = ServerState(leads=0)
        >>> state.subscriptions
        {}
        """
        self.touch()
        return self._subscriptions

    def snapshot_leads(self) -> list[Obj]:
        """Copies of the leads, with their contacts, in creation order.

        Reading them changes nothing, and changing them changes nothing on the server.

        >>> state = ServerState(leads=3, seed=1)
        >>> leads = state.snapshot_leads()
        >>> len(leads), leads[0]["id"].startswith("lead_")
        (3, True)
        """
        with self.lock:
            return copy.deepcopy(list(self._leads.values()))

    def snapshot_contacts(
        self, *, lead_id: str | None = None, with_email: bool = False
    ) -> list[Obj]:
        """Copies of the contacts (of one lead, with `lead_id`), in creation order.

        `with_email=True` keeps those with an email address: the ones a sequence can be sent
        to, e.g. to subscribe one in a test:

        >>> state = ServerState(leads=3, seed=1)
        >>> contact = state.snapshot_contacts(with_email=True)[0]
        >>> contact["id"].startswith("cont_"), contact["emails"][0]["email"] != ""
        (True, True)
        """
        with self.lock:
            contacts = self._contacts_of(lead_id)
            return copy.deepcopy([c for c in contacts if c["emails"] or not with_email])

    def snapshot_subscriptions(
        self, *, sequence_id: str | None = None, contact_id: str | None = None
    ) -> list[Obj]:
        """Copies of the subscriptions (to one sequence, of one contact), in creation order.

        Reading them changes nothing, e.g. to count a contact's subscriptions in a test:

        >>> ServerState(leads=0).snapshot_subscriptions(contact_id="cont_1")
        []
        """
        with self.lock:
            return copy.deepcopy(
                [
                    sub
                    for sub in self._subscriptions.values()
                    if sequence_id in (None, sub["sequence_id"])
                    and contact_id in (None, sub["contact_id"])
                ]
            )

    def touch(self) -> None:
        """Forget cached JSON: call after changing objects through an old reference."""
        with self.lock:
            self._json.clear()

    def encoded(self, obj: Obj) -> bytes:
        """`obj` as compact JSON; cached until the next change, so list pages are cheap."""
        cached = self._json.get(obj["id"])
        if cached is None:
            cached = self._json[obj["id"]] = json.dumps(obj, separators=(",", ":")).encode()
        return cached

    def add_lead(
        self,
        name: str,
        *,
        contacts: Iterable[Mapping[str, Any]] = (),
        status_label: str = "Potential",
        **fields: Any,
    ) -> Obj:
        """Add a lead with given contacts, for tests that need exact data.

        Each contact is a mapping with `name` and optionally `emails` (a list of addresses)
        and `title`.

        >>> state = ServerState(leads=0)
        >>> ann = {"name": "Ann", "emails": ["a@acme.test"]}
        >>> lead = state.add_lead("ACME Inc.", contacts=[ann])
        >>> lead["contacts"][0]["emails"][0]["email"]
        'a@acme.test'
        """
        with self.lock:
            now = offset_timestamp(utcnow())
            lead_id = new_id("lead_", self._rng)
            lead: Obj = {
                "id": lead_id,
                "name": name,
                "display_name": name,
                "description": "",
                "url": None,
                "status_id": new_id("stat_", random.Random(status_label)),
                "status_label": status_label,
                "organization_id": self.organization_id,
                "created_by": self.user_id,
                "updated_by": self.user_id,
                "date_created": now,
                "date_updated": now,
                "contacts": [self._contact(lead_id, c, now) for c in contacts],
                "addresses": [],
                "opportunities": [],
                "tasks": [],
                "custom": {},
            }
            lead.update(fields)
            self.touch()
            self._leads_exposed = True
            self._leads[lead_id] = lead
            self._contacts.update((c["id"], c) for c in lead["contacts"])
            return lead

    def _contact(self, lead_id: str, data: Mapping[str, Any], now: str) -> Obj:
        return {
            "id": new_id("cont_", self._rng),
            "lead_id": lead_id,
            "name": data.get("name", ""),
            "display_name": data.get("name", ""),
            "title": data.get("title"),
            "emails": [{"type": "office", "email": e} for e in data.get("emails", [])],
            "phones": [],
            "urls": [],
            "organization_id": self.organization_id,
            "created_by": self.user_id,
            "updated_by": self.user_id,
            "date_created": now,
            "date_updated": now,
        }

    def fail_next_bulk_action(self, *, after_objects: int = 0) -> None:
        """The next bulk action created ends in `error` after processing `after_objects`."""
        with self.lock:
            self._failures.append(after_objects)

    def finish_bulk_actions(self) -> None:
        """Complete every running bulk action now (up to an injected failure)."""
        with self.lock:
            for job in self._running:
                job.finish()
            self._running = [job for job in self._running if not job.finished]

    def advance(self) -> None:
        """Apply the bulk-action work that is due; the app calls it before every request."""
        with self.lock:
            if not self._running:
                return
            now = self._clock()
            for job in self._running:
                job.advance(now)
            self._running = [job for job in self._running if not job.finished]

    # --- auth

    def authenticate(self, authorization: str | None) -> str | None:
        """The API key or token an Authorization header proves, or None (answer 401).

        Basic takes the key as username; Close ignores the password, so this does too.
        """
        if not authorization:
            return None
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer":
            return credentials if credentials == self.oauth_token else None
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username = decoded.partition(":")[0]
        return username if username == self.api_key else None

    # --- helpers

    def _now(self) -> str:
        return naive_timestamp(utcnow())

    def _get(self, table: Mapping[str, Obj], object_id: str, model: str) -> Obj:
        found = table.get(object_id)
        if found is None:
            raise APIErrorResponse.not_found(model)
        return found

    # --- sequences

    def list_sequences(self, skip: int, limit: int) -> tuple[list[Obj], bool]:
        """One page of sequences, oldest first."""
        with self.lock:
            return _page(list(self._sequences.values()), skip, limit)

    def create_sequence(self, body: Any) -> Obj:
        """Create a sequence with its steps (defaults as in Close's examples)."""
        with self.lock:
            data = check.sequence_create(body)
            now = self._now()
            sequence: Obj = {
                "id": new_id("seq_", self._rng),
                "name": data["name"],
                "status": "active",
                "timezone": data["timezone"],
                "schedule": data.get("schedule"),
                "steps": [self._new_step(step, now) for step in data["steps"]],
                "organization_id": self.organization_id,
                "created_by_id": self.user_id,
                "updated_by_id": self.user_id,
                "date_created": now,
                "date_updated": now,
            }
            self.touch()
            self._sequences[sequence["id"]] = sequence
            return sequence

    def _new_step(self, data: Mapping[str, Any], now: str) -> Obj:
        # Close infers the type of a step sent without one (seed 002's third step).
        step_type = data.get("step_type") or ("email" if data.get("email_template_id") else "call")
        return {
            "id": new_id("seqstep_", self._rng),
            "step_type": step_type,
            "delay": data.get("delay", 0),
            "email_template_id": data.get("email_template_id"),
            # Live answers carry it on every step, null but on sms steps.
            "sms_template_id": data.get("sms_template_id"),
            "required": data.get("required", True),
            "step_allowed_delay": data.get("step_allowed_delay"),
            "threading": data.get("threading", "old_thread" if step_type == "email" else None),
            "created_by_id": self.user_id,
            "updated_by_id": self.user_id,
            "date_created": now,
            "date_updated": now,
        }

    def get_sequence(self, sequence_id: str) -> Obj:
        """One sequence plus `subscription_counts_by_status`."""
        with self.lock:
            sequence = self._get(self._sequences, sequence_id, "Sequence")
            counts = dict.fromkeys(_COUNTED_STATUSES, 0)
            for sub in self._sub_index["sequence_id"].get(sequence_id, {}).values():
                if sub["status"] in counts:
                    counts[sub["status"]] += 1
            return {**sequence, "subscription_counts_by_status": counts}

    def update_sequence(self, sequence_id: str, body: Any) -> Obj:
        """Partial update; `steps` replaces the list, `{"id": ...}` keeps (and may edit) a step."""
        with self.lock:
            sequence = self._get(self._sequences, sequence_id, "Sequence")
            existing = {step["id"]: step for step in sequence["steps"]}
            data = check.sequence_update(body, existing)
            self.touch()
            now = self._now()
            for key in ("name", "status", "timezone", "schedule"):
                if key in data:
                    sequence[key] = data[key]
            if "steps" in data:
                sequence["steps"] = [
                    self._kept_or_new_step(s, existing, now) for s in data["steps"]
                ]
            sequence["updated_by_id"] = self.user_id
            sequence["date_updated"] = now
            return sequence

    def _kept_or_new_step(
        self, data: Mapping[str, Any], existing: Mapping[str, Obj], now: str
    ) -> Obj:
        if "id" not in data:
            return self._new_step(data, now)
        step = existing[data["id"]]
        changes = {k: v for k, v in data.items() if k != "id" and step.get(k) != v}
        if changes:
            step.update(changes, updated_by_id=self.user_id, date_updated=now)
        return step

    def delete_sequence(self, sequence_id: str) -> None:
        """Delete a sequence; its running subscriptions finish with `sequence-deleted`."""
        with self.lock:
            self._get(self._sequences, sequence_id, "Sequence")
            del self._sequences[sequence_id]
            self.touch()
            now = self._now()
            for sub in self._sub_index["sequence_id"].get(sequence_id, {}).values():
                if sub["status"] in ("active", "paused"):
                    sub.update(
                        status="finished", status_reason="sequence-deleted", date_updated=now
                    )

    # --- subscriptions

    def list_subscriptions(
        self, query: Mapping[str, str], skip: int, limit: int
    ) -> tuple[list[Obj], bool]:
        """Subscriptions filtered by `sequence_id`, `contact_id`, `lead_id` (one is required)."""
        filters = [(k, query[k]) for k in _SUBSCRIPTION_FILTERS if k in query]
        if not filters:
            raise APIErrorResponse.message(
                400, "At least one of sequence_id, contact_id and lead_id is required."
            )
        with self.lock:
            # Start from the smallest index bucket, so a page costs what it returns.
            buckets = [self._sub_index[key].get(value, {}) for key, value in filters]
            found = list(min(buckets, key=len).values())
            if len(filters) > 1:
                found = [sub for sub in found if all(sub[k] == v for k, v in filters)]
            return _page(found, skip, limit)

    def create_subscription(self, body: Any) -> Obj:
        """Subscribe one contact; its primary email unless `contact_email` names another."""
        with self.lock:
            data = check.subscription_create(body)
            self._get(self._sequences, data["sequence_id"], "Sequence")
            contact = self._get(self._contacts, data["contact_id"], "Contact")
            emails = [e["email"] for e in contact["emails"]]
            email = data.get("contact_email", emails[0] if emails else None)
            if email is None:
                raise APIErrorResponse.field("contact_id", "This contact has no email address.")
            if email not in emails:
                raise APIErrorResponse.field(
                    "contact_email", "Not an email address of this contact."
                )
            # A contact already in the sequence is subscribed again: Close's docs and public
            # sources say nothing of this case (only that a bulk `subscribe` skips contacts
            # that received the sequence), so the server assumes the worst for a client and
            # keeps every duplicate, where tests can count it.
            return self._subscribe(data, contact, email)

    def _subscribe(self, data: Mapping[str, Any], contact: Obj, email: str) -> Obj:
        self.touch()
        now = self._now()
        sub: Obj = {
            "id": new_id("sub_", self._rng),
            "sequence_id": data["sequence_id"],
            "contact_id": contact["id"],
            "lead_id": contact["lead_id"],
            "contact_email": email,
            "sender_account_id": data.get("sender_account_id"),
            "sender_name": data.get("sender_name"),
            "sender_email": data.get("sender_email"),
            "calls_assigned_to": list(data.get("calls_assigned_to") or []),
            "start_date": None,
            "status": "active",
            "status_reason": None,
            "organization_id": self.organization_id,
            "created_by_id": self.user_id,
            "updated_by_id": self.user_id,
            "date_created": now,
            "date_updated": now,
        }
        self._subscriptions[sub["id"]] = sub
        for key in _SUBSCRIPTION_FILTERS:
            self._sub_index[key].setdefault(sub[key], {})[sub["id"]] = sub
        self.received.add((sub["sequence_id"], sub["contact_id"]))
        return sub

    def get_subscription(self, subscription_id: str) -> Obj:
        """One subscription."""
        with self.lock:
            return self._get(self._subscriptions, subscription_id, "SequenceSubscription")

    def update_subscription(self, subscription_id: str, body: Any) -> Obj:
        """Partial update; pausing sets `status_reason` to `manual`."""
        with self.lock:
            sub = self._get(self._subscriptions, subscription_id, "SequenceSubscription")
            data = check.subscription_update(body)
            self.touch()
            status = data.get("status")
            if status is not None and status != sub["status"]:
                self._check_transition(status)
                sub["status_reason"] = "manual" if status == "paused" else None
                sub["status"] = status
            for key in ("sender_account_id", "sender_name", "sender_email", "calls_assigned_to"):
                if key in data:
                    sub[key] = data[key]
            sub["updated_by_id"] = self.user_id
            sub["date_updated"] = self._now()
            return sub

    def _check_transition(self, status: str) -> None:
        if status == "paused":
            return
        if status == "active" and self.allow_manual_activation:
            return
        if status == "active":
            message = "Resuming a subscription needs a plan with workflow runs."
        else:
            message = f"A subscription cannot be set to {status!r}; only 'paused' and 'active'."
        raise APIErrorResponse.field("status", message)

    def delete_subscription(self, subscription_id: str) -> None:
        """Unsubscribe: the subscription is gone (the contact still has received the sequence)."""
        with self.lock:
            sub = self._get(self._subscriptions, subscription_id, "SequenceSubscription")
            del self._subscriptions[subscription_id]
            self.touch()
            for key in _SUBSCRIPTION_FILTERS:
                del self._sub_index[key][sub[key]][subscription_id]

    # --- bulk actions

    def list_bulk_actions(self, skip: int, limit: int) -> tuple[list[Obj], bool]:
        """One page of bulk actions, oldest first; each one listed counts as a poll."""
        with self.lock:
            jobs, has_more = _page(list(self.bulk_jobs.values()), skip, limit)
            return [self._polled(job) for job in jobs], has_more

    def get_bulk_action(self, bulk_id: str) -> Obj:
        """One bulk action, moved on by one poll."""
        with self.lock:
            job = self.bulk_jobs.get(bulk_id)
            if job is None:
                raise APIErrorResponse.not_found("BulkSequenceSubscription")
            return self._polled(job)

    def _polled(self, job: BulkJob) -> Obj:
        job.poll(self._clock())
        if job.finished and job in self._running:
            self._running.remove(job)
        return job.record

    def create_bulk_action(self, body: Any, *, tz_offset: str | None = None) -> Obj:
        """Start a bulk action over the leads `s_query` selects; answers it as `created`.

        `tz_offset` is the request's `X-TZ-Offset`: the local time of relative dates.
        """
        with self.lock:
            data = check.bulk_create(body)
            sequence_id = data.get("sequence_id")
            if sequence_id is not None and sequence_id not in self._sequences:
                raise APIErrorResponse.field(
                    "sequence_id", f"Sequence {sequence_id!r} does not exist."
                )
            try:
                leads = select_leads(
                    self._leads.values(),
                    data["s_query"],
                    data.get("sort"),
                    data.get("results_limit"),
                    tz=tz_from_header(tz_offset),
                )
            except SQueryError as err:
                raise APIErrorResponse.field(err.field, str(err)) from None
            work, lead_ends = self._bulk_work(data, leads)
            now = offset_timestamp(utcnow())
            record: Obj = {
                "id": new_id("bulkseqsub_", self._rng),
                "action_type": data["action_type"],
                "sequence_id": sequence_id,
                "s_query": data["s_query"],
                "sort": data.get("sort") or [],
                "query": None,
                "results_limit": data.get("results_limit"),
                "contact_preference": data.get("contact_preference"),
                "sender_account_id": data.get("sender_account_id"),
                "sender_name": data.get("sender_name"),
                "sender_email": data.get("sender_email"),
                "calls_assigned_to": data.get("calls_assigned_to"),
                "from_phone_number_id": data.get("from_phone_number_id"),
                "send_done_email": data.get("send_done_email", False),
                "organization_id": self.organization_id,
                "created_by": self.user_id,
                "updated_by": self.user_id,
                "date_created": now,
                "date_updated": now,
            }
            fail_after = self._failures.pop(0) if self._failures else None
            job = BulkJob(record, work, lead_ends, self.bulk_progress, self._clock(), fail_after)
            self.bulk_jobs[record["id"]] = job
            self._running.append(job)
            return record

    def _bulk_work(self, data: Obj, leads: list[Obj]) -> tuple[list[Callable[[], None]], list[int]]:
        """One callable per object, grouped by lead, and where each lead's objects end."""
        work: list[Callable[[], None]] = []
        lead_ends: list[int] = []
        action = data["action_type"]
        for lead in leads:
            if action == "subscribe":
                work.extend(self._subscribe_work(data, c, e) for c, e in _recipients(lead, data))
            else:
                work.extend(self._status_work(action, s) for s in self._lead_subs(lead, data))
            lead_ends.append(len(work))
        return work, lead_ends

    def _lead_subs(self, lead: Obj, data: Obj) -> list[Obj]:
        source = _STATUS_ACTIONS[data["action_type"]][0]
        sequence_id = data.get("sequence_id")
        return [
            sub
            for sub in self._sub_index["lead_id"].get(lead["id"], {}).values()
            if sub["status"] == source
            and (sequence_id is None or sub["sequence_id"] == sequence_id)
        ]

    def _subscribe_work(self, data: Obj, contact: Obj, email: str) -> Callable[[], None]:
        def subscribe() -> None:
            if (data["sequence_id"], contact["id"]) not in self.received:
                self._subscribe(data, contact, email)

        return subscribe

    def _status_work(self, action: str, sub: Obj) -> Callable[[], None]:
        source, target = _STATUS_ACTIONS[action]

        def change() -> None:
            # The subscription may have changed (or gone) since the action was created.
            if sub["id"] in self._subscriptions and sub["status"] == source:
                self.touch()
                sub.update(status=target, status_reason="bulk-action", date_updated=self._now())

        return change

    # --- leads and contacts (outside the contract: so that clients can find ids)

    def list_leads(self, skip: int, limit: int) -> tuple[list[Obj], bool]:
        """One page of leads."""
        with self.lock:
            return _page(list(self._leads.values()), skip, limit)

    def get_lead(self, lead_id: str) -> Obj:
        """One lead with its contacts."""
        with self.lock:
            return self._get(self._leads, lead_id, "Lead")

    def list_contacts(
        self, query: Mapping[str, str], skip: int, limit: int
    ) -> tuple[list[Obj], bool]:
        """One page of contacts, optionally of one `lead_id`."""
        with self.lock:
            return _page(self._contacts_of(query.get("lead_id")), skip, limit)

    def _contacts_of(self, lead_id: str | None) -> list[Obj]:
        contacts = self._contacts.values()
        return [c for c in contacts if lead_id is None or c["lead_id"] == lead_id]

    def get_contact(self, contact_id: str) -> Obj:
        """One contact."""
        with self.lock:
            return self._get(self._contacts, contact_id, "Contact")


def _recipients(lead: Obj, data: Obj) -> list[tuple[Obj, str]]:
    """(contact, email) pairs `subscribe` considers for a lead, per `contact_preference`.

    `lead`: the lead's first contact that has an email; `contact`: every contact with one.
    """
    pairs = [(c, c["emails"][0]["email"]) for c in lead["contacts"] if c["emails"]]
    return pairs[:1] if data.get("contact_preference") == "lead" else pairs
