"""Writes to contracts: create and change them, activate, terminate and renew them, attach their files, and the
background work of renewal reminders and expiry; every milestone goes on the customer's timeline.

Callers import from here; the modules split the work: `editing` (the contract itself), `files` (its documents),
`renewals` (renewal by hand and at the end of the term, reminders, expiry) and `common` (what they share).
"""

from peyvand.sales.services.contracts.common import EDITABLE, RENEWABLE
from peyvand.sales.services.contracts.editing import (
    CREATE_FIELDS,
    EDIT_FIELDS,
    MAX_NOTICE_DAYS,
    contract_activate,
    contract_create,
    contract_terminate,
    contract_update,
)
from peyvand.sales.services.contracts.files import (
    FILE_KINDS,
    MAX_FILE_BYTES,
    check_upload,
    contract_file_add,
    contract_file_remove,
)
from peyvand.sales.services.contracts.renewals import (
    contract_renew,
    contract_renewals_remind,
    contracts_expire,
    renewal_term,
)

__all__ = [
    "CREATE_FIELDS",
    "EDITABLE",
    "EDIT_FIELDS",
    "FILE_KINDS",
    "MAX_FILE_BYTES",
    "MAX_NOTICE_DAYS",
    "RENEWABLE",
    "check_upload",
    "contract_activate",
    "contract_create",
    "contract_file_add",
    "contract_file_remove",
    "contract_renew",
    "contract_renewals_remind",
    "contract_terminate",
    "contract_update",
    "contracts_expire",
    "renewal_term",
]
