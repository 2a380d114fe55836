from nlu.normalize import clean_text, fold_kana, fold_kana_with_offsets, fold_with_offsets


def test_width_script_long_vowel_and_small_kana_fold_together():
    assert fold_kana("ｽﾌﾟﾚｰ缶") == fold_kana("スプレー缶") == fold_kana("すぷれかん".replace("かん", "缶"))
    assert fold_kana("ペットボトル") == fold_kana("ぺとぼとる".replace("ぺと", "ぺっと"))
    assert fold_kana("しょうかき") == fold_kana("ショウカキ")
    assert fold_kana("ＡＢＣ　１２") == "abc12"


def test_clean_text_removes_controls_and_collapses_space():
    assert clean_text("a\x00b\u200b  c\n\td") == "ab c d"
    assert clean_text("") == ""


def test_offset_maps_point_back_to_the_original():
    text = "ｽﾌﾟﾚｰ缶です"
    folded, index = fold_kana_with_offsets(text)
    assert folded.startswith(fold_kana("スプレー缶"))
    end = folded.index("缶")
    assert text[index[end]] == "缶"
    folded2, index2 = fold_with_offsets("１２月")
    assert folded2 == "12月" and index2[2] == 2


def test_sudachi_quirks_are_handled(morphology):
    # SudachiPy normalises ゴミ to 塵 but not ごみ; our keys put them together
    assert morphology.content_keys("粗大ゴミ") == morphology.content_keys("粗大ごみ")
    assert morphology.normalized("空缶") == morphology.normalized("空き缶")
    assert morphology.reading("消火器") == fold_kana("しょうかき")


def test_tokenize_survives_very_long_and_odd_input(morphology):
    tokens = morphology.tokenize("あ" * 5000)
    assert tokens and tokens[-1].end == 5000
    assert morphology.tokenize("") == []
    assert isinstance(morphology.tokenize("\x00\x01😀"), list)
