from bench.procedures import main


def test_the_benchmark_runs_and_reports_every_household_size(capsys) -> None:
    assert main(["--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split() for line in lines[1:7]]
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(int(r[5]) <= 25 and int(r[7]) == 1 for r in rows)  # one code within version 25 each
