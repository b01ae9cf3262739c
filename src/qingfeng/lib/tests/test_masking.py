from __future__ import annotations

from unittest import TestCase

from hypothesis import given
from hypothesis import strategies as st

from qingfeng.lib.masking import mask_id_number, mask_name, mask_phone

mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
phones = st.text(alphabet="0123456789 -+", min_size=0, max_size=20)
id_numbers = st.from_regex(r"[1-8][0-9]{16}[0-9X]", fullmatch=True)
any_ids = st.text(alphabet="0123456789XxABEGH", max_size=20)
hanzi = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
spaces = st.sampled_from([" ", "\u3000", "  "])
names = st.lists(st.one_of(hanzi, hanzi, hanzi, spaces), min_size=0, max_size=8).map("".join)


def only_hides(original: str, masked: str) -> bool:
    """Masking replaces characters with '*' and changes nothing else."""
    return len(original) == len(masked) and all(
        m in ("*", o) for o, m in zip(original, masked, strict=True)
    )


class MaskingExamplesTestCase(TestCase):
    def test_it_masks_phones(self) -> None:
        self.assertEqual(mask_phone("13800001234"), "138****1234")
        self.assertEqual(mask_phone(" 13800001234 "), "138****1234")
        self.assertEqual(mask_phone("6543210"), "65***10")  # a landline without area code
        self.assertEqual(mask_phone("12345"), "*****")
        self.assertEqual(mask_phone(""), "")

    def test_it_masks_names(self) -> None:
        self.assertEqual(mask_name("张三"), "张*")
        self.assertEqual(mask_name("欧阳娜娜"), "欧**娜")
        self.assertEqual(mask_name("欧阳娜"), "欧*娜")
        self.assertEqual(mask_name("阿依古丽·买买提"), "阿******提")
        self.assertEqual(mask_name(" 李四 "), "李*")
        self.assertEqual(mask_name(""), "")

    def test_padded_two_character_names_do_not_show_the_given_name(self) -> None:
        # Rosters pad two-character names to line up with three-character ones.
        self.assertEqual(mask_name("张\u3000三"), "张\u3000*")
        self.assertEqual(mask_name("张 三"), "张 *")

    def test_a_one_character_name_is_not_shown_whole(self) -> None:
        self.assertEqual(mask_name("张"), "*")

    def test_it_masks_id_numbers(self) -> None:
        self.assertEqual(mask_id_number("110105199001011234"), "110***********1234")
        self.assertEqual(mask_id_number("11010519900101123X"), "110***********123X")
        self.assertEqual(mask_id_number("110105900101123"), "110********1123")  # 15 digits
        self.assertEqual(mask_id_number("E12345678"), "*****5678")  # passport
        self.assertEqual(mask_id_number("12345"), "***45")
        self.assertEqual(mask_id_number("1234"), "**34")


class MaskingPropertiesTestCase(TestCase):
    @given(mobiles)
    def test_a_mobile_never_shows_its_middle_four(self, phone: str) -> None:
        masked = mask_phone(phone)
        self.assertEqual(masked[3:7], "****")
        self.assertEqual(masked[:3] + masked[7:], phone[:3] + phone[7:])

    @given(phones)
    def test_phones_keep_their_length_and_only_hide(self, phone: str) -> None:
        masked = mask_phone(phone)
        self.assertTrue(only_hides(phone.strip(), masked))
        # At most 3 + 4 characters are ever shown, and never more than two thirds.
        shown = sum(ch != "*" for ch in masked)
        self.assertLessEqual(shown, 7)
        self.assertLessEqual(shown * 3, len(masked) * 2)

    @given(id_numbers)
    def test_an_id_number_never_shows_the_birth_date(self, number: str) -> None:
        masked = mask_id_number(number)
        self.assertEqual(len(masked), 18)
        self.assertEqual(masked[3:14], "*" * 11)  # area code tail, birth date, sequence

    @given(any_ids)
    def test_id_numbers_keep_their_length_and_only_hide(self, number: str) -> None:
        masked = mask_id_number(number)
        self.assertTrue(only_hides(number.strip(), masked))
        shown = sum(ch != "*" for ch in masked)
        self.assertLessEqual(shown, 7)
        if len(masked) < 10:
            self.assertLessEqual(shown * 2, len(masked))

    @given(names)
    def test_a_name_shows_at_most_its_first_and_last_character(self, name: str) -> None:
        masked = mask_name(name)
        self.assertTrue(only_hides(name.strip(), masked))
        letters = [ch for ch in masked if not ch.isspace()]
        shown = [ch for ch in letters if ch != "*"]
        self.assertLessEqual(len(shown), 2)
        if letters:
            self.assertLess(len(shown), len(letters))  # never the whole name

    @given(st.one_of(phones, mobiles))
    def test_masking_a_masked_phone_changes_nothing(self, phone: str) -> None:
        self.assertEqual(mask_phone(mask_phone(phone)), mask_phone(phone))

    @given(st.one_of(any_ids, id_numbers))
    def test_masking_a_masked_id_number_changes_nothing(self, number: str) -> None:
        self.assertEqual(mask_id_number(mask_id_number(number)), mask_id_number(number))

    @given(names)
    def test_masking_a_masked_name_changes_nothing(self, name: str) -> None:
        self.assertEqual(mask_name(mask_name(name)), mask_name(name))
