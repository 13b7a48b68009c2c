"""The default French social-mediation nomenclature, seeded by a data migration."""

# The default French social-mediation nomenclature: (code, label, [(type code, type label), ...]).
CATEGORIES = [
    ("presence-active", "Présence active de proximité", [
        ("tournee-pied", "Tournée à pied"),
        ("presence-hall", "Présence en pied d'immeuble et halls"),
        ("presence-transport", "Présence aux arrêts et dans les transports"),
        ("presence-evenement", "Présence lors d'un événement de quartier"),
    ]),
    ("conflits", "Prévention et gestion des conflits", [
        ("conflit-voisinage-bruit", "Conflit de voisinage : bruit"),
        ("conflit-voisinage-animaux", "Conflit de voisinage : animaux"),
        ("conflit-voisinage-stationnement", "Conflit de voisinage : stationnement"),
        ("conflit-espace-public", "Conflit dans l'espace public"),
        ("mediation-intergenerationnelle", "Médiation intergénérationnelle"),
    ]),
    ("occupation-espaces", "Occupation des espaces communs", [
        ("occupation-hall", "Occupation de hall"),
        ("occupation-cage-escalier", "Occupation de cage d'escalier"),
        ("occupation-parking", "Occupation de parking ou de cave"),
        ("rassemblement-espace-public", "Rassemblement dans l'espace public"),
    ]),
    ("incivilites", "Incivilités et dégradations", [
        ("depot-sauvage", "Dépôt sauvage"),
        ("degradation", "Dégradation de matériel"),
        ("tag-graffiti", "Tag ou graffiti"),
        ("jet-ordures", "Jet d'ordures par les fenêtres"),
    ]),
    ("veille-technique", "Veille technique", [
        ("signalement-eclairage", "Signalement d'éclairage"),
        ("signalement-ascenseur", "Signalement d'ascenseur"),
        ("signalement-porte-acces", "Signalement de porte ou contrôle d'accès"),
        ("signalement-voirie", "Signalement de voirie ou de mobilier urbain"),
        ("signalement-proprete", "Signalement de propreté"),
    ]),
    ("veille-sociale", "Veille sociale", [
        ("personne-isolee", "Personne isolée ou vulnérable"),
        ("personne-sans-abri", "Personne sans abri"),
        ("situation-detresse", "Situation de détresse"),
    ]),
    ("orientation", "Mise en relation et orientation", [
        ("orientation-ccas", "Orientation vers le CCAS"),
        ("orientation-france-services", "Orientation vers France Services"),
        ("orientation-bailleur", "Orientation vers le bailleur"),
        ("orientation-association", "Orientation vers une association"),
    ]),
    ("information", "Information et sensibilisation", [
        ("information-tri", "Sensibilisation au tri des déchets"),
        ("information-droits", "Information sur l'accès aux droits"),
        ("information-tranquillite", "Sensibilisation à la tranquillité résidentielle"),
    ]),
    ("concertation", "Concertation et facilitation", [
        ("reunion-habitants", "Réunion d'habitants"),
        ("facilitation-projet", "Facilitation d'un projet de quartier"),
        ("liaison-amicale-locataires", "Lien avec l'amicale de locataires"),
    ]),
    ("assistance", "Assistance aux personnes", [
        ("aide-demarches", "Aide aux démarches"),
        ("accompagnement-physique", "Accompagnement physique"),
        ("premiers-secours", "Alerte des secours"),
    ]),
]

THEMES = [
    ("tranquillite", "Tranquillité résidentielle"),
    ("cadre-de-vie", "Cadre de vie"),
    ("proprete", "Propreté"),
    ("jeunesse", "Jeunesse"),
    ("seniors", "Seniors"),
    ("acces-aux-droits", "Accès aux droits"),
    ("sante", "Santé"),
    ("securite-routiere", "Sécurité routière"),
    ("lien-social", "Lien social"),
]

PARTNERS = [
    ("bailleur", "Bailleur"),
    ("police-municipale", "Police municipale"),
    ("ccas", "CCAS"),
    ("services-sociaux", "Services sociaux"),
    ("france-services", "France Services"),
    ("associations", "Associations"),
    ("services-techniques", "Services techniques de la ville"),
]

OUTCOMES = [
    ("resolu", "Résolu"),
    ("apaise", "Apaisé"),
    ("oriente", "Orienté vers un partenaire"),
    ("suivi-necessaire", "Suivi nécessaire"),
    ("non-resolu", "Non résolu"),
]


def seed_default_nomenclature(apps):
    """Create the default nomenclature rows that are missing; `apps` is a migration
    state or django.apps.apps."""
    Category = apps.get_model("interventions", "Category")
    InterventionType = apps.get_model("interventions", "InterventionType")
    for position, (code, label, types) in enumerate(CATEGORIES):
        category, _ = Category.objects.get_or_create(
            organisation=None, code=code, defaults={"label": label, "position": position}
        )
        for type_position, (type_code, type_label) in enumerate(types):
            InterventionType.objects.get_or_create(
                organisation=None,
                code=type_code,
                defaults={
                    "label": type_label,
                    "category": category,
                    "position": type_position,
                },
            )
    for model_name, rows in (("Theme", THEMES), ("Partner", PARTNERS), ("Outcome", OUTCOMES)):
        model = apps.get_model("interventions", model_name)
        for position, (code, label) in enumerate(rows):
            model.objects.get_or_create(
                organisation=None, code=code, defaults={"label": label, "position": position}
            )
