"""Draws the demo town's related application forms (関連申請書) as Excel templates with their JSON mappings.

    python scripts/make_related_templates.py [content/midori/counter/related]

A real town puts its own sheets there instead and writes the mapping (civic/counter/related.py says how).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOTH = ["admin", "counter"]

# key: (title, roles, [(label, item)], copies and purpose?, members table?)
FORMS: dict[str, tuple[str, list[str], list[tuple[str, str]], bool, bool]] = {
    "juminhyo": ("住民票の写し等交付申請書", BOTH, [("住所", "household.new_address"), ("世帯主", "household.head")],
                 True, True),
    "juminhyo-kisai": ("住民票記載事項証明書交付申請書", BOTH, [("住所", "household.new_address")], True, False),
    "inkan-toroku": ("印鑑登録申請書", BOTH, [("住所", "household.new_address"), ("生年月日", "applicant.birth_wareki"),
                                         ("性別", "applicant.sex")], False, False),
    "inkan-shomei": ("印鑑登録証明書交付申請書", BOTH, [("住所", "household.new_address"),
                                               ("生年月日", "applicant.birth_wareki")], True, False),
    "inkan-haishi": ("印鑑登録廃止申請書", BOTH, [("住所", "household.new_address")], False, False),
    "koseki": ("戸籍謄本・抄本等交付請求書", BOTH, [("本籍", "applicant.honseki"), ("筆頭者", "applicant.hittousha")],
               True, False),
    "fuhyo": ("戸籍の附票の写し交付請求書", BOTH, [("本籍", "applicant.honseki"), ("筆頭者", "applicant.hittousha"),
                                         ("住所", "household.new_address")], True, False),
    "kokuho-shutoku": ("国民健康保険 資格取得届", BOTH, [("住所", "household.new_address"), ("世帯主", "household.head"),
                                                ("転入日", "household.moved_on"), ("前住所", "household.old_address")],
                       False, True),
    "kokuho-soshitsu": ("国民健康保険 資格喪失届", BOTH, [("住所", "household.new_address"),
                                                 ("異動日", "household.moved_on")], False, True),
    "nenkin": ("国民年金 被保険者住所変更届", BOTH, [("住所", "household.new_address"), ("生年月日", "applicant.birth_wareki"),
                                         ("基礎年金番号", "")], False, False),
    "kouki": ("後期高齢者医療 資格取得（変更）届", BOTH, [("住所", "household.new_address"), ("生年月日", "applicant.birth_wareki"),
                                             ("年齢", "applicant.age")], False, False),
    "kaigo": ("介護保険 資格取得・異動届", BOTH, [("住所", "household.new_address"), ("前住所", "household.old_address"),
                                         ("異動日", "household.moved_on")], False, True),
    "jido-teate": ("児童手当 認定請求書", BOTH, [("住所", "household.new_address"), ("請求者", "household.head"),
                                         ("電話番号", "household.phone")], False, True),
    "kodomo-iryo": ("子ども医療費受給資格 登録申請書", BOTH, [("住所", "household.new_address"),
                                                  ("保護者", "household.head")], False, True),
    "tengaku": ("転入学 通知書交付申請書", BOTH, [("住所", "household.new_address"), ("前住所", "household.old_address"),
                                         ("保護者", "household.head")], False, True),
    "mynumber-card": ("個人番号カード 継続利用・住所変更届", ["admin"], [("住所", "household.new_address"),
                                                      ("個人番号", "applicant.individual_number")], False, False),
    "zei-shomei": ("税証明（所得・課税証明書）交付申請書", ["admin"], [("住所", "household.new_address"),
                                                     ("生年月日", "applicant.birth_wareki")], True, False),
    "inu": ("犬の登録事項変更届", BOTH, [("新住所", "household.new_address"), ("旧住所", "household.old_address"),
                                 ("電話番号", "household.phone")], False, False),
    "suido": ("水道 使用開始届", BOTH, [("使用場所", "household.new_address"), ("使用者", "household.head"),
                                 ("使用開始日", "household.moved_on"), ("電話番号", "household.phone")], False, False),
    "gentsuki": ("原動機付自転車 住所変更届", BOTH, [("住所", "household.new_address"), ("電話番号", "household.phone")],
                 False, False),
    "zairyu-todoke": ("在留カード 住居地届出の確認票", BOTH, [("住居地", "household.new_address"),
                                                 ("在留カード番号", "applicant.card_number"),
                                                 ("在留資格", "applicant.stay_status")], False, False),
    "gomi": ("ごみ袋・収集カレンダー 交付票", BOTH, [("住所", "household.new_address"), ("世帯人数", "household.members")],
             False, False),
}


def draw(key: str, spec: tuple[str, list[str], list[tuple[str, str]], bool, bool], out: Path) -> None:
    title, roles, lines, certificate, table = spec
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for col, width in zip("ABCDEFGH", (2, 16, 14, 10, 19, 7, 11, 2), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.merge_cells("B1:G1")
    sheet["B1"] = f"{title}（みどり町長 様）"
    sheet["B1"].font = Font(size=16, bold=True)
    sheet["B1"].alignment = Alignment(horizontal="center")
    sheet.row_dimensions[1].height = 30
    cells: dict[str, str] = {"F2": "today", "F3": "number"}
    sheet["E2"], sheet["E3"] = "申請日", "受付番号"
    rows = [("申請者 氏名", "applicant.name"), ("ふりがな", "applicant.kana"), *lines]
    if certificate:
        rows += [("必要な通数", "copies"), ("使いみち", "purpose")]
    row = 5
    for label, item in rows:
        sheet[f"B{row}"] = label
        sheet[f"B{row}"].border = BOX
        sheet.merge_cells(f"C{row}:G{row}")
        for col in "CDEFG":
            sheet[f"{col}{row}"].border = BOX
        sheet.row_dimensions[row].height = 24
        if item:
            cells[f"C{row}"] = item
        row += 1
    mapping: dict[str, object] = {"title": title, "roles": roles, "cells": cells}
    if table:
        row += 1
        heads = (("B", "氏名", "name"), ("C", "ふりがな", "kana"), ("E", "生年月日", "birth_wareki"),
                 ("F", "性別", "sex"), ("G", "続柄", "relationship"))
        sheet[f"B{row}"] = "対象の世帯員"
        row += 1
        for col, head, _ in heads:
            sheet[f"{col}{row}"] = head
            sheet[f"{col}{row}"].alignment = Alignment(horizontal="center")
        sheet.merge_cells(f"C{row}:D{row}")
        for r in range(row, row + 7):
            for col in "BCDEFG":
                sheet[f"{col}{r}"].border = BOX
            if r > row:
                sheet.merge_cells(f"C{r}:D{r}")
        mapping["rows"] = {"first": row + 1, "max": 6, "columns": {col: item for col, _, item in heads}}
        row += 8
    sheet[f"B{row + 1}"] = "（窓口記入欄）受付者　　　　　確認者　　　　　"
    book.save(out / f"{key}.xlsx")
    (out / f"{key}.json").write_text(json.dumps(mapping, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "content/midori/counter/related")
    out.mkdir(parents=True, exist_ok=True)
    for key, spec in FORMS.items():
        draw(key, spec, out)
    print(f"{len(FORMS)} templates in {out}")


if __name__ == "__main__":
    main()
