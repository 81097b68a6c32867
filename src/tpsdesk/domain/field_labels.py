"""Labels of the officer fields, for messages and forms (translated with _() when shown)."""

from __future__ import annotations

from tpsdesk.i18n import N_

OFFICER_FIELD_LABELS: dict[str, str] = {
    "nik": N_("NIK"),
    "name": N_("Name"),
    "birth_place": N_("Place of birth"),
    "birth_date": N_("Date of birth"),
    "sex": N_("Sex"),
    "address": N_("Address"),
    "postcode": N_("Postcode"),
    "phone": N_("Phone number"),
    "email": N_("E-mail"),
    "mother_name": N_("Mother's maiden name"),
    "marital_status": N_("Marital status"),
    "post_code": N_("Post"),
    "duty_start": N_("Duty start"),
    "duty_end": N_("Duty end"),
}
