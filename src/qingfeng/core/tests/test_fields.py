"""Personal data is ciphertext in the database and plain text in Python."""

from __future__ import annotations

from django.db import connection
from django.test import override_settings

from qingfeng.core.fields import blind_index
from qingfeng.lib import crypto
from qingfeng.orgs import actions
from qingfeng.orgs.models import Person
from qingfeng.test import BaseTestCase


class EncryptedFieldTestCase(BaseTestCase):
    def raw_phone(self, person: Person) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT phone FROM orgs_person WHERE id = %s", [person.pk])
            return str(cursor.fetchone()[0])

    def test_a_phone_is_stored_as_ciphertext(self) -> None:
        person = actions.do_create_person(
            actor=None,
            unit=self.school,
            name="林晓",
            post_type=Person.PostType.TEACHER,
            phone="13912340000",
        )
        stored = self.raw_phone(person)
        self.assertTrue(stored.startswith("v1:"))
        self.assertNotIn("13912340000", stored)
        self.assertNotIn("1234", stored)
        self.assertEqual(Person.objects.get(pk=person.pk).phone, "13912340000")
        self.assertEqual(Person.objects.get(pk=person.pk).masked_phone, "139****0000")

    def test_two_people_with_one_phone_have_different_ciphertexts(self) -> None:
        a = actions.do_create_person(
            actor=None, unit=self.school, name="甲", post_type="teacher", phone="13700000001"
        )
        b = actions.do_create_person(
            actor=None, unit=self.school, name="乙", post_type="teacher", phone="13700000001"
        )
        self.assertNotEqual(self.raw_phone(a), self.raw_phone(b))
        # ...but the blind index finds both without decrypting anything.
        found = Person.objects.filter(phone_index=blind_index("137-0000-0001"))
        self.assertEqual(set(found), {a, b})

    def test_an_empty_phone_stays_empty(self) -> None:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="丙", post_type="teacher", phone=""
        )
        self.assertEqual(self.raw_phone(person), "")
        self.assertEqual(Person.objects.get(pk=person.pk).phone, "")

    def test_the_phone_is_not_in_the_audit_trail(self) -> None:
        from qingfeng.core.models import AuditEvent

        actions.do_create_person(
            actor=None, unit=self.school, name="丁", post_type="teacher", phone="13655550000"
        )
        event = AuditEvent.objects.filter(action="orgs.person.create").first()
        assert event is not None
        self.assertNotIn("13655550000", str(event.after))

    def test_a_different_field_key_cannot_read_it(self) -> None:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="戊", post_type="teacher", phone="13512345678"
        )
        with override_settings(QF_FIELD_KEY=b"k" * 32), self.assertRaises(crypto.DecryptionError):
            Person.objects.get(pk=person.pk)
