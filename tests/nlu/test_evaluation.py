from nlu.evaluation import _folds, evaluate_garbage, prf_table, retrieval_metrics


def test_retrieval_metrics():
    rankings = {"q1": ["a", "b"], "q2": ["c", "d", "b"], "q3": ["x"], "q4": ["z"]}
    qrels = {"q1": {"a"}, "q2": {"b"}, "q3": {"y"}}
    m = retrieval_metrics(rankings, qrels)
    assert m["queries"] == 3  # q4 has no judgement and is not counted
    assert m["hit@1"] == round(1 / 3, 4) and m["hit@3"] == round(2 / 3, 4)
    assert m["mrr@10"] == round((1 + 1 / 3) / 3, 4)


def test_prf_table():
    t = prf_table(["a", "a", "b"], ["a", "b", "b"])
    assert t["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert t["b"]["precision"] == 0.5


def test_folds_are_stratified_and_cover_everything(training_data):
    folds = _folds(training_data.examples, 4, seed=1)
    flat = sorted(i for f in folds for i in f)
    assert flat == list(range(len(training_data.examples)))
    for f in folds:
        assert len({training_data.examples[i].intent for i in f}) == len(training_data.intents)


def test_garbage_evaluation_counts_top1_and_top3():
    class Item:
        def __init__(self, name):
            self.name = self.base_name = name

    class Match:
        def __init__(self, name):
            self.item = Item(name)

    class Result:
        def __init__(self, names):
            self.best = Match(names[0]) if names else None
            self.alternatives = [Match(n) for n in names[1:]]

    class Dictionary:
        answers = {"a": ["A"], "b": ["X", "B"], "c": []}

        def lookup(self, q):
            return Result(self.answers[q])

    report = evaluate_garbage(Dictionary(), [("a", "A"), ("b", "B"), ("c", "C")])
    assert report["top1"] == round(1 / 3, 4) and report["top3"] == round(2 / 3, 4)
    assert [m["query"] for m in report["misses"]] == ["b", "c"]
