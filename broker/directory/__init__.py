"""Directory sign-in: LDAP and Active Directory through django-auth-ldap.

``config`` turns the ``AUTH_LDAP_*`` environment variables into settings,
``backend`` signs people in and mirrors their groups and attributes,
``recheck`` asks the directory again before credentials are issued, and
``forms`` tells the user when the directory, not their password, failed.

Naming follows django-auth-ldap: ``_dn`` is a DN string, ``ldap_user`` is
its ``_LDAPUser`` (the entry's ``attrs`` and ``group_names``), ``user`` is
the Django user.
"""
