import sys
import types

from bench.__main__ import available, main


def test_dispatcher_runs_a_named_benchmark(monkeypatch, capsys):
    called = []
    module = types.ModuleType("bench.fake")
    module.main = lambda argv: called.append(argv) or 0
    monkeypatch.setitem(sys.modules, "bench.fake", module)
    monkeypatch.setattr("bench.__main__.available", lambda: ["fake", "nlu"])
    assert main(["fake", "--x", "1"]) == 0
    assert called == [["--x", "1"]]
    assert main(["nope"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_nlu_benchmark_is_listed():
    assert "nlu" in available()
