"""Favourite and recently used roles, one row per person and role."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class FavouriteRole(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourite_roles"
    )
    role = models.ForeignKey("federation.Role", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_favourite_per_user_role")]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} ★ {self.role}"


class RecentRole(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recent_roles")
    role = models.ForeignKey("federation.Role", on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_recent_per_user_role")]
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.user} used {self.role} at {self.used_at:%Y-%m-%d %H:%M}"
