# The foundation's 0001 made the review a foreign key to safeguarding's Submission, while the model keeps its id
# (a pillar reads another only through its selectors): the field becomes the plain id the model declares.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('awareness', '0002_e_calendar'),
        ('organizations', '0003_alter_invitation_role_alter_membership_role'),
        ('programs', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='campaign',
            name='campaign_minors_live_needs_review',
        ),
        migrations.RemoveField(
            model_name='campaign',
            name='review',
        ),
        migrations.AddField(
            model_name='campaign',
            name='review_id',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='creative review'),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.CheckConstraint(condition=models.Q(('review_id__isnull', True), ('shows_minors', True), ('status', 'live'), _negated=True), name='campaign_minors_live_needs_review'),
        ),
    ]
