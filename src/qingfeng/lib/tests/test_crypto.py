from __future__ import annotations

import base64
import os
from unittest import TestCase

from hypothesis import given
from hypothesis import strategies as st

from qingfeng.lib.crypto import PREFIX, DecryptionError, blind_index, decrypt, encrypt, normalise

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
INDEX_KEY = b"i" * 32


def flip(token: str, position: int) -> str:
    """The token with one bit of its raw bytes flipped."""
    raw = bytearray(base64.b64decode(token[len(PREFIX) :]))
    raw[position % len(raw)] ^= 0x01
    return PREFIX + base64.b64encode(bytes(raw)).decode("ascii")


class CryptoTestCase(TestCase):
    @given(st.text())
    def test_any_text_survives_the_round_trip(self, text: str) -> None:
        token = encrypt(text, key=KEY)
        self.assertTrue(token.startswith(PREFIX))
        self.assertTrue(token.isascii())
        self.assertEqual(decrypt(token, key=KEY), text)

    @given(st.text(min_size=1))
    def test_the_same_text_never_encrypts_the_same_way_twice(self, text: str) -> None:
        self.assertNotEqual(encrypt(text, key=KEY), encrypt(text, key=KEY))

    def test_ciphertext_does_not_contain_the_plaintext(self) -> None:
        token = encrypt("13800001234", key=KEY)
        self.assertNotIn("13800001234", token)
        self.assertNotIn("1234", base64.b64decode(token[len(PREFIX) :]).decode("latin-1"))

    @given(st.text())
    def test_a_wrong_key_is_refused(self, text: str) -> None:
        with self.assertRaises(DecryptionError):
            decrypt(encrypt(text, key=KEY), key=OTHER_KEY)

    @given(st.text(), st.integers(min_value=0))
    def test_any_tampering_is_detected(self, text: str, position: int) -> None:
        with self.assertRaises(DecryptionError):
            decrypt(flip(encrypt(text, key=KEY), position), key=KEY)

    def test_associated_data_binds_the_ciphertext_to_its_place(self) -> None:
        token = encrypt("张三", key=KEY, associated=b"person:1")
        self.assertEqual(decrypt(token, key=KEY, associated=b"person:1"), "张三")
        with self.assertRaises(DecryptionError):
            decrypt(token, key=KEY, associated=b"person:2")

    def test_malformed_tokens_are_refused(self) -> None:
        for token in ["", "13800001234", "v2:abcd", "v1:not base64!", "v1:", "v1:AAAA"]:
            with self.subTest(token=token), self.assertRaises(DecryptionError):
                decrypt(token, key=KEY)
        truncated = encrypt("13800001234", key=KEY)[:-8]
        with self.assertRaises(DecryptionError):
            decrypt(truncated, key=KEY)

    def test_a_random_key_works(self) -> None:
        key = os.urandom(32)
        self.assertEqual(decrypt(encrypt("x", key=key), key=key), "x")


separators = st.lists(st.sampled_from([" ", "-", "\u3000"]), max_size=3).map("".join)


class BlindIndexTestCase(TestCase):
    def test_it_ignores_spaces_dashes_and_case(self) -> None:
        expected = blind_index("13800001234", key=INDEX_KEY)
        for variant in [
            "138 0000 1234",
            "138-0000-1234",
            " 13800001234 ",
            "138\u30000000\u30001234",
        ]:
            with self.subTest(variant=variant):
                self.assertEqual(blind_index(variant, key=INDEX_KEY), expected)
        self.assertEqual(
            blind_index("11010519900101123x", key=INDEX_KEY),
            blind_index("11010519900101123X", key=INDEX_KEY),
        )

    @given(st.from_regex(r"[0-9X]{1,18}", fullmatch=True), st.data())
    def test_separators_anywhere_do_not_change_it(self, value: str, data: st.DataObject) -> None:
        pieces = [ch + data.draw(separators) for ch in value]
        spaced = data.draw(separators) + "".join(pieces)
        self.assertEqual(normalise(spaced), value)
        self.assertEqual(blind_index(spaced, key=INDEX_KEY), blind_index(value, key=INDEX_KEY))

    @given(st.from_regex(r"[0-9]{11}", fullmatch=True), st.from_regex(r"[0-9]{11}", fullmatch=True))
    def test_different_numbers_give_different_digests(self, a: str, b: str) -> None:
        if a != b:
            self.assertNotEqual(blind_index(a, key=INDEX_KEY), blind_index(b, key=INDEX_KEY))

    @given(st.text(min_size=1))
    def test_it_depends_on_the_key(self, value: str) -> None:
        self.assertNotEqual(blind_index(value, key=INDEX_KEY), blind_index(value, key=KEY))

    def test_it_is_a_hex_digest_without_the_value(self) -> None:
        digest = blind_index("13800001234", key=INDEX_KEY)
        self.assertRegex(digest, r"^[0-9a-f]{64}$")
