"""Offline language identification on short news-like sentences in every language unspin supports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from unspin.language import SEMEVAL_LANGUAGES, detect_language

SENTENCES: dict[str, list[str]] = {
    "en": [
        "The government announced new sanctions on Tuesday, and officials warned that fuel prices could rise sharply before winter.",
        "Thousands of protesters gathered outside parliament on Sunday to demand the resignation of the defence minister.",
    ],
    "fr": [
        "Le gouvernement a annoncé mardi de nouvelles sanctions, et les responsables ont averti que les prix du carburant pourraient fortement augmenter avant l'hiver.",
        "Des milliers de manifestants se sont rassemblés dimanche devant le Parlement pour exiger la démission du ministre de la Défense.",
    ],
    "de": [
        "Die Regierung hat am Dienstag neue Sanktionen angekündigt, und Beamte warnten, dass die Treibstoffpreise vor dem Winter stark steigen könnten.",
        "Tausende Demonstranten versammelten sich am Sonntag vor dem Parlament und forderten den Rücktritt des Verteidigungsministers.",
    ],
    "it": [
        "Il governo ha annunciato martedì nuove sanzioni e i funzionari hanno avvertito che i prezzi del carburante potrebbero aumentare prima dell'inverno.",
        "Migliaia di manifestanti si sono radunati domenica davanti al parlamento per chiedere le dimissioni del ministro della Difesa.",
    ],
    "pl": [
        "Rząd ogłosił we wtorek nowe sankcje, a urzędnicy ostrzegli, że ceny paliw mogą gwałtownie wzrosnąć przed zimą.",
        "Tysiące demonstrantów zebrały się w niedzielę przed parlamentem, żądając dymisji ministra obrony.",
    ],
    "ru": [
        "Правительство во вторник объявило о новых санкциях, а чиновники предупредили, что цены на топливо могут резко вырасти до наступления зимы.",
        "Тысячи демонстрантов собрались в воскресенье у здания парламента, требуя отставки министра обороны.",
    ],
    "uk": [
        "Уряд у вівторок оголосив про нові санкції, а посадовці попередили, що ціни на пальне можуть різко зрости ще до зими.",
        "Тисячі протестувальників зібралися в неділю біля будівлі парламенту і вимагали відставки міністра оборони.",
    ],
    "be": [
        "Урад у аўторак абвясціў пра новыя санкцыі, а чыноўнікі папярэдзілі, што цэны на паліва могуць рэзка вырасці яшчэ да зімы.",
        "Тысячы пратэстоўцаў сабраліся ў нядзелю каля будынка парламента і патрабавалі адстаўкі міністра абароны.",
    ],
    "es": [
        "El Gobierno anunció el martes nuevas sanciones y los funcionarios advirtieron de que los precios del combustible podrían subir con fuerza antes del invierno.",
        "Miles de manifestantes se concentraron el domingo frente al Parlamento para exigir la dimisión del ministro de Defensa.",
    ],
    "el": [
        "Η κυβέρνηση ανακοίνωσε την Τρίτη νέες κυρώσεις και οι αξιωματούχοι προειδοποίησαν ότι οι τιμές των καυσίμων μπορεί να αυξηθούν απότομα πριν από τον χειμώνα.",
        "Χιλιάδες διαδηλωτές συγκεντρώθηκαν την Κυριακή έξω από τη Βουλή ζητώντας την παραίτηση του υπουργού Άμυνας.",
    ],
    "ka": [
        "მთავრობამ სამშაბათს ახალი სანქციები გამოაცხადა, ხოლო ოფიციალურმა პირებმა გააფრთხილეს, რომ საწვავის ფასები ზამთრამდე შეიძლება მკვეთრად გაიზარდოს.",
        "ათასობით დემონსტრანტი კვირას პარლამენტის შენობასთან შეიკრიბა და თავდაცვის მინისტრის გადადგომა მოითხოვა.",
    ],
}


@pytest.mark.parametrize(("language", "sentence"), [(lang, s) for lang, pair in SENTENCES.items() for s in pair])
def test_one_sentence_is_enough(language: str, sentence: str) -> None:
    assert detect_language(sentence) == language


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_two_sentences_together(language: str) -> None:
    assert detect_language(" ".join(SENTENCES[language])) == language


def test_every_semeval_language_is_covered() -> None:
    assert set(SEMEVAL_LANGUAGES.values()) <= set(SENTENCES)


@pytest.mark.parametrize("text", ["", "   \n", "42 - 17", "ok", "\ufeff!!"])
def test_too_little_text_has_no_language(text: str) -> None:
    assert detect_language(text) is None


def test_no_usable_cache_or_temporary_directory_is_needed(tmp_path: Path) -> None:
    """A read-only cache and a full temporary directory: the model is decompressed in memory."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    script = (
        "import tempfile; tempfile.tempdir = " + repr(str(blocked / "tmp")) + "\n"  # as a full disk would
        "from unspin.language import detect_language\n"
        "print(detect_language('Le gouvernement a annoncé mardi de nouvelles sanctions.'))"
    )
    env = {**os.environ, "UNSPIN_CACHE_DIR": str(blocked / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], check=False, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "fr"
