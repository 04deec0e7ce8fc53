"""Role.method becomes a stored choice (saml and web_identity join the two it was derived from),
and accounts gain the IAM SAML provider that saml roles name in their assertions."""

from django.db import migrations, models


def derive_methods(apps, schema_editor):
    """Existing roles keep what their ARN implied: assume_role with an ARN, else federation_token."""
    Role = apps.get_model("federation", "Role")
    Role.objects.exclude(arn="").update(method="assume_role")
    Role.objects.filter(arn="").update(method="federation_token")


class Migration(migrations.Migration):
    dependencies = [
        ("federation", "0004_account_admin_role_arn"),
    ]

    operations = [
        migrations.AddField(
            model_name="awsaccount",
            name="saml_provider_arn",
            field=models.CharField(
                blank=True,
                help_text="The IAM SAML provider that trusts this broker's signing certificate "
                "(arn:aws:iam::<account>:saml-provider/<name>); needed by saml roles. "
                "`manage.py awssamlprovider` creates it.",
                max_length=2048,
                verbose_name="SAML provider ARN",
            ),
        ),
        migrations.AddField(
            model_name="role",
            name="method",
            field=models.CharField(
                blank=True,
                choices=[
                    ("assume_role", "AssumeRole (the broker's AWS credentials)"),
                    ("federation_token", "GetFederationToken (the broker's IAM user keys)"),
                    ("saml", "AssumeRoleWithSAML (keyless: the broker signs a SAML assertion)"),
                    ("web_identity", "AssumeRoleWithWebIdentity (the person's own OIDC ID token)"),
                ],
                help_text="How the broker obtains the session. Empty: assume_role when a role ARN is set, "
                "else federation_token. saml needs the account's SAML provider ARN and no AWS keys in the "
                "broker.",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="role",
            name="arn",
            field=models.CharField(
                blank=True,
                help_text="Set for AssumeRole, saml and web identity roles; leave empty for GetFederationToken.",
                max_length=2048,
                verbose_name="role ARN",
            ),
        ),
        migrations.RunPython(derive_methods, migrations.RunPython.noop),
    ]
