"""Plain-language names of the measures' codes. A new instrument, band, anchor, subscale or item topic adds its
label here (a test checks that every code in the shipped definitions has one). Item topics are Haven's own neutral
wording of what an item asks, never an instrument's copyrighted text."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .instruments import Item

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
    "supplementary": _("Supplementary questions (not part of the total)"),
}

ITEM_TOPIC_LABELS = {
    # PHQ-A: item 9 and the four supplementary questions.
    "self_harm_thoughts": _("Thoughts of self-harm"),
    "low_mood_past_year": _("Depressed or irritable most days over the past year"),
    "daily_life_difficulty": _("How hard these problems made daily life"),
    "suicidal_thoughts_past_month": _("Serious thoughts of ending their life in the past month"),
    "suicide_attempt_ever": _("Ever attempted suicide"),
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
    # PHQ-A supplementary: how hard the problems made daily life
    "somewhat": _("Somewhat"),
    "very": _("Very"),
    "extremely": _("Extremely"),
}

CHANGE_LABELS = {
    "deteriorated": _("Reliably deteriorated"),
    "unchanged": _("No reliable change"),
    "improved": _("Reliably improved"),
    "recovered": _("Recovered"),
}

# Why one child's change is not judged (``change.NotJudged``), as the chart's table says it.
NOT_JUDGED_LABELS = {
    "no_reliability": _("Not judged: no reliability coefficient is published for this version"),
    "no_sd": _("Not judged: too few baseline scores in the program to estimate the SD"),
    "no_baseline": _("Not judged: no baseline measure before this one"),
}

# The threshold of clinically significant change (Jacobson and Truax), as the outcome tables name it.
CRITERION_LABELS = {
    "a": _("criterion a: two SDs beyond the clinical mean"),
    "b": _("criterion b: within two SDs of the community mean"),
    "c": _("criterion c: between the clinical and community means"),
    "cutoff": _("the published cut-off"),
    "none": _("none: no published cut-off"),
}

RELIABILITY_KIND_LABELS = {
    "test-retest": _("test-retest reliability"),
    "internal consistency": _("internal consistency"),
}

SD_SOURCE_LABELS = {
    "published": _("Published SD"),
    "program baseline": _("Program's baseline SD"),
}


def item_name(item: Item) -> str:
    """How a page names an item: its number, and its topic in Haven's words where it has one."""
    if item.group == "supplementary":
        name = gettext("Supplementary question %(number)s") % {"number": item.number}
    else:  # within its group, as on the paper form
        name = gettext("Item %(number)s") % {"number": item.number}
    topic = ITEM_TOPIC_LABELS.get(item.topic or "")
    return f"{name}: {topic}" if topic else name
