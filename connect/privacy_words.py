"""Word lists the privacy guard reads (kept apart so :mod:`connect.privacy` stays readable).

The first-name list comes from the ``gender-guesser`` package (Jörg Michael's
dictionary of about 48,000 first names from many countries, shipped inside the
package, so nothing is downloaded at run time). That dictionary also holds
many ordinary English words ("the", "said", "fine", "will"), so a word counts
as a first name only when it is not also one of the common words below.
"""

from __future__ import annotations

from functools import cache

# Common English words (and the words of this community's practice talk)
# that also appear in the first-name dictionary, or that follow a victim
# word often enough to be mistaken for a name in lower-case text.
COMMON_WORDS = frozenset(
    """
    a about above across act action added after again against age ago agreed
    ahead aid all almost alone along already also although always am among an
    and another answer any anyone anything april are area around arrest art as
    ask asked at august available away baby back bad be became because become
    been before began behind being below best better between big bill black
    blue board body book both boy brand bright brought brown bud but by call
    called came can care case cash cause chance change chase check chip city
    clear close cold come coming cook could count court cover crown dale
    dawn day days dean did do does done door down drew during each early earl
    east easy either else end enough even ever every fact faith fall far fast
    federal felt few file filed final fine first five for forest form found
    four frank free friday from front full gave gay gene get girl give given
    glad glen go going gold golden good got grace grand grant gray great green
    guy had half hand happy hard has have he head hear heard heart help her
    here herself high him himself his hold holiday home honey hope house how
    however hunter i if in including inn into is it its ivy jack jade jewel
    joy june just justice keep kept key kind king knew know known lake land
    lane large last late later law lead least leave lee left less let level
    liberty light like line little live lives long look lot love low made
    main major make man many march mark mason matter max may me mean means
    members mercy might miles mind miss moment monday more most much must my
    name named near need never new next nice nick night no none nor norm north
    not note nothing now number of off office often oh ok okay old on once one
    only open or order other our out over own page park part pass past pat
    pay pearl penny people per place placed plan please point police
    power press price prince put rain ray read ready real reason red reed
    referred report rich right river road rob rock rocky rod room rose round
    royal rule run rusty safe said saint same sandy saw say says school season
    second see seen sent set several shall she shore should show side sign
    since six sky small so some someone something son sonny soon south spring
    stand star start state stay still stone story storm such summer sun sunday
    sunny sure sweet take taken talk tell ten than thank that the their them
    then there these they thing think this those though three through thursday
    time to today told too took town true try tuesday two under unit until up
    upon us use used van very victory want was way we week well went were west
    what when where which while white who whole why wide will win winter with
    within without woman wood word work would yes yet you young your
    account advocate agency agent amount analyst attorney award bank bar benefit
    board budget cab camp captain center charge chief clerk client coach
    collection contact court crisis data date desk director dr due earnest
    entry federal field fund funding grant guard intake jail judge liaison
    local manager media member minister ms nurse officer online paralegal
    partner patrol plus program ranger region report review rural sage
    sergeant service shelter sheriff staff state station supervisor support
    teacher team trooper trust unit urban visa ward warden
    ran run runs went goes left came stayed moved cried hid fled lied spoke
    asked told tells said says added noted hurt sat stood slept woke walked
    whose whom whoever also just only even both either neither every each
    again later soon since still yet ago once twice usually often never
    ever maybe perhaps later today tonight yesterday tomorrow morning evening
    afternoon weekend weekday summer winter spring fall autumn
    """.split()
)


@cache
def first_names() -> frozenset[str]:
    """Lower-case first names, ordinary English words removed. Loaded on first use."""
    from gender_guesser.detector import Detector

    return frozenset(name for name in Detector(case_sensitive=False).names if name not in COMMON_WORDS)
