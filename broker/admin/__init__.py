"""The broker app's admin: the audit trail, API clients and tokens.

Django's autodiscovery imports ``broker.admin``; importing the modules below
registers their ModelAdmins. The pieces other admins reuse (the read-only
base, the list filters, the linked-identities inline) are modules of their
own here, imported where they are used.
"""

from broker.admin import audittrail  # noqa: F401
from broker.apitokens import admin as apitokens_admin  # noqa: F401
