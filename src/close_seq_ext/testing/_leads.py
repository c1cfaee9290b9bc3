"""A seedable generator of realistic leads with contacts, in Close's JSON shapes.

No fake-data dependency: word lists and one `random.Random(seed)`, so the same seed gives
the same leads, ids included.

>>> from datetime import UTC, datetime
>>> now = datetime(2024, 1, 1, tzinfo=UTC)
>>> leads = generate_leads(3, seed=7, organization_id="orga_x", user_id="user_x", now=now)
>>> [lead["id"][:5] for lead in leads]
['lead_', 'lead_', 'lead_']
>>> leads == generate_leads(3, seed=7, organization_id="orga_x", user_id="user_x", now=now)
True
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ._ids import new_id, offset_timestamp, utcnow

__all__ = ["LEAD_STATUSES", "generate_leads", "lead_status_ids"]

# Close's default lead statuses.
LEAD_STATUSES = ("Potential", "Bad Fit", "Qualified", "Customer")

_FIRST = [
    "Ada",
    "Alan",
    "Alice",
    "Amara",
    "Ben",
    "Bruno",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Elena",
    "Emma",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Ivan",
    "Jade",
    "Jonas",
    "Kai",
    "Lara",
    "Leo",
    "Maya",
    "Mateo",
    "Nia",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Theo",
    "Uma",
    "Victor",
    "Wen",
    "Yara",
    "Zoe",
]
_LAST = [
    "Anders",
    "Baker",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
]
_COMPANY_FIRST = [
    "Acme",
    "Blue",
    "Bright",
    "Cedar",
    "Delta",
    "Echo",
    "Evergreen",
    "Globex",
    "Harbor",
    "Initech",
    "Iron",
    "Juniper",
    "Kite",
    "Lumen",
    "Maple",
    "Nimbus",
    "North",
    "Orbit",
    "Pioneer",
    "Quantum",
    "Redwood",
    "Silver",
    "Summit",
    "Umbrella",
    "Vertex",
    "Willow",
    "Zenith",
]
_COMPANY_SECOND = [
    "Analytics",
    "Bakery",
    "Labs",
    "Logistics",
    "Systems",
    "Studios",
    "Foods",
    "Health",
    "Robotics",
    "Media",
    "Partners",
    "Ventures",
    "Software",
    "Energy",
    "Dynamics",
    "Solutions",
]
_SUFFIXES = ("Inc.", "LLC", "Ltd.", "GmbH", "Corp.", "")
_TITLES = (
    "CEO",
    "CTO",
    "VP of Sales",
    "Head of Marketing",
    "Sales Manager",
    "Account Executive",
    "Founder",
    "Operations Lead",
    "Office Manager",
)
_EMAIL_TYPES = ("office", "home", "other")


def lead_status_ids(rng: random.Random) -> dict[str, str]:
    """One `stat_...` id per default status label."""
    return {label: new_id("stat_", rng) for label in LEAD_STATUSES}


def generate_leads(
    count: int,
    *,
    seed: int,
    organization_id: str,
    user_id: str,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """`count` leads in Close's shape, each with 0 to 4 contacts (most have emails).

    Dates are spread over the three years before `now`, so `moment_range` has work to do.
    """
    rng = random.Random(seed)
    statuses = lead_status_ids(rng)
    end = now or utcnow()
    return [_lead(rng, statuses, organization_id, user_id, end) for _ in range(count)]


def _lead(
    rng: random.Random,
    statuses: dict[str, str],
    organization_id: str,
    user_id: str,
    end: datetime,
) -> dict[str, Any]:
    name = _company_name(rng)
    created = end - timedelta(seconds=rng.randint(3600, 3 * 365 * 86400))
    updated = created + timedelta(seconds=rng.randint(0, int((end - created).total_seconds())))
    lead_id = new_id("lead_", rng)
    domain = "".join(ch for ch in name.split(" ")[0].lower() if ch.isalnum()) + ".example.com"
    # Roughly 5% of leads have no contact and 10% of contacts have no email, so that
    # `contact_preference` and "nothing to subscribe" paths are exercised.
    n_contacts = 0 if rng.random() < 0.05 else rng.choice((1, 1, 1, 2, 2, 3, 4))
    contacts = [
        _contact(rng, lead_id, domain, organization_id, user_id, created, end)
        for _ in range(n_contacts)
    ]
    label = rng.choice(LEAD_STATUSES)
    return {
        "id": lead_id,
        "name": name,
        "display_name": name,
        "description": f"{rng.choice(_COMPANY_SECOND)} company found via {rng.choice(_SOURCES)}.",
        "url": f"https://{domain}",
        "status_id": statuses[label],
        "status_label": label,
        "organization_id": organization_id,
        "created_by": user_id,
        "updated_by": user_id,
        "date_created": offset_timestamp(created),
        "date_updated": offset_timestamp(updated),
        "contacts": contacts,
        "addresses": [],
        "opportunities": [],
        "tasks": [],
        "custom": {},
    }


_SOURCES = ("a webinar", "a referral", "LinkedIn", "a trade show", "the website", "cold outreach")


def _company_name(rng: random.Random) -> str:
    parts = [rng.choice(_COMPANY_FIRST), rng.choice(_COMPANY_SECOND), rng.choice(_SUFFIXES)]
    return " ".join(p for p in parts if p)


def _contact(
    rng: random.Random,
    lead_id: str,
    domain: str,
    organization_id: str,
    user_id: str,
    lead_created: datetime,
    end: datetime,
) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    created = lead_created + timedelta(
        seconds=rng.randint(0, int((end - lead_created).total_seconds()))
    )
    emails = []
    if rng.random() >= 0.1:
        emails.append({"type": "office", "email": f"{first}.{last}@{domain}".lower()})
        if rng.random() < 0.2:
            emails.append(
                {
                    "type": rng.choice(_EMAIL_TYPES),
                    "email": f"{first}{rng.randint(1, 99)}@mail.test",
                }
            )
    phones = [{"type": "office", "phone": f"+1555{rng.randint(1000000, 9999999)}"}]
    return {
        "id": new_id("cont_", rng),
        "lead_id": lead_id,
        "name": f"{first} {last}",
        "display_name": f"{first} {last}",
        "title": rng.choice(_TITLES),
        "emails": emails,
        "phones": phones,
        "urls": [],
        "organization_id": organization_id,
        "created_by": user_id,
        "updated_by": user_id,
        "date_created": offset_timestamp(created),
        "date_updated": offset_timestamp(created),
    }
