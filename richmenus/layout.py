"""A menu described as a grid of labelled tiles, for towns without a designer (rendered by ``render``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from richmenus.icons import IconName
from richmenus.spec import COMPACT, FULL, Action, Line

_COLOR = r"^#[0-9A-Fa-f]{6}$"
PALETTE = ("#2E7D32", "#1565C0", "#C62828", "#6A1B9A", "#E65100", "#00838F", "#4E342E", "#AD1457")


class Tile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Line = Field(min_length=1, max_length=12, description="タイルに表示する文字（12文字以内）")
    note: Line | None = Field(default=None, max_length=20, description="小さく添える説明（20文字以内）")
    icon: IconName | None = None
    color: str | None = Field(default=None, pattern=_COLOR, description="タイルの色（#RRGGBB）。省略時は自動")
    columns: int = Field(default=1, ge=1, le=6, description="横に何マス使うか")
    action: Action


class Layout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: Literal["full", "compact"] = Field(default="full", description="full: 2500×1686、compact: 2500×843")
    columns: int = Field(default=3, ge=1, le=6)
    rows: int = Field(default=2, ge=1, le=4)
    tiles: list[Tile] = Field(min_length=1, max_length=20)
    background: str = Field(default="#F2F4F7", pattern=_COLOR)
    text_color: str = Field(default="#FFFFFF", pattern=_COLOR)
    accent: str = Field(default="#06C755", pattern=_COLOR, description="選択中のタブの色")

    @model_validator(mode="after")
    def _fits(self) -> Layout:
        for i, tile in enumerate(self.tiles):
            if tile.columns > self.columns:
                raise ValueError(f"タイル{i + 1}（{tile.label}）の横幅 {tile.columns} マスが列数 {self.columns} を超えています。")
        rows_needed = max(row for _, row, _ in self.placement()) + 1
        if rows_needed > self.rows:
            raise ValueError(f"タイルが{self.columns}列×{self.rows}行のマスに収まりません（{rows_needed}行必要です）。"
                             "行を増やすか、タイルを減らしてください。")
        return self

    def placement(self) -> list[tuple[int, int, int]]:
        """(column, row, span) of each tile, filling rows left to right."""
        out, col, row = [], 0, 0
        for tile in self.tiles:
            if col + tile.columns > self.columns:
                col, row = 0, row + 1
            out.append((col, row, tile.columns))
            col += tile.columns
        return out

    @property
    def pixel_size(self) -> tuple[int, int]:
        return FULL if self.size == "full" else COMPACT
