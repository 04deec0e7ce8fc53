"""Grant.require_mfa becomes a level: "" (no), "any" second factor, or "webauthn" (a passkey).

Existing grants keep their meaning: true becomes "any", false becomes "".
"""

from django.db import migrations, models


def to_levels(apps, schema_editor):
    Grant = apps.get_model("federation", "Grant")
    Grant.objects.filter(require_mfa_old=True).update(require_mfa="any")


def to_flags(apps, schema_editor):
    Grant = apps.get_model("federation", "Grant")
    Grant.objects.exclude(require_mfa="").update(require_mfa_old=True)


class Migration(migrations.Migration):
    dependencies = [
        ("federation", "0006_favourite_and_recent_roles"),
    ]

    operations = [
        migrations.RenameField("grant", "require_mfa", "require_mfa_old"),
        migrations.AddField(
            model_name="grant",
            name="require_mfa",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "No"),
                    ("any", "Any second factor (passkey, authenticator app, recovery code, or the IdP's MFA)"),
                    ("webauthn", "A passkey or security key (phishing-resistant)"),
                ],
                default="",
                help_text="What second factor people must have shown to use the role through this grant.",
                max_length=8,
                verbose_name="require MFA",
            ),
        ),
        migrations.RunPython(to_levels, to_flags),
        migrations.RemoveField("grant", "require_mfa_old"),
    ]
