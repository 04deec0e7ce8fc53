"""The federation app's admin, one module per page or concern.

Django's autodiscovery imports ``federation.admin``; importing the modules
below registers their ModelAdmins on the admin site (accounts, roles, groups
and users with their grants, grants with their approval rule, the issuance
ledger). The helpers they share (form fields, forms, the step-up base class,
the revocation actions, the grants-file pages) are imported by those modules.
"""

from federation.admin import accounts, grants, groups, issuance, roles, users  # noqa: F401
