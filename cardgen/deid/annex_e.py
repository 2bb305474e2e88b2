"""DICOM PS3.15 Annex E, Table E.1-1: the attributes the Basic Application Level Confidentiality
Profile removes, empties or replaces, because they may identify a patient or another person.

pydicom does not ship this table. The tags and Basic Profile actions below were taken from the
machine-readable extraction of PS3.15 Table E.1-1 published by innolitics/dicom-standard
(``standard/confidentiality_profile_attributes.json``); keywords come from pydicom's own data
dictionary. Actions: X remove, Z empty or dummy, D dummy, U replace UID, C clean, K keep;
combinations such as ``X/Z/D`` depend on the IOD. For cardgen every one of them means the same:
the value must never reach a deck.

Three rows of the table are patterns, not single tags: curve data (50xx,xxxx), overlay data and
comments (60xx,3000 and 60xx,4000), and every private attribute (odd group).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# tag (group+element, hex) and Basic Profile action, in the table's (alphabetical by name) order.
_TABLE = """
00080050 Z      00184000 X      00400555 X/Z    00080022 X/Z    0008002A X/Z/D  00181400 X/D
001811BB D      00189424 X      00080032 X/Z    00404035 X      001021B0 X      0040A353 X
00380010 X      00380020 X      00081084 X      00081080 X      00380021 X      00001000 X
00102110 X      40000010 X      0040A078 X      22000005 X/Z    300A00C3 X      300A00DD X
00101081 X      0016004D X      00181007 X      00120060 Z      00120082 X      00120081 D
00120020 D      00120021 Z      00120072 X      00120071 X      00120030 Z      00120031 Z
00120010 D      00120040 D      00120042 D      00120051 X      00120050 Z      00400310 X
00400280 X      300A02EB X      00209161 U      3010000F Z      30100017 Z      30100006 U
00403001 X      30100013 U      0008009C Z      0008009D X      0050001B X      0040051A X
00400512 D      00700086 X      00700084 Z/D    00080023 Z/D    0040A730 D      00080033 Z/D
00180010 Z/D    0018A003 X      00102150 X      0040A307 X      00380300 X      00080025 X
00080035 X      0040A07C X      FFFCFFFC X      0018937F X      00082111 X      0018700A X/D
3010001B Z      00500020 X      3010002D D      00181000 X/Z/D  0016004B X      00181002 U
FFFAFFFA X      04000100 U      00209164 U      00380040 X      4008011A X      40080119 X
300A0016 X      300A0013 U      3010006E U      00189517 X/D    30100037 X      30100035 D
30100038 D      30100036 X      300A0676 X      00102160 X      00404011 X      00080058 U
0070031A U      00402017 Z      30080054 X/D    300A0196 X      00340002 D      00340001 D
3010007F Z      300A0072 X      00209158 X      00200052 U      00340007 D      00181008 X
00181005 X      00160076 X      00160075 X      0016008C X      0016008D X      00160088 X
00160087 X      0016008A X      00160089 X      00160084 X      00160083 X      00160086 X
00160085 X      0016008E X      0016007B X      00160081 X      00160080 X      00160072 X
00160071 X      00160074 X      00160073 X      00160082 X      0016007A X      0016008B X
00160078 X      0016007D X      0016007C X      00160079 X      00160077 X      0016007F X
0016007E X      00160070 X      00700001 D      00404037 X      00404036 X      00880200 X
00084000 X      00204000 X      00284000 X      00402400 X      003A0314 D      40080300 X
00080015 X      00080014 U      04000600 X      00080081 X      00081040 X      00081041 X
00080082 X/Z/D  00080080 X/Z/D  00101050 X      3010004D X/D    3010004C X/D    00401011 X
300A0741 D      300A0742 D      300A0783 D      40080111 X      4008010C X      40080115 X
40080202 X      40080102 X      4008010B X      4008010A X      00083010 U      00380011 X
00380014 X      00100021 X      00380061 X      00380064 X      00400513 Z      00400562 Z
22000002 X/Z    00281214 U      001021D0 X      0016004F X      00160050 X      00160051 X
0016004E X      00500021 X      04000404 X      0016002B X      0018100B U      30100043 Z
00020003 U      00102000 X      00101090 X      00101080 X      04000550 X      00203406 X
00203401 X      30080056 X/D    0018937B X      003A0310 U      00081060 X      00401010 X
04000551 X      04000552 X      0040A192 X      0040A402 U      0040A193 X      0040A171 U
00102180 X      00081072 X/D    00081070 X/Z/D  00402010 X      00402011 X      00402008 X
00402009 X      04000561 X      00101000 X      00101002 X      00101001 X      00080024 X
00080034 X      300A0760 D      00281199 U      0040A07A X      00101040 X      00101010 X
00100030 Z      00101005 X      00100032 X      00380400 X      00100050 X      00101060 X
00100010 Z      00100101 X      00100102 X      001021F0 X      00100040 Z      00102203 X/Z
00101020 X      00102155 X      00102154 X      00101030 X      00104000 X      00100020 Z
300A0650 U      00380500 X      00401004 X      00400243 X      00400254 X      00400250 X
00404051 X      00400251 X      00400253 X      00400244 X      00404050 X      00400245 X
00400241 X      00404030 X      00400242 X      00404028 X      00081050 X      00081052 X
00401102 X      00401104 X      00401103 X      00401101 D      0040A123 D      00081048 X
00081049 X      00081062 X      40080114 X      00402016 Z      00181004 X      001021C0 X
00400012 X      300A000E X      3010007B Z      30100081 Z      00701101 U      00701102 U
30100061 X      00404052 X      00181030 X/D    300A0619 D      300A0623 D      300A067D Z
300A067C D      300C0113 X      0040100A X      00321030 X      3010005C Z      00402001 X
00401002 X      00321066 X      00321067 X      300A073A D      3010000B U      04000402 X
300A0083 U      3010006F U      30100031 U      30060024 U      00404023 U      00081140 X/Z/U*
0040A172 U      00380004 X      00101100 X      00081120 X      00081111 X/Z/D  04000403 X
00081155 U      00041511 U      00081110 X/Z    00080092 X      00080090 Z      00080094 X
00080096 X      00102152 X      300600C2 U      00400275 X      00321070 X      00401400 X
00321060 X/Z    00401001 X      00401005 X      00189937 X      00001001 U      00321032 X
00321033 X      00189185 X      00102299 X      00102297 X      40084000 X      40080118 X
40080042 X      300E0008 X/Z    30060028 X      30060038 X      300600A6 Z      30060026 Z
30060088 X      30060085 X      300A0615 Z      300A0611 Z      3010005A Z      300A0006 X/D
300A0004 X      300A0002 D      300A0003 X      300A0007 X/D    30100054 D      300A062A D
30100056 X/D    3010003B U      00404034 X      0038001E X      00400006 X      0040000B X
00400007 X      00400004 X      00400005 X      00404008 X      00400009 X      00400011 X
00404010 X      00400002 X      00404005 X      00400003 X      00400001 X      00404027 X
00400010 X      00404025 X      00321020 X      00321021 X      00080021 X/D    0008103E X
0020000E U      00080031 X/D    00380062 X      00380060 X      300A01B2 X      300A01A6 X
004006FA X      001021A0 X      00080018 U      30100015 U      0018936A D      00340005 D
00082112 X/Z/U* 300A0216 X      30080105 X/Z    00189369 D      00380050 X      0040050A X
00400602 X      00400551 D      00400610 Z      00400600 X      00400554 U      00189516 X/D
00081010 X/Z/D  00880140 U      30060008 Z      30060006 X      30060002 D      30060004 X
30060009 X/D    00324000 X      00080020 Z      00081030 X      00200010 Z      00320012 X
0020000D U      00080030 Z      00200200 U      00182042 U      0040A354 X      0040DB0D U
0040DB0C U      40004000 X      20300020 X      00080201 X      00880910 X      00880912 X
00880906 X      00880904 X      00620021 U      00081195 U      00185011 X      30080250 X/D
300A00B2 X      300A0608 D      300A0609 U      300A0700 U      30100077 D      3010007A Z
30080251 X/D    300A0736 D      300A0734 D      0018100A X      0040A124 U      00181009 X
30100033 D      30100034 D      0040A352 X      0040A358 X      0040A088 Z      0040A075 D
0040A073 D      0040A027 D      00384000 X      00189371 D      00189373 X      00189367 D
"""

# The pattern rows of the table: (group mask, group value, element or None for any element).
_REPEATING_GROUPS = (
    (0xFF00, 0x5000, None, "X", "Curve Data (50xx,xxxx)"),
    (0xFF00, 0x6000, 0x3000, "X", "Overlay Data (60xx,3000)"),
    (0xFF00, 0x6000, 0x4000, "X", "Overlay Comments (60xx,4000)"),
)


@dataclass(frozen=True)
class ProfileAttribute:
    """One row of Table E.1-1 that names a single tag."""

    tag: int
    keyword: str  # pydicom's keyword; empty when pydicom's dictionary does not know the tag
    action: str

    @property
    def tag_text(self) -> str:
        return f"({self.tag >> 16:04X},{self.tag & 0xFFFF:04X})"


@cache
def basic_profile() -> tuple[ProfileAttribute, ...]:
    """Every single-tag row of Table E.1-1, with pydicom's keyword for it."""
    from pydicom.datadict import keyword_for_tag

    words = _TABLE.split()
    rows = []
    for tag_text, action in zip(words[0::2], words[1::2]):
        tag = int(tag_text, 16)
        rows.append(ProfileAttribute(tag=tag, keyword=keyword_for_tag(tag) or "", action=action))
    return tuple(rows)


@cache
def basic_profile_tags() -> frozenset[int]:
    """The tags of :func:`basic_profile` as integers (group << 16 | element)."""
    return frozenset(row.tag for row in basic_profile())


def is_identifying_tag(tag: int) -> bool:
    """True for a Basic Profile attribute, a curve/overlay pattern row, or a private attribute."""
    group, element = tag >> 16, tag & 0xFFFF
    if group % 2 == 1:
        return True  # private attributes: the profile removes them all
    if tag in basic_profile_tags():
        return True
    return any(group & mask == value and (wanted is None or element == wanted)
               for mask, value, wanted, _action, _name in _REPEATING_GROUPS)
