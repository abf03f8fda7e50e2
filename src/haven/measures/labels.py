"""Plain-language names of the measures' codes. A new instrument, band, anchor or subscale adds its label here
(a test checks that every code in the shipped definitions has one)."""

from django.utils.translation import gettext_lazy as _

INSTRUMENT_LABELS = {
    "cats_7_17_self": _("CATS 7-17 (self-report)"),
    "cats_7_17_caregiver": _("CATS 7-17 (caregiver report)"),
    "cats_3_6_caregiver": _("CATS 3-6 (caregiver report)"),
    "smfq_child": _("SMFQ (child report)"),
    "smfq_parent": _("SMFQ (parent report)"),
    "phq_a": _("PHQ-A (self-report)"),
}

INFORMANT_LABELS = {
    "child": _("Child"),
    "caregiver": _("Caregiver"),
}

GROUP_LABELS = {
    "trauma": _("Traumatic events"),
    "symptom": _("Symptoms"),
    "impairment": _("Impairment"),
}

BAND_LABELS = {
    # CATS (scoring tip sheet)
    "normal": _("Normal range"),
    "moderate": _("Moderate"),
    "probable_ptsd": _("Probable PTSD"),
    # SMFQ (split at the cut-off)
    "not_elevated": _("Below the cut-off"),
    "elevated": _("Elevated"),
    # PHQ-A
    "minimal": _("None or minimal"),
    "mild": _("Mild"),
    "moderately_severe": _("Moderately severe"),
    "severe": _("Severe"),
}

SUBSCALE_LABELS = {
    "B": _("Intrusion (B)"),
    "C": _("Avoidance (C)"),
    "D": _("Negative thoughts and mood (D)"),
    "E": _("Arousal and reactivity (E)"),
}

ANCHOR_LABELS = {
    "no": _("No"),
    "yes": _("Yes"),
    # CATS
    "never": _("Never"),
    "once_in_a_while": _("Once in a while"),
    "half_the_time": _("Half the time"),
    "almost_always": _("Almost always"),
    # SMFQ
    "not_true": _("Not true"),
    "sometimes": _("Sometimes"),
    "true": _("True"),
    # PHQ-A
    "not_at_all": _("Not at all"),
    "several_days": _("Several days"),
    "more_than_half_the_days": _("More than half the days"),
    "nearly_every_day": _("Nearly every day"),
}

CHANGE_LABELS = {
    "deteriorated": _("Reliably deteriorated"),
    "unchanged": _("No reliable change"),
    "improved": _("Reliably improved"),
    "recovered": _("Recovered"),
}

SD_SOURCE_LABELS = {
    "published": _("Published SD"),
    "program baseline": _("Program's baseline SD"),
}

PROBABLE_PTSD_LABEL = _("Probable PTSD (screening heuristic, not a diagnosis)")
