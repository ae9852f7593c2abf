"""Build tests/data/text_eval.jsonl, the labelled set for the text checks.

Run from the repository root: ``python tests/data/make_text_eval.py``. The output
is committed; this script documents how it was made and rebuilds it the same way
(seeded). Sources:

* clean English sentences: the English sentences of seeds 003 and 004 (real
  scraped news text, the glitched lines left out), hand-written news sentences,
  and hard negatives (names with accents, emoji, curly quotes, loanwords, glosses,
  URLs, Greek letters in science, ampersands, "<" in comparisons);
* glitched cases, one class each: generated from the clean sentences (mojibake via
  real encode/decode round trips, inserted U+FFFD / controls / surrogates /
  private-use characters, HTML entities and tags, emoji ZWJ sequences with their
  joiners stripped, NFD text, foreign-script words fused in) and hand-written ones
  (foreign-language sentences in 12 languages, web boilerplate lines in 7).

Each line: {"id", "text", "expect": [rule codes], "source"}. ``expect`` empty
means clean: no check may flag it at warning or error.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEEDS = next(
    (p / "shared" / "seeds" for p in REPO.parents if (p / "shared" / "seeds").is_dir()),
    REPO.parent / "shared" / "seeds",
)

HAND_CLEAN = [
    "The central bank raised interest rates by a quarter of a percentage point on Wednesday.",
    "Officials said the new rules would take effect in January.",
    "Shares of the company fell 4% in early trading after the earnings report.",
    "The storm knocked out power to more than 200,000 homes across the region.",
    "Lawmakers are expected to vote on the bill next week.",
    "The minister declined to comment on the report.",
    "Analysts had expected a smaller decline in exports.",
    "Police said two people were arrested at the scene.",
    "The museum will reopen to the public on Saturday after a two-year renovation.",
    "Unemployment fell to 3.9% in October, the lowest level in a decade.",
    "Huawei unveiled its latest smartphone at an event in Shenzhen on Tuesday.",
    "The Tianwen-1 probe entered orbit around Mars in February 2021.",
    "Xi Jinping met Luiz Inácio Lula da Silva in Beijing to discuss trade.",
    "The summit in Zürich drew delegates from more than forty countries.",
    "Flooding in São Paulo forced thousands of residents from their homes.",
    "Emmanuel Macron and Olaf Scholz held talks at the Élysée Palace.",
    "The deal is de facto dead, officials conceded privately.",
    "The tax itself is not the problem per se, economists argue.",
    "An ad hoc committee will review the findings.",
    "Critics say the plan merely preserves the status quo.",
    "China’s push for technological self-reliance (自力更生) has accelerated.",
    "The term guanxi (关系) describes networks of personal connections.",
    "Read the full report at https://www.example.org/reports/2024/energy-outlook.",
    "Details are available at www.example.com/news/2021/12/28/markets.",
    "The company’s revenue rose to €4.2bn, up from €3.8bn a year earlier.",
    "“We are not going to back down,” the governor said.",
    "The rocket lifted off at 10:31 a.m. local time 🚀 carrying three astronauts.",
    "Fans celebrated in the streets after the final whistle 🎉⚽.",
    "Researchers measured levels of α-synuclein in the patients’ blood.",
    "The β-blocker reduced mortality by 12% in the trial.",
    "AT&T and Verizon both reported strong subscriber growth.",
    "Procter & Gamble raised its full-year forecast.",
    "Inflation was running at < 2% for most of the decade.",
    "The score was 3 < 5 in the first half, a rare sight for the league.",
    "Nestlé said it would cut prices on some products in Europe.",
    "Renault and Škoda both reported higher sales in the quarter.",
    "The Fête de la Musique returns to Paris on June 21.",
    "Doña Ana County officials ordered an evacuation.",
    "The café on the corner has been there since 1952.",
    "Björn Borg won five consecutive Wimbledon titles.",
    "Łódź and Kraków were among the cities hit by the strike.",
    "Recep Tayyip Erdoğan spoke at a rally in İstanbul.",
    "Nguyễn Phú Trọng led Vietnam’s Communist Party for more than a decade.",
    "Ngozi Okonjo-Iweala heads the World Trade Organization.",
    "The Bundestag approved the measure by a wide margin.",
    "The hashtag #MeToo spread quickly on social media.",
    "He called the decision a fait accompli.",
    "The company’s modus operandi has drawn regulators’ attention.",
    "The ceasefire took effect at midnight – but fighting resumed by dawn.",
    "Temperatures reached 45 °C in parts of Spain and Portugal.",
    "The index closed at 4,567.89 points, up 0.4%.",
    "Mr. O’Neill said the plant would employ 1,200 people.",
    "The film won the Palme d’Or at Cannes in May.",
    "Apple’s iPhone 15 goes on sale on Friday.",
    "The firm’s CEO, Satya Nadella, addressed investors.",
    "Cambricon and Huawei were the only two companies on the list.",
    "The Chang’e-5 mission returned lunar samples to Earth.",
    "SMIC is China’s largest contract chipmaker.",
    "Beyoncé and Jay-Z attended the premiere in Los Angeles.",
    "Pokémon cards have become a popular investment.",
    "The résumé listed three previous jobs in finance.",
    "A naïve reading of the data would suggest otherwise.",
    "The team’s coach, José Mourinho, was sacked on Monday.",
    "Fernando Alonso finished third at the Grand Prix in Monte Carlo.",
    "The vote took place in the Knesset on Monday night.",
    "Delegates from Côte d’Ivoire and Curaçao attended the forum.",
    "The Real Madrid striker scored twice in the second half.",
    "The 🇺🇸 and 🇨🇳 flags were displayed side by side.",
    "She posted a 👍 in reply to the announcement.",
    "Watch the video here: https://youtu.be/dQw4w9WgXcQ",
    "The protest was organized under the slogan “Ni una menos”.",
    "Ministers met in Brussels on Tuesday.",
    "Bayern München beat Borussia Dortmund 3-1 on Saturday.",
    "The Sagrada Família is expected to be completed in 2026.",
    "Volkswagen’s chief executive said Die Zeit had misquoted him.",
    "He read Le Monde and El País every morning.",
    "A spokesperson for the Ministerio de Hacienda confirmed the figures.",
    "The Ostpolitik of the 1970s shaped relations for decades.",
    "The so-called zeitgeist of the era favored bold ideas.",
    "The concept of Realpolitik dominated the talks.",
    "Sales at IKEA rose by 6% in the year to August.",
    "The agreement was signed in Montréal in 1987.",
    "Air pollution in Delhi reached hazardous levels this week.",
    "Scientists at CERN announced the results on Thursday.",
    "Twenty-three people were injured, according to local media.",
    "The price of Brent crude rose to $92 a barrel.",
    "NVIDIA’s H200 chip was not included on the list.",
    "He described the move as a “thunderclap” for the industry.",
    "Sinéad O’Connor’s music was celebrated at the memorial.",
    "The Nobel Prize in Literature went to Annie Ernaux.",
    "Tokyo’s Nikkei 225 index rose 1.2% on Friday.",
    "The Académie française rejected the proposal.",
    "Guests were served crème brûlée and champagne.",
    "The tech giant’s market value topped $3 trillion.",
    "Results: 5 > 3 in the control group, according to the paper.",
    "Subscribers will pay $9.99 a month for the new service.",
    "Read more about the election in our live coverage below, which is updated hourly.",
    "The company said it uses cookies to track users, a practice regulators have criticized.",
    "Readers can leave a comment on the website, the editor said.",
    "Many readers subscribe to the newsletter for its weekly analysis of markets.",
    "The tweet was shared more than 10,000 times before it was deleted.",
    "The Tour de France ends on the Champs-Élysées on Sunday.",
    "Kim Jong Un oversaw the missile launch, state media reported.",
    "The Financial Times reported the story on December 10.",
    "Delegates applauded as the resolution passed.",
    "The Dalai Lama turned 88 on Thursday.",
    "Mañana, the new café in town, opened this week.",
    "Vladimir Putin and Volodymyr Zelensky did not meet.",
]

# Sentences in other languages in Latin script (each >= 4 words): L102.
FOREIGN_SENTENCES = {
    "es": [
        "El gobierno anunció hoy nuevas medidas para reducir la inflación.",
        "Los precios de la vivienda subieron un cinco por ciento el año pasado.",
        "La policía detuvo a dos personas en el centro de la ciudad.",
        "Según los expertos, la economía crecerá menos de lo previsto.",
        "El presidente viajará a Europa la próxima semana para reunirse con sus aliados.",
    ],
    "de": [
        "Die Regierung hat heute neue Maßnahmen gegen die Inflation angekündigt.",
        "Nach Angaben der Polizei wurden zwei Menschen verletzt.",
        "Der Konzern will im nächsten Jahr tausende Stellen streichen.",
        "Die Preise für Energie sind in den letzten Monaten stark gestiegen.",
        "Es ist noch nicht klar, wann die Verhandlungen fortgesetzt werden.",
    ],
    "fr": [
        "Le gouvernement a annoncé de nouvelles mesures contre la hausse des prix.",
        "Selon la police, deux personnes ont été interpellées dans la soirée.",
        "Les négociations reprendront la semaine prochaine à Bruxelles.",
        "Il s'agit d'une décision historique pour le pays, a déclaré le ministre.",
        "La croissance devrait ralentir au cours des prochains mois.",
    ],
    "it": [
        "Il governo ha approvato oggi la nuova legge di bilancio.",
        "Secondo gli esperti, la crescita economica rallenterà nel prossimo anno.",
        "La polizia ha arrestato due persone nel centro della città.",
        "Le trattative riprenderanno la prossima settimana a Roma.",
    ],
    "pt": [
        "O governo anunciou hoje novas medidas para conter a inflação.",
        "Segundo a polícia, duas pessoas foram presas durante a manifestação.",
        "As negociações devem ser retomadas na próxima semana.",
        "A economia brasileira cresceu mais do que o esperado no trimestre.",
    ],
    "nl": [
        "De regering heeft vandaag nieuwe maatregelen tegen de inflatie aangekondigd.",
        "Volgens de politie zijn er twee mensen gearresteerd in het centrum.",
        "De onderhandelingen worden volgende week in Brussel hervat.",
        "De prijzen van energie zijn de afgelopen maanden sterk gestegen.",
    ],
    "pl": [
        "Rząd ogłosił dzisiaj nowe działania przeciwko rosnącej inflacji.",
        "Według policji zatrzymano dwie osoby w centrum miasta.",
        "Negocjacje zostaną wznowione w przyszłym tygodniu w Brukseli.",
    ],
    "sv": [
        "Regeringen presenterade i dag nya åtgärder mot den höga inflationen.",
        "Enligt polisen greps två personer i centrala staden under natten.",
        "Förhandlingarna ska återupptas i Bryssel nästa vecka.",
    ],
    "tr": [
        "Hükümet bugün enflasyonla mücadele için yeni önlemler açıkladı.",
        "Polis, şehir merkezinde iki kişinin gözaltına alındığını söyledi.",
        "Müzakereler önümüzdeki hafta Brüksel'de yeniden başlayacak.",
    ],
    "id": [
        "Pemerintah hari ini mengumumkan langkah baru untuk menekan inflasi.",
        "Menurut polisi, dua orang ditangkap di pusat kota pada malam hari.",
        "Perundingan akan dilanjutkan minggu depan di ibu kota.",
    ],
    "ro": [
        "Guvernul a anunțat astăzi noi măsuri pentru reducerea inflației.",
        "Potrivit poliției, două persoane au fost reținute în centrul orașului.",
    ],
    "cs": [
        "Vláda dnes oznámila nová opatření proti rostoucí inflaci.",
        "Podle policie byli v centru města zadrženi dva lidé.",
    ],
}

# Words and phrases in other scripts, fused into English sentences: L101.
FOREIGN_SCRIPT = {
    "zh": ["摆脱", "国产芯片", "自主创新", "外部约束", "数字经济"],
    "ja": ["半導体", "ありがとう", "技術開発", "カタカナ"],
    "ko": ["일. 8월", "답글", "기술 개발", "한국 경제"],
    "ru": ["санкции", "экономика", "правительство России"],
    "uk": ["Україна", "уряд"],
    "ar": ["الحكومة", "الاقتصاد"],
    "he": ["ממשלה", "כלכלה"],
    "el": ["κυβέρνηση", "οικονομία"],
    "hi": ["सरकार", "अर्थव्यवस्था"],
    "th": ["รัฐบาล", "เศรษฐกิจ"],
}

# Lines of web chrome, one per line of body text: B1xx.
BOILERPLATE = {
    "B101": [
        "Leave a Reply",
        "Leave a Comment",
        "Your email address will not be published. Required fields are marked *",
        "Your email address will not be published.",
        "Required fields are marked *",
        "Save my name, email, and website in this browser for the next time I comment.",
        "Cancel reply",
        "답글 남기기",
        "이메일 주소는 공개되지 않습니다. 필수 필드는 *로 표시됩니다",
        "Schreibe einen Kommentar",
        "Deine E-Mail-Adresse wird nicht veröffentlicht. Erforderliche Felder sind mit * markiert",
        "Laisser un commentaire",
        "Votre adresse e-mail ne sera pas publiée. Les champs obligatoires sont indiqués avec *",
        "Deja una respuesta",
        "Tu dirección de correo electrónico no será publicada. Los campos obligatorios están marcados con *",
        "Deixe um comentário",
        "Lascia un commento",
        "コメントを残す",
        "发表评论",
        "Добавить комментарий",
        "Comments are closed.",
        "12 Comments",
    ],
    "B102": [
        "Share this article",
        "Share this:",
        "Share on Facebook",
        "Click to share on Twitter (Opens in new window)",
        "Facebook Twitter LinkedIn WhatsApp Email",
        "Share: Facebook Twitter Email",
        "Like this:",
        "Like Loading...",
        "Teilen",
        "Partager sur Facebook",
    ],
    "B103": [
        "Subscribe",
        "Subscribe now",
        "Subscribe to our newsletter",
        "Sign up for our daily newsletter and get the top stories",
        "Follow us on Twitter",
        "Jetzt abonnieren",
        "Abonnez-vous à notre newsletter",
        "Suscríbete",
    ],
    "B104": [
        "This website uses cookies to improve your experience.",
        "We use cookies to give you the best possible experience on our site.",
        "Accept all cookies",
        "Cookie settings",
        "Diese Website verwendet Cookies.",
    ],
    "B105": [
        "Read more",
        "Read More »",
        "Continue reading",
        "Related articles",
        "You may also like",
        "Weiterlesen",
        "Lire la suite",
        "Leer más",
    ],
    "B106": [
        "Advertisement",
        "Tags: China, technology, semiconductors",
        "Posted in Technology",
    ],
    "B107": [
        "Skip to content",
        "Back to top",
    ],
    "B108": [
        "© 2024 Example Media Group. All rights reserved.",
    ],
}


NAMES = [
    "Luiz Inácio Lula da Silva",
    "Xi Jinping",
    "Olaf Scholz",
    "Emmanuel Macron",
    "Pedro Sánchez",
    "Recep Tayyip Erdoğan",
    "Jacinda Ardern",
    "Ursula von der Leyen",
    "Narendra Modi",
    "Andrés Manuel López Obrador",
    "Giorgia Meloni",
    "Mark Rutte",
    "Alexander De Croo",
    "Jens Stoltenberg",
    "Fumio Kishida",
    "Yoon Suk Yeol",
]
PLACES = [
    "São Paulo",
    "Zürich",
    "Kraków",
    "Montréal",
    "Düsseldorf",
    "Bogotá",
    "Reykjavík",
    "Málaga",
    "Île-de-France",
    "Gdańsk",
    "Brussels",
    "Rio de Janeiro",
    "Los Angeles",
    "Buenos Aires",
    "Den Haag",
    "Ciudad Juárez",
]
ORGS = [
    "Huawei",
    "Cambricon",
    "Petrobras",
    "Société Générale",
    "Deutsche Bank",
    "Banco Santander",
    "Nestlé",
    "Crédit Agricole",
    "Volkswagen",
    "Telefónica",
    "Ørsted",
    "Zalando",
    "Alibaba Group",
    "Tencent Holdings",
]
TEMPLATES = [
    "{name} said on Monday that {org} would invest $2 billion in {place}.",
    "{org} shares rose 3% after {name} visited its plant in {place}.",
    "Speaking in {place}, {name} called for closer ties with Beijing.",
    "{name} arrived in {place} on Tuesday for two days of talks.",
    "Protesters gathered outside the offices of {org} in {place}.",
    "{org} opened a research center in {place} in 2021.",
    "The talks between {name} and officials from {org} ended without a deal.",
    "A spokesperson for {org} in {place} declined to comment.",
]


def template_sentences(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        t = rng.choice(TEMPLATES)
        out.append(t.format(name=rng.choice(NAMES), org=rng.choice(ORGS), place=rng.choice(PLACES)))
        out = list(dict.fromkeys(out))
    return out


def seed_sentences() -> list[str]:
    out: list[str] = []
    for name in ("003_ac9209e5bc8b5437.txt", "004_a5c9b4d63939b8cb.txt"):
        path = SEEDS / name
        if not path.exists():
            continue
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip().lstrip("•").strip()
            if not line or not line.isprintable():
                continue
            for part in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", line):
                s = part.strip()
                if len(s.split()) < 5 or re.search(r"[\u1100-\uffff]", re.sub(r"[\u2000-\u206f]", "", s)):
                    continue  # short, or holds CJK/Hangul (the seeds' glitches) or emoji
                if any(0x1F000 <= ord(c) <= 0x1FAFF or 0x2600 <= ord(c) <= 0x27BF for c in s):
                    continue
                out.append(s)
    return out


def mojibake(s: str, rng: random.Random) -> str:
    import ftfy.bad_codecs  # noqa: F401 - registers sloppy-windows-1252 (what browsers do)

    enc = rng.choice(["sloppy-windows-1252", "latin-1"])
    bad = s.encode("utf-8").decode(enc)
    if rng.random() < 0.25:  # twice
        bad = bad.encode("utf-8").decode("sloppy-windows-1252")
    return bad


def main() -> None:
    rng = random.Random(20261123)
    cases: list[dict[str, object]] = []

    def add(text: str, expect: list[str], source: str) -> None:
        cases.append({"id": f"c{len(cases):04d}", "text": text, "expect": expect, "source": source})

    seeds = seed_sentences()
    templated = template_sentences(rng, 60)
    clean = list(dict.fromkeys(seeds + HAND_CLEAN + templated))
    for s in clean:
        add(s, [], "seed" if s in seeds else "template" if s in templated else "hand")
    # Paragraphs: several clean sentences, some with NBSP and curly quotes (as seeds 000/001).
    for i in range(40):
        para = " ".join(rng.sample(clean, 3))
        if i % 4 == 0:
            para = para.replace(" – ", "\u00a0– ", 1)
        add(para, [], "paragraph")

    non_ascii = [s for s in clean if not s.isascii()]
    accented = [s for s in clean if re.search(r"[À-ɏ]", s)]
    # E201 mojibake (some twice-encoded).
    for s in rng.sample(non_ascii, 30):
        bad = mojibake(s, rng)
        if bad != s:
            add(bad, ["E201"], "generated")
    for s in ["CafÃ© owners say business is slow.", "He said he donâ€™t know.", "The team â€œwonâ€\x9d again."]:
        add(s, ["E201"], "hand")
    # E202-E205: inserted bad characters.
    for code, chars in (
        ("E202", ["\ufffd", "\ufffd\ufffd"]),
        ("E203", ["\x00", "\x07", "\x1b", "\x0c", "\x85", "\x9d"]),
        ("E204", ["\ud83d", "\udca9"]),
        ("E205", ["\ue000", "\uf8ff", "\U000f0001"]),
    ):
        for s in rng.sample(clean, 8):
            words = s.split(" ")
            k = rng.randrange(1, len(words))
            words[k] = rng.choice(chars) + words[k]
            add(" ".join(words), [code], "generated")
    # E206/E207: HTML leftovers.
    for ent, s in zip(
        ["&amp;", "&#8217;", "&quot;", "&nbsp;", "&#x2014;", "&eacute;", "&lt;", "&hellip;"],
        rng.sample(clean, 8),
        strict=True,
    ):
        words = s.split(" ")
        k = rng.randrange(1, len(words))
        words.insert(k, ent)
        add(" ".join(words), ["E206"], "generated")
    for tag, s in zip(
        ["<br>", "<br/>", "<p>", "</p>", '<a href="https://example.com">', "<strong>", "</em>", "<!-- ad -->"],
        rng.sample(clean, 8),
        strict=True,
    ):
        words = s.split(" ")
        k = rng.randrange(1, len(words))
        words.insert(k, tag)
        add(" ".join(words), ["E207"], "generated")
    # E208: RGI ZWJ sequences with the joiners stripped.
    import emoji

    zwj = sorted(
        seq
        for seq, d in emoji.EMOJI_DATA.items()
        if "\u200d" in seq and d["status"] == emoji.STATUS["fully_qualified"] and seq.count("\u200d") <= 2
    )
    for seq in rng.sample(zwj, 14):
        s = rng.choice(clean)
        add(s.rstrip(".") + " " + seq.replace("\u200d", "") + ".", ["E208"], "generated")
    for s in ["Bringing back global experience 👨🎓👩💻", "Identify jaywalkers. 🚶♀️🚦", "Astronauts assemble it. 👨🚀"]:
        add(s, ["E208"], "seed-like")
    # Hard negatives for E208: emoji next to each other that are no ZWJ sequence.
    for s in ["Self-driving taxis 🚗💨 are on the road.", "Space exploration 🚀🌕🪐 is booming.", "Solar ☀️🔋🚗 power."]:
        add(s, [], "hand")
    # E209: NFD text.
    for s in rng.sample(accented, 10):
        add(unicodedata.normalize("NFD", s), ["E209"], "generated")
    # L101: foreign script fused into English.
    for lang, words in FOREIGN_SCRIPT.items():
        for w in words:
            s = rng.choice(clean).split(" ")
            k = rng.randrange(1, len(s))
            glue = "" if lang in ("zh", "ja") and rng.random() < 0.5 else " "
            s[k] = w + glue + s[k]
            add(" ".join(s), ["L101"], f"generated:{lang}")
    # L102: foreign sentences, alone and inside an English paragraph.
    for lang, sents in FOREIGN_SENTENCES.items():
        for i, s in enumerate(sents):
            if i % 2 == 0:
                add(s, ["L102"], f"hand:{lang}")
            else:
                add(f"{rng.choice(clean)} {s} {rng.choice(clean)}", ["L102"], f"hand:{lang}")
    # B1xx: a chrome line under an article paragraph.
    for code, lines in BOILERPLATE.items():
        for line in lines:
            langs = {"B101"} if re.search(r"[\u0400-\uffff]", line) else set()
            expect = [code]
            if re.search(r"[\u0400-\u04ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", line):
                expect.append("L101")
            elif line in {s for ss in BOILERPLATE.values() for s in ss} and _latin_foreign(line):
                expect.append("L102?")
            if not re.search(r"[\u0400-\u04ff\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]", line):
                expect.append("L103?")  # a chrome line in another language is a foreign line too (issue 18)
            del langs
            add(f"{rng.choice(clean)}\n\n{line}", expect, "hand:boilerplate")

    # Issue 18 (appended with a generator of its own, so that the cases above stay as they were).
    rng18 = random.Random(18)
    # E210-E216: invisible and format characters inserted into clean sentences.
    for code, chars in (
        ("E210", ["\u200b"]),
        ("E211", ["\u200c", "\u200d"]),
        ("E212", ["\u2060", "\u2062"]),
        ("E213", ["\u00ad"]),
        ("E214", ["\ufeff"]),
        ("E215", ["\u202e", "\u202d", "\u2066", "\u202a"]),
        ("E216", ["\u200e", "\u200f", "\u3164"]),
    ):
        for s in rng18.sample(clean, 6):
            words = s.split(" ")
            k = rng18.randrange(1, len(words))
            w = words[k]
            cut = rng18.randrange(1, len(w)) if len(w) > 1 else 0
            words[k] = w[:cut] + rng18.choice(chars) + w[cut:]
            add(" ".join(words), [code], "generated")
    # Hard negatives: joiners inside emoji sequences.
    for s in ["The astronaut 👨\u200d🚀 waved.", "A family 👨\u200d👩\u200d👧 moved in.", "Pride 🏳️\u200d🌈 parade."]:
        add(s, [], "hand")
    # More chrome of the kinds issue 18 found missed (B103-B109), in several languages.
    more = {
        "B101": ["Leave A Comment Cancel Reply", "Write a comment"],
        "B103": ["Sign Up For Our Newsletter", "Subscribe to our Harbour Times Today newsletter"],
        "B104": ["Our website uses cookies to offer you a better browsing experience."],
        "B105": ["READ THE REST"],
        "B106": ["Privacy Policy and Terms of Use"],
        "B107": ["Next Post", "Previous Post", "Scroll to top", "Zum Inhalt springen"],
        "B108": ["Copyright © 2019 Harbour Times", "Copyright (c) 2012- Jane Doe. All rights reserved."],
        "B109": ["Sign in", "Forgot your password?", "Already a subscriber? Log in here."],
    }
    for code, lines in more.items():
        for line in lines:
            expect = [code, "L102?", "L103?"]
            add(f"{rng18.choice(clean)}\n\n{line}", expect, "hand:boilerplate")
    # L103: short foreign lines (headings, buttons, notices) under English text; names stay quiet.
    for line in [
        "Passwort vergessen?",
        "Giriş yap",
        "Kommentare lesen",
        "Diese E-Mail-Adresse ist gegen Spambots geschützt!",
        "Alle Rechte vorbehalten und geschützt",
        "Noticias relacionadas de hoy",
    ]:
        add(f"{rng18.choice(clean)}\n{line}\n{rng18.choice(clean)}", ["L103", "B106?", "B108?", "B105?"], "hand:short")
    for line in [
        "Luiz Inácio Lula da Silva",
        "São Paulo",
        "Real Madrid",
        "Angela Merkel",
        "facebook twitter print email",
        "^ a b van der Maaten, L.J.P.; Hinton, G.E.",
        "Champs-Élysées",
    ]:
        add(f"{rng18.choice(clean)}\n{line}\n{rng18.choice(clean)}", ["B102?"], "hand:names")

    out = HERE / "text_eval.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for c in cases:
            line = json.dumps(c, ensure_ascii=False)
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in line):
                line = json.dumps(c)  # lone surrogates: only as \uXXXX escapes
            fh.write(line + "\n")
    print(f"{len(cases)} cases -> {out}")


def _latin_foreign(line: str) -> bool:
    """Latin-script chrome in another language long enough to be a sentence (may also be L102)."""
    return len(line.split()) >= 4 and not re.search(r"\b(the|your|our|this|to|on)\b", line, re.IGNORECASE)


if __name__ == "__main__":
    main()
