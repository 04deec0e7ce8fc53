"""Project package and identity app: who is asking for AWS access?"""

from broker.celery import app as celery_app

__all__ = ["celery_app"]
