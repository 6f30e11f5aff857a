"""A small multilingual stop list: function words, titles and sentence openers.

Used four times: words that never start an entity in :func:`~unspin.corpus.stats.phrases.entities_in`
("The", "Mr", "Selon", "Как"), words left out of narrative labels, words that are
never a highlighted span on their own, and words trimmed from the ends of the phrases the
corpus counts (:func:`~unspin.corpus.stats.phrases.normalise_phrase`), except the few
in :data:`KEPT_AT_ENDS`, which change a phrase's meaning. It is short on
purpose (English, French, German, Spanish, Italian, Polish, Russian, Ukrainian); narrative labels
also rely on class-based TF-IDF, which weighs down words common to every cluster.
"""

from __future__ import annotations

_WORDS = """
a about after again against all also although am an and another any are as at be because been before being
between both but by can could did do does during each either even ever every few for from further had has have
having he her here hers him his how however i if in instead into is it its just last many may me meanwhile might
more moreover most mr mrs ms dr prof sir much must my neither never next no nor not now of off on once one only
or other our out over own per perhaps said same say says she should since so some still such than that the their
them then there these they this those though through thus to today tomorrow too under until up upon us very was we
were what when where whether which while who whom whose why will with within without would yesterday yet you your
à au aux avec ce ces cette chez comme dans de des du elle elles en entre est et être il ils je la le les leur leurs
lui mais me même mme mlle m mes moi mon ne ni nos notre nous on ou où par pas plus pour qu que qui sa sans se selon
ses si son sont sur ta te tes toi ton tous tout toute toutes très tu un une vos votre vous y aussi ainsi alors après
avant cependant déjà donc hier aujourd ici lors puis
aber als am an auch auf aus bei bis das dass dem den der des die doch durch ein eine einem einen einer eines er es
für hat hatte herr frau ich ihr im in ist ja jedoch kein keine mit nach nicht noch nun nur ob oder sein sich sie
sind so über um und uns unter vom von vor war waren was weil wenn wie wir wird zu zum zur heute gestern
al algunos como con cuando del desde donde el ella ellos entre era es esta este esto hay la las lo los más muy
nos o para pero por porque que se según ser si sin sobre son su sus también un una unos uno ya ayer hoy sr sra
ai alla alle anche che chi ci col come con da dal dalla degli dei della delle di dove è gli il io loro ma nel
nella noi non per più questa questo se sono su sua suo tra tu una uno sig
а без бы был была были было в вам вас весь во вот все всё вы где да даже для до его ее её если есть еще ещё же за
и из или им их к как ко когда который кто ли либо мы на над нас не него нее неё нет ни них но ну о об однако он она
они оно от по под при про с со так также там то тоже только тот у уже хотя чем что чтобы эта эти это этот я г гн
вчера сегодня
але від вже ви він вона вони все де для до з за і й на не ні но під по при про та так також те ти то у це цей ця
що щоб як які який я ще вчора сьогодні
a aby ale bo by być był była było czy dla do go i ich im jak jako jest już ku lub ma mu na nad nie niż o od oraz po
pod przez przy się są ta tak te tego tej to tu w we z za ze że żeby
"""

STOP_WORDS = frozenset(_WORDS.split())

# Stop words that carry a phrase's meaning at its ends, so the corpus's phrases keep them: negations
# ("never surrender" is not "surrender"), verb particles ("wake up") and words of time ("act now").
_KEPT = """
no not never nor neither ne pas ni non nicht kein keine nie не нет ни ні
up out off over down again ever now today tomorrow yesterday aujourd hier heute gestern ayer hoy вчера сегодня вчора сьогодні
"""
KEPT_AT_ENDS = frozenset(_KEPT.split()) & STOP_WORDS
