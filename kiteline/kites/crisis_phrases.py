"""The shipped crisis phrase list, version v1: plain data, built into a `PhraseList` by
`kiteline.kites.crisis.default_phrase_list`.

Each row is (id, language, pattern, variants). Patterns and variants are matched after
normalisation (see `crisis.normalise`), so accents, capitals, curly apostrophes, spacing and
stretched letters need no variants; spellings without an apostrophe ("cant") and common
misspellings do. A published list never changes: a supervisor's additions make a new
version, and ids are never reused (each recorded signal names its id and version).
"""

from typing import Literal

VERSION = "v1"

type Row = tuple[str, Literal["en", "es"], str, tuple[str, ...]]

PHRASES: tuple[Row, ...] = (
    # English
    (
        "en-want-to-die",
        "en",
        "want to die",
        ("wanna die", "wana die", "want 2 die", "wanted to die", "want to be dead"),
    ),
    (
        "en-kill-myself",
        "en",
        "kill myself",
        ("kil myself", "kill my self", "killing myself", "killin myself", "kill meself"),
    ),
    ("en-end-my-life", "en", "end my life", ("ending my life", "end my own life")),
    (
        "en-take-my-life",
        "en",
        "take my own life",
        ("take my life", "taking my own life", "taking my life"),
    ),
    ("en-end-it-all", "en", "end it all", ("ending it all",)),
    (
        "en-end-it",
        "en",
        "want to end it",
        ("wanna end it", "going to end it", "gonna end it", "just end it", "end it tonight"),
    ),
    (
        "en-no-reason-to-live",
        "en",
        "no reason to live",
        ("no reason 2 live", "nothing to live for", "no reason for living"),
    ),
    (
        "en-no-point-living",
        "en",
        "no point in living",
        ("no point living", "no point to living", "what's the point of living"),
    ),
    ("en-better-off-dead", "en", "better off dead", ("better of dead",)),
    ("en-better-off-without-me", "en", "better off without me", ("better of without me",)),
    (
        "en-dont-want-to-live",
        "en",
        "don't want to live",
        (
            "dont want to live",
            "do not want to live",
            "don't wanna live",
            "dont wanna live",
            "don't want to be alive",
            "dont want to be alive",
        ),
    ),
    (
        "en-wish-i-was-dead",
        "en",
        "wish i was dead",
        ("wish i were dead", "wish i was never born", "wish i wasn't alive", "wish i wasnt alive"),
    ),
    ("en-tired-of-living", "en", "tired of living", ("tired of being alive",)),
    (
        "en-hurt-myself",
        "en",
        "hurt myself",
        ("hurt my self", "hurting myself", "harm myself", "harming myself"),
    ),
    ("en-self-harm", "en", "self harm", ("self harming", "selfharm")),
    ("en-cut-myself", "en", "cut myself", ("cut my self", "cutting myself")),
    (
        "en-wrists",
        "en",
        "cut my wrists",
        ("cutting my wrists", "slit my wrists", "slitting my wrists"),
    ),
    (
        "en-hang-myself",
        "en",
        "hang myself",
        ("hang my self", "hanging myself", "hung myself"),
    ),
    ("en-noose", "en", "noose", ()),
    (
        "en-jump-off-tier",
        "en",
        "jump off the tier",
        (
            "jumping off the tier",
            "jump off the top tier",
            "jumping off the top tier",
            "jump off the rail",
            "jump over the rail",
        ),
    ),
    ("en-overdose", "en", "overdose", ("overdosed", "overdosing", "od on")),
    (
        "en-all-my-pills",
        "en",
        "take all my pills",
        ("taking all my pills", "swallow all my pills", "saving my pills", "saving up my pills"),
    ),
    ("en-cant-go-on", "en", "can't go on", ("cant go on", "cannot go on", "can not go on")),
    (
        "en-cant-take-it",
        "en",
        "can't take it anymore",
        ("cant take it anymore", "can't do this anymore", "cant do this anymore"),
    ),
    ("en-never-wake-up", "en", "never wake up", ("not wake up", "not to wake up")),
    ("en-suicide", "en", "suicide", ("suicde", "sucide", "suiside", "suicid")),
    ("en-suicidal", "en", "suicidal", ("sucidal", "suicidle", "suisidal")),
    # Spanish
    (
        "es-quiero-morir",
        "es",
        "quiero morir",
        (
            "quiero morirme",
            "me quiero morir",
            "kiero morir",
            "qiero morir",
            "quisiera morir",
            "quisiera morirme",
            "ganas de morir",
            "ganas de morirme",
        ),
    ),
    ("es-matarme", "es", "matarme", ("me quiero matar", "me voy a matar", "me kiero matar")),
    (
        "es-quitarme-la-vida",
        "es",
        "quitarme la vida",
        ("quitarme la bida", "me quiero quitar la vida", "me voy a quitar la vida"),
    ),
    (
        "es-no-quiero-vivir",
        "es",
        "no quiero vivir",
        (
            "no kiero vivir",
            "no quiero seguir viviendo",
            "no quiero estar vivo",
            "no quiero estar viva",
            "no quiero seguir vivo",
            "no quiero seguir viva",
        ),
    ),
    (
        "es-no-vale-la-pena",
        "es",
        "no vale la pena vivir",
        ("no vale la pena seguir viviendo", "la vida no vale la pena"),
    ),
    (
        "es-sin-razon-para-vivir",
        "es",
        "no tengo razon para vivir",
        (
            "no tengo razones para vivir",
            "sin razon para vivir",
            "nada por que vivir",
            "nada porque vivir",
        ),
    ),
    (
        "es-vida-sin-sentido",
        "es",
        "vida no tiene sentido",
        ("vida ya no tiene sentido", "no tiene sentido vivir"),
    ),
    (
        "es-cansado-de-vivir",
        "es",
        "cansado de vivir",
        ("cansada de vivir", "harto de vivir", "harta de vivir"),
    ),
    (
        "es-mejor-muerto",
        "es",
        "mejor muerto",
        ("mejor muerta", "mejor estar muerto", "mejor estar muerta"),
    ),
    (
        "es-mejor-sin-mi",
        "es",
        "estarian mejor sin mi",
        ("estaria mejor sin mi", "estan mejor sin mi"),
    ),
    (
        "es-hacerme-dano",
        "es",
        "hacerme daño",
        ("hacerme danio", "me hago daño", "me voy a hacer daño", "me quiero hacer daño"),
    ),
    (
        "es-lastimarme",
        "es",
        "lastimarme",
        ("lastimandome", "me quiero lastimar", "me voy a lastimar"),
    ),
    (
        "es-cortarme",
        "es",
        "cortarme",
        ("cortandome", "me estoy cortando", "me voy a cortar", "me quiero cortar"),
    ),
    (
        "es-ahorcarme",
        "es",
        "ahorcarme",
        (
            "aorcarme",
            "ahorcandome",
            "me voy a ahorcar",
            "me quiero ahorcar",
            "me quiero colgar",
            "me voy a colgar",
        ),
    ),
    (
        "es-suicidarme",
        "es",
        "suicidarme",
        ("suisidarme", "me voy a suicidar", "me quiero suicidar"),
    ),
    ("es-suicidio", "es", "suicidio", ("suisidio", "sucidio")),
    ("es-suicida", "es", "suicida", ("suicidas", "suisida")),
    ("es-sobredosis", "es", "sobredosis", ("sobre dosis",)),
    (
        "es-pastillas",
        "es",
        "tomarme todas las pastillas",
        ("tomar todas mis pastillas", "guardando mis pastillas", "juntando mis pastillas"),
    ),
    (
        "es-acabar-con-mi-vida",
        "es",
        "acabar con mi vida",
        ("terminar con mi vida", "poner fin a mi vida", "ponerle fin a mi vida"),
    ),
    ("es-acabar-con-todo", "es", "acabar con todo", ("terminar con todo",)),
    ("es-ya-no-puedo-mas", "es", "ya no puedo mas", ("ya no aguanto mas",)),
    ("es-desaparecer", "es", "quiero desaparecer", ("quisiera desaparecer",)),
    ("es-dejar-de-existir", "es", "dejar de existir", ()),
    (
        "es-no-despertar",
        "es",
        "no volver a despertar",
        ("dormir y no despertar", "nunca despertar"),
    ),
)
