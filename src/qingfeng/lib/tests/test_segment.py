from qingfeng.lib import segment


def test_words_keep_the_text_in_order():
    text = "家长反映某某小学三年级收取补课费200元。"
    assert "".join(segment.words(text)) == text
    assert "补课费" in segment.words(text) or "补课" in segment.words(text)


def test_tags_name_person_names():
    pairs = segment.tagged("我是王建国的家长，班主任李秀英老师收了钱")
    names = {w for w, tag in pairs if tag == "nr"}
    assert "王建国" in names
    assert "李秀英" in names


def test_added_words_stay_whole_with_their_tag():
    segment.add_words(["欧阳子涵"], tag="nr")
    segment.add_words(["欧阳子涵"], tag="nr")  # twice is harmless
    pairs = segment.tagged("副校长欧阳子涵在会上说")
    assert ("欧阳子涵", "nr") in pairs
