"""Fault injection: what the broker does when AWS, Redis, the database or a worker fails, and
under abuse. One test per fault; the README's and THREAT_MODEL.md's fault tables say the same."""
