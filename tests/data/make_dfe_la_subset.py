"""Cut the test subset tests/data/dfe_la/ from the full published folder (run by hand, not by pytest).

    python tests/data/make_dfe_la_subset.py /work/shared/data/dfe_la tests/data/dfe_la

Keeps, from every file the council builder reads, the header, England, the
regions and the councils below (those the tests read by hand, and every
council of a boundary change); rows of characteristics the builder does not
read (category of need, legal status of starters) are left out of the large
tidy files. Lines are copied byte for byte, so every quirk of a kept row
(``#VALUE!``, trailing empty columns, a row with no level) stays.
"""
import os
import shutil
import sys

KEEP_LA = {"926", "330", "383", "837", "836", "835", "838", "839", "928", "940", "941", "909", "942", "943",
           "815", "420", "314", "318", "935", "908", "823", "940 / 941", "314 / 318", "873", "341", "392"}
FILES = [
    "cla_2010_2017/2010/SFR27_2010_March.csv", "cla_2010_2017/2010/SFR27_2010_Started.csv",
    "cla_2010_2017/2010/SFR27_2010_Ceased.csv",
] + [f"cla_2010_2017/{y}/{f}" for y, fs in {
    2011: ("SFE21_ADM.csv", "SFR21_CEA.csv", "SFR21_CLA.csv"),
    2012: ("SFR20_ADM2012.csv", "SFR20_CLA2012.csv", "SFR_CEA2012.csv"),
    2013: ("SFR36_ADM2013.csv", "SFR36_CEA2013.csv", "SFR36_CLA2013.csv"),
    2014: ("SFR36_ADM2014.csv", "SFR36_CEA2014.csv", "SFR36_CLA2014.csv"),
    2015: ("SFR34_ADM2015.csv", "SFR34_CEA2015.csv", "SFR34_CLA2015.csv"),
    2016: ("SFR41_ADM2016.csv", "SFR41_CEA2016.csv", "SFR41_CLA2016.csv"),
    2017: ("SFR50_ADM2017.csv", "SFR50_CEA2017.csv", "SFR50_CLA2017.csv")}.items() for f in fs] + [
    "cla_2018_2022/la_cla_who_started_to_be_looked_after.csv",
    "cla_2018_2022/la_children_who_ceased_during_year.csv",
    "cla_2018_2022/la_children_who_ceased_during_the_year_2019_2023.csv",
    "cla_2018_2022/cla_number_and_rate_per_10k_children_2019_2023.csv",
    "cla_2018_2022/cla_time_series_1994_2023.csv",
    "eesdash/cla_number_and_rate_per_10k_children.csv",
    "eesdash/ons_mid-year_population_estimates_2012_to_2024.csv",
    "eesdash/b1_children_in_need_2013_to_2025.csv",
    "eesdash/d5_cpps_at31march_by_duration_2013_to_2025.csv",
    "eesdash/csww_indicators_2017_to_2025.csv",
    "eesdash/sn_model_2025_wide.csv",
    "eesdash/New_Statistical_Neighbour_Groupings_April_2021.csv",
]
SKIP_GROUPS = ("Category of need", "Legal status", "Taken into care", "Gender")
#: The three large tidy files keep England and fewer councils.
BIG = ("la_cla_who_started", "la_children_who_ceased")
KEEP_LA_BIG = {"926", "330", "837", "836", "835", "838", "839"}


def keep(line: str, header: list[str], big: bool = False) -> bool:
    import csv
    row = next(csv.reader([line]))
    cols = {h.strip().lstrip("\ufeff"): (row[i] if i < len(row) else "") for i, h in enumerate(header)}
    if any(cols.get("cla_group", "") == g for g in SKIP_GROUPS):
        return False
    level = (cols.get("geographic_level") or cols.get("geog_l") or "").strip().lower()
    if level in ("national", "country", "regional", "region", "gor"):
        return not big or level == "national"
    code = (cols.get("old_la_code") or cols.get("geog_c") or cols.get("LA number") or "").strip()
    return code in (KEEP_LA_BIG if big else KEEP_LA)


def main(src: str, dst: str) -> None:
    import csv
    for rel in FILES:
        with open(os.path.join(src, rel), encoding="utf-8-sig", newline="") as fh:
            lines = fh.read().splitlines(keepends=True)
        header = next(csv.reader([lines[0]]))
        big = any(b in rel for b in BIG)
        out = [lines[0]] + [ln for ln in lines[1:] if keep(ln, header, big)]
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        with open(os.path.join(dst, rel), "w", encoding="utf-8", newline="") as fh:
            fh.writelines(out)
    shutil.copy(os.path.join(src, "README.md"), os.path.join(dst, "README_published_data.md"))
    cut_ods(os.path.join(src, "eesdash", "RO3_LA_Data_2024-25_data_by_LA.ods"),
            os.path.join(dst, "eesdash", "RO3_LA_Data_2024-25_data_by_LA.ods"))



def cut_ods(src: str, dst: str, keep_names=("Norfolk CC", "Birmingham", "Gateshead", "Isles of Scilly",
                                           "Leeds", "ENGLAND", "Adur")) -> None:
    """A small RO3 spreadsheet: its header rows and the rows of a few councils, cell texts unchanged
    (the published file is 864 KB). Written as a minimal ODS (mimetype + content.xml)."""
    import zipfile
    from xml.sax.saxutils import escape

    from carecast.councils.build import _ods_rows
    name, rows = _ods_rows(src, src, "RO3_LA_Data_")
    head = next(i for i, r in enumerate(rows) if r and r[0].strip() == "E-code")
    width = len(rows[head])
    keep = rows[:head + 1] + [r for r in rows[head + 1:] if len(r) > 2 and r[2].strip() in keep_names]

    def cell(v: str) -> str:
        try:
            float(v)
            return (f'<table:table-cell office:value-type="float" office:value="{escape(v)}">'
                    f'<text:p>{escape(v)}</text:p></table:table-cell>')
        except ValueError:
            return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'
    body = "".join("<table:table-row>" + "".join(cell(v) for v in r[:width]) + "</table:table-row>" for r in keep)
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{name}">{body}</table:table>'
               '</office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
