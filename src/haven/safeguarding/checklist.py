"""The pre-publication checklist, version 1, from ``reference/safeguarding.md`` (CAP, ASA, ICC, French labour law,
New York's child performer rules, UNICEF and NSPCC guidance). Each item is answered yes (it holds), no (it fails,
with a note) or not applicable. This module is the data a migration installs; a later version is a new tuple and a
new migration, and reviews keep the version they were answered against.

``minors_only`` False marks the items that apply to every submission, minors shown or not (copy, targeting,
metadata).
"""

from typing import NamedTuple


class Item(NamedTuple):
    code: str
    section: str
    text_en: str
    text_fr: str
    minors_only: bool = True


VERSION = 1
PUBLISHED_ON = "2026-11-30"
SOURCE = "reference/safeguarding.md"

ITEMS: tuple[Item, ...] = (
    Item(
        "A1",
        "A",
        "Every person's age is proven by ID; nobody under 16 is shown as an adult, nobody under 18 represents an "
        "adult.",
        "L'âge de chaque personne est prouvé par une pièce d'identité ; aucune personne de moins de 16 ans n'est "
        "présentée comme adulte, aucune de moins de 18 ans ne représente un adulte.",
        minors_only=False,
    ),
    Item(
        "A2",
        "A",
        "France, under 16: the préfet's authorisation (or an agency with the child approval), the written agreement "
        "of a child over 13, the parents' consent and a medical examination are on file.",
        "France, moins de 16 ans : l'autorisation du préfet (ou une agence titulaire de l'agrément enfants), l'accord "
        "écrit de l'enfant de plus de 13 ans, le consentement des parents et la visite médicale sont au dossier.",
    ),
    Item(
        "A3",
        "A",
        "France: the share of pay set by the préfet is deposited with the Caisse des Dépôts until the child's "
        "majority.",
        "France : la part de rémunération fixée par le préfet est versée à la Caisse des Dépôts jusqu'à la majorité "
        "de l'enfant.",
    ),
    Item(
        "A4",
        "A",
        "France: working hours stay within the limits for the child's age (from 1 h a week under 6 months to 6 h a "
        "week at 12-16), on Wednesdays and Saturdays in school weeks, never on a Sunday.",
        "France : les heures de travail respectent les limites de l'âge de l'enfant (d'1 h par semaine avant 6 mois à "
        "6 h par semaine de 12 à 16 ans), le mercredi et le samedi en période scolaire, jamais le dimanche.",
    ),
    Item(
        "A5",
        "A",
        "New York: a child performer permit, 15% of gross pay to the child's trust, a responsible person for a child "
        "under 16 and the hour limits.",
        "New York : permis d'enfant artiste, 15 % de la rémunération brute sur le compte de l'enfant, une personne "
        "responsable pour un enfant de moins de 16 ans et les limites horaires.",
    ),
    Item(
        "A6",
        "A",
        "Aged 16-18: no work between 22:00 and 06:00 (no minor past midnight), a chaperone present, schooling kept.",
        "De 16 à 18 ans : pas de travail entre 22 h et 6 h (aucun mineur après minuit), un accompagnateur présent, la "
        "scolarité maintenue.",
    ),
    Item(
        "A7",
        "A",
        "Any nudity or change of look was explicitly agreed; a private changing area; nobody alone with crew while "
        "undressing.",
        "Toute nudité ou tout changement d'apparence a été expressément accepté ; un espace privé pour se changer ; "
        "personne seul avec l'équipe en se déshabillant.",
    ),
    Item(
        "A8",
        "A",
        "The guardian's release and the child's own assent cover each use of the images.",
        "L'autorisation du représentant légal et l'assentiment de l'enfant couvrent chaque utilisation des images.",
    ),
    Item(
        "B1",
        "B",
        "No sexual portrayal: clothing, make-up, pose, gaze and text judged together; adults who look under 18 too.",
        "Aucune représentation sexualisée : tenue, maquillage, pose, regard et texte jugés ensemble ; y compris les "
        "adultes qui paraissent avoir moins de 18 ans.",
        minors_only=False,
    ),
    Item(
        "B2",
        "B",
        "No strangers, hazards or dangerous items without an adult, and no unsafe act a child could copy.",
        "Aucun inconnu, danger ou objet dangereux sans adulte, et aucun geste dangereux qu'un enfant pourrait imiter.",
    ),
    Item(
        "B3",
        "B",
        "Nothing that could harm a child mentally, morally or physically.",
        "Rien qui puisse nuire à un enfant mentalement, moralement ou physiquement.",
    ),
    Item(
        "B4",
        "B",
        "No sexualised or unrealistic body images, stereotypes or discrimination.",
        "Aucune image du corps sexualisée ou irréaliste, aucun stéréotype ni discrimination.",
    ),
    Item(
        "B5",
        "B",
        "The child's best interests and dignity come first: would you accept this for your own child?",
        "L'intérêt supérieur et la dignité de l'enfant passent en premier : l'accepteriez-vous pour votre propre "
        "enfant ?",
    ),
    Item(
        "C1",
        "C",
        "The prop and wardrobe list was approved against the brief: nothing adult, fetish, sexual or dangerous near a "
        "child.",
        "La liste des accessoires et des tenues a été approuvée au regard du brief : rien d'adulte, de fétichiste, de "
        "sexuel ou de dangereux près d'un enfant.",
    ),
    Item(
        "C2",
        "C",
        "All legible text was read at full size (papers, spines, screens, posters, labels): nothing on abuse, "
        "exploitation or court cases.",
        "Tout texte lisible a été lu en taille réelle (papiers, dos de livres, écrans, affiches, étiquettes) : rien "
        "sur des abus, l'exploitation ou des affaires judiciaires.",
        minors_only=False,
    ),
    Item(
        "C3",
        "C",
        "Suppliers delivered a prop manifest; unlisted items were removed; the final retouched file is signed off.",
        "Les fournisseurs ont remis un inventaire des accessoires ; les objets non listés ont été retirés ; le fichier "
        "final retouché est validé.",
        minors_only=False,
    ),
    Item(
        "C4",
        "C",
        "No grooming cues (for example a school uniform with copy addressed to older adults).",
        "Aucun signe de pédopiégeage (par exemple un uniforme scolaire avec un texte destiné à des adultes plus âgés).",
    ),
    Item(
        "D1",
        "D",
        "Captions, hashtags, alt text and file names carry no suggestive wording near a child.",
        "Les légendes, mots-dièse, textes alternatifs et noms de fichiers ne portent aucune formulation suggestive à "
        "proximité d'un enfant.",
        minors_only=False,
    ),
    Item(
        "D2",
        "D",
        "No direct exhortation to children to buy, or to ask adults to buy.",
        "Aucune incitation directe des enfants à acheter, ou à demander à des adultes d'acheter.",
        minors_only=False,
    ),
    Item(
        "E1",
        "E",
        "Products unsuitable for children are kept out of child-directed media.",
        "Les produits qui ne conviennent pas aux enfants sont tenus à l'écart des médias destinés aux enfants.",
        minors_only=False,
    ),
    Item(
        "E2",
        "E",
        "Sexually suggestive outdoor advertising is placed 100 m or more from schools.",
        "L'affichage extérieur suggestif est placé à 100 m ou plus des écoles.",
        minors_only=False,
    ),
    Item(
        "E3",
        "E",
        "Programmatic buying: the networks are known and the ad can be pulled from them.",
        "Achat programmatique : les réseaux sont connus et la publicité peut en être retirée.",
        minors_only=False,
    ),
    Item(
        "E4",
        "E",
        "No children as brand ambassadors or peer marketers.",
        "Aucun enfant ambassadeur de la marque ou prescripteur auprès de ses pairs.",
    ),
    Item(
        "E5",
        "E",
        "Data of children aged 12 or under: guidance to parents, and the child is asked to get a parent's permission.",
        "Données d'enfants de 12 ans ou moins : information des parents, et l'enfant est invité à obtenir "
        "l'autorisation d'un parent.",
        minors_only=False,
    ),
    Item(
        "E6",
        "E",
        "Nothing published could endanger the child, their siblings or peers, even anonymised.",
        "Rien de ce qui est publié ne peut mettre en danger l'enfant, ses frères et sœurs ou ses pairs, même "
        "anonymisé.",
    ),
    Item(
        "F1",
        "F",
        "EXIF and XMP metadata (GPS, device serial, capture time) are stripped from every file (Haven strips them on "
        "upload; check the files the channels receive).",
        "Les métadonnées EXIF et XMP (GPS, numéro de série de l'appareil, heure de prise de vue) sont retirées de "
        "chaque fichier (Haven les retire au dépôt ; vérifiez les fichiers transmis aux canaux).",
        minors_only=False,
    ),
    Item(
        "F2",
        "F",
        "No child's full name; neither the background nor the caption reveals a home, school, club or routine.",
        "Aucun nom complet d'enfant ; ni l'arrière-plan ni la légende ne révèlent un domicile, une école, un club ou "
        "des habitudes.",
    ),
)

# Watched by default in every company's list (each company edits its own): what the 2022 case had in the frame.
DEFAULT_WATCH_TERMS: tuple[tuple[str, str], ...] = (
    ("abuse", "C2"),
    ("abus", "C2"),
    ("pornography", "C2"),
    ("pornographie", "C2"),
    ("child sexual", "C2"),
    ("exploitation", "C2"),
    ("court", "C2: court documents"),
    ("v.", "C2: a case name (United States v. Williams)"),
    ("plaintiff", "C2: court documents"),
    ("defendant", "C2: court documents"),
    ("tribunal", "C2: court documents"),
    ("bondage", "C1"),
    ("fetish", "C1"),
    ("harness", "C1"),
    ("collar", "C1"),
    ("sexy", "D1"),
    ("school", "F2: a school named in the frame"),
    ("école", "F2: a school named in the frame"),
)
