"""A rich menu as data, checked against LINE's rules with messages staff can act on (国富町 §9(2)(ウ)①②).

Areas are rectangles in image pixels; each has one action. A ``richmenuswitch`` action names one
of our menus by id; publishing turns it into that menu's alias on the target account.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from civic.urls import link_url

MAX_AREAS = 20
MIN_WIDTH, MAX_WIDTH, MIN_HEIGHT, MIN_RATIO = 800, 2500, 250, 1.45
FULL, COMPACT = (2500, 1686), (2500, 843)


def _one_line(value: str) -> str:
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValueError("改行・タブなどの制御文字は使えません。1行の文字にしてください。")
    return value


#: Text shown on one line (labels, the chat bar): no newlines or other control characters.
Line = Annotated[str, AfterValidator(_one_line)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bounds(_Strict):
    x: int = Field(ge=0, le=2500)
    y: int = Field(ge=0, le=2500)
    width: int = Field(ge=1, le=2500)
    height: int = Field(ge=1, le=2500)

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def overlaps(self, other: Bounds) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom


class PostbackAction(_Strict):
    type: Literal["postback"] = "postback"
    data: str = Field(min_length=1, max_length=300, description="ボットに届くデータ（例: action=garbage）")
    display_text: Line | None = Field(default=None, min_length=1, max_length=300,
                                     description="タップしたときにトークに表示する文")


class MessageAction(_Strict):
    type: Literal["message"] = "message"
    text: str = Field(min_length=1, max_length=300, description="利用者が送信したことになる文")


class UriAction(_Strict):
    type: Literal["uri"] = "uri"
    uri: Annotated[str, AfterValidator(link_url)] = Field(
        min_length=1, max_length=1000, description="開くURL（https://、line://、tel:、mailto:）")


class DatetimePickerAction(_Strict):
    type: Literal["datetimepicker"] = "datetimepicker"
    data: str = Field(min_length=1, max_length=300)
    mode: Literal["date", "time", "datetime"] = "date"
    initial: str | None = Field(default=None, max_length=16)
    min: str | None = Field(default=None, max_length=16)
    max: str | None = Field(default=None, max_length=16)


class SwitchAction(_Strict):
    """Switch to another of our menus (a tab)."""

    type: Literal["richmenuswitch"] = "richmenuswitch"
    menu_id: int = Field(ge=1, le=2**31 - 1, description="切り替え先のリッチメニューID")
    data: str = Field(min_length=1, max_length=300, description="切り替え時にボットに届くデータ")


Action = Annotated[PostbackAction | MessageAction | UriAction | DatetimePickerAction | SwitchAction,
                   Field(discriminator="type")]


class Area(_Strict):
    bounds: Bounds
    action: Action
    label: Line | None = Field(default=None, max_length=20, description="領域の名前（読み上げ・統計に使われます）")


class Size(_Strict):
    width: int = Field(ge=1, le=2500)
    height: int = Field(ge=1, le=2500)


class MenuSpec(_Strict):
    size: Size = Field(default_factory=lambda: Size(width=FULL[0], height=FULL[1]))
    chat_bar_text: Line = Field(min_length=1, max_length=14, description="トーク画面下部に表示する文字（14文字以内）")
    selected: bool = Field(default=True, description="トークを開いたときにメニューを開いた状態にする")
    areas: list[Area] = Field(default_factory=list, max_length=MAX_AREAS)


class Problem(BaseModel):
    field: str
    message: str


def _area_name(i: int, area: Area) -> str:
    return f"領域{i + 1}" + (f"（{area.label}）" if area.label else "")


_DATE_FORMATS = {"date": r"^\d{4}-\d{2}-\d{2}$", "time": r"^\d{2}:\d{2}$",
                 "datetime": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"}
_DATE_EXAMPLES = {"date": "2026-12-01", "time": "09:00", "datetime": "2026-12-01T09:00"}


def size_problems(width: int, height: int) -> list[Problem]:
    out = []
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        out.append(Problem(field="size.width",
                           message=f"幅は{MIN_WIDTH}〜{MAX_WIDTH}ピクセルにしてください（いまは{width}ピクセル）。"))
    if height < MIN_HEIGHT:
        out.append(Problem(field="size.height",
                           message=f"高さは{MIN_HEIGHT}ピクセル以上にしてください（いまは{height}ピクセル）。"))
    if height and width / height < MIN_RATIO:
        out.append(Problem(field="size", message=f"幅÷高さは{MIN_RATIO}以上にしてください（いまは{width}×{height}で"
                                                 f"{width / height:.2f}）。高さを{int(width / MIN_RATIO)}ピクセル以下にしてください。"))
    return out


def problems(spec: MenuSpec) -> list[Problem]:
    """Every rule the spec breaks, each naming the area and what to change. Empty when publishable."""
    out = size_problems(spec.size.width, spec.size.height)
    if not spec.areas:
        out.append(Problem(field="areas", message="タップできる領域を1つ以上設定してください。"))
    for i, area in enumerate(spec.areas):
        b, name, where = area.bounds, _area_name(i, area), f"areas.{i}"
        if b.right > spec.size.width:
            out.append(Problem(field=f"{where}.bounds", message=(
                f"{name}: 右端が画像の幅（{spec.size.width}ピクセル）をはみ出しています（x {b.x} + 幅 {b.width} = {b.right}）。"
                f"幅を{spec.size.width - b.x}以下にしてください。")))
        if b.bottom > spec.size.height:
            out.append(Problem(field=f"{where}.bounds", message=(
                f"{name}: 下端が画像の高さ（{spec.size.height}ピクセル）をはみ出しています（y {b.y} + 高さ {b.height} = {b.bottom}）。"
                f"高さを{max(spec.size.height - b.y, 0)}以下にしてください。")))
        for j in range(i):
            if spec.areas[j].bounds.overlaps(b):
                out.append(Problem(field=f"{where}.bounds", message=(
                    f"{name}が{_area_name(j, spec.areas[j])}と重なっています。重ならないように位置か大きさを変えてください。")))
        action = area.action
        if isinstance(action, DatetimePickerAction):
            for key in ("initial", "min", "max"):
                value = getattr(action, key)
                if value is not None and not re.match(_DATE_FORMATS[action.mode], value):
                    out.append(Problem(field=f"{where}.action.{key}", message=(
                        f"{name}: {key} は {_DATE_EXAMPLES[action.mode]} の形式で入力してください（いまは「{value}」）。")))
    return out


def switch_targets(spec: MenuSpec) -> set[int]:
    return {a.action.menu_id for a in spec.areas if isinstance(a.action, SwitchAction)}
