# The first day an uploaded extract covers, declared with the upload (issue 15, item 8).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ristra_web', '0004_audit_append_only_everywhere'),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='extract_start',
            field=models.DateField(blank=True, help_text='the first day the extract covers, as the upload declared it',
                                   null=True),
        ),
    ]
