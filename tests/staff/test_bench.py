"""The staff benchmark runs end to end on a tiny data set (figures are printed, not asserted)."""

from __future__ import annotations

from bench import staff


def test_bench_staff_prints_every_figure(capsys) -> None:
    assert staff.main(["--messages", "200", "--friends", "20"]) == 0
    out = capsys.readouterr().out
    for label in ("daily figures", "chatbot use by intent", "unanswered questions", "talk-log CSV export",
                  "render the demo menu", "argon2id hash", "sign-in, wrong password", "sign-in, unknown login id"):
        assert label in out and "ms" in out.split(label, 1)[1].splitlines()[0]
