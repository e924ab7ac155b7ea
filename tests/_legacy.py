"""Documents as versions 2 and earlier wrote a partner: its state, with the histories. The
library still reads them (turned into events); the tests forge them as another program may."""

from __future__ import annotations

import json
from typing import Any

from partner_onboarding import to_json
from partner_onboarding.model import Partner
from partner_onboarding.serde import to_data


def state_data(partner: Partner) -> dict[str, Any]:
    """What a version 2 document held as a partner's ``data``."""
    return {
        "account": to_data(partner.account),
        "roles_granted": [to_data(grant) for grant in partner.roles_granted],
        "registration_market": partner.registration_market.code,
        "agency_type": partner.agency_type.value,
        "entity": None if partner.entity is None else to_data(partner.entity),
        "applications": [to_data(application) for application in partner.applications],
        "authorizations": [to_data(authorization) for authorization in partner.authorizations],
    }


def state_document(partner: Partner) -> dict[str, Any]:
    """A version 2 document of ``partner`` (as a JSON object)."""
    envelope: dict[str, Any] = json.loads(to_json(partner))
    return {
        "version": 2,
        "type": "Partner",
        "catalog": None if envelope["catalog"] is None else envelope["catalog"].split("#")[0],
        "data": state_data(partner),
    }
