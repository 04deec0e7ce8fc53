"""Repeat use of the portal: a person's favourite roles and the roles they used last.

Both are kept per person on the server (so they follow the person to another
browser or phone) and only ever name roles: the access decision is still
taken on every use, so a favourite whose grant was removed simply stops
being shown.
"""
