"""Just-in-time elevation: eligible grants, access requests, approvals, and their end.

A grant with an ``ApprovalRule`` is *eligible*: its role is usable only
while an approved ``AccessRequest`` is active. The modules, one job each:

- ``models``: the rule, the request, its approvals, its history, the outbox;
- ``states``: the states and the allowed transitions, each a function that
  checks, writes and audits in one transaction (the only writer of requests);
- ``stepup``: the fresh second factor an approver shows;
- ``denial``: the AWS side of an early end (a deny on the role for the
  person's sessions issued before it), and its cleanup;
- ``notify``: email and Apprise targets, through an outbox retried by Celery;
- ``views``, ``api``, ``admin``: thin adapters that only call ``states``.
"""
