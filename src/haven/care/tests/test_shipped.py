"""The treatment models Haven ships survive a flush, as a browser test's or an operator's would do."""

import pytest
from django.core.management import call_command

from haven.care.models import SHIPPED_TREATMENT_MODELS, TreatmentModel


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_still_has_the_shipped_treatment_models() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert sorted(TreatmentModel.objects.values_list("code", flat=True)) == sorted(
        row["code"] for row in SHIPPED_TREATMENT_MODELS
    )
    TreatmentModel.objects.filter(code="tf-cbt").update(remeasure_days=60)  # a program's own change is kept
    call_command("migrate", verbosity=0)
    assert TreatmentModel.objects.get(code="tf-cbt").remeasure_days == 60
