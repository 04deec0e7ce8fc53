"""Grant.require_mfa became a level: existing true and false grants keep their meaning."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("federation", "0005_role_method")]
AFTER = [("federation", "0007_grant_require_mfa_level")]


@pytest.mark.django_db(transaction=True)
def test_true_becomes_any_and_false_stays_off():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    account = old.get_model("federation", "AwsAccount").objects.create(account_id="123456789012", name="A")
    role = old.get_model("federation", "Role").objects.create(
        alias="r", account=account, arn="arn:aws:iam::123456789012:role/R"
    )
    Group, Grant = old.get_model("auth", "Group"), old.get_model("federation", "Grant")
    Grant.objects.create(group=Group.objects.create(name="strict"), role=role, require_mfa=True)
    Grant.objects.create(group=Group.objects.create(name="lax"), role=role, require_mfa=False)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps.get_model("federation", "Grant")
    assert dict(new.objects.values_list("group__name", "require_mfa")) == {"strict": "any", "lax": ""}
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
