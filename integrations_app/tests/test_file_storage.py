"""File attachments on a bucket (integrations_app.file_storage), the parts a site can show without
a bucket: the hooks leave Frappe's file system alone while storage is off, an upload that cannot
reach the bucket leaves no File row, settings refuse what cannot work, and only Integration
Managers run or watch the migration. Uploads and downloads through a real bucket were run by
hand against moto (issue 10 note)."""

import os

import frappe

from integrations_app.api import files as files_api
from integrations_app.connections import errors
from integrations_app.file_storage import keys
from integrations_app.tests.helpers import IM_USER, PLAIN_USER, IntegrationsTestCase, configure_sidecar, make_todo

SETTINGS = "Integration Settings"


def make_bucket_connection(name="Files Bucket"):
	return frappe.get_doc(
		{
			"doctype": "Integration Connection",
			"connection_name": name,
			"api_provider": "Amazon S3",
			"auth_type": "AWS SigV4",
			"base_url": "https://s3.eu-west-1.amazonaws.com/files-bucket",
			"aws_access_key_id": "AKIAFILESTEST000",
			"secret": "files-secret",
			"aws_region": "eu-west-1",
			"aws_service": "s3",
		}
	).insert(ignore_permissions=True)


def store_files_on(connection: str | None, prefix: str = "attachments") -> None:
	s = frappe.get_single(SETTINGS)
	s.file_storage_enabled = 1 if connection else 0
	s.file_storage_connection = connection
	s.file_storage_prefix = prefix
	s.save(ignore_permissions=True)
	frappe.clear_document_cache(SETTINGS, SETTINGS)


def new_file(content: bytes, todo, name="note.txt"):
	return frappe.get_doc(
		{"doctype": "File", "file_name": name, "content": content, "is_private": 1, "attached_to_doctype": "ToDo", "attached_to_name": todo.name}
	)


class TestFileStorage(IntegrationsTestCase):
	def test_while_off_files_are_written_and_deleted_on_disk_as_frappe_does(self):
		store_files_on(None)
		f = new_file(b"stays on disk " + frappe.generate_hash().encode(), make_todo()).insert(ignore_permissions=True)
		self.assertTrue(f.file_url.startswith("/private/files/"))
		path = f.get_full_path()
		self.assertTrue(os.path.exists(path))
		f.delete(ignore_permissions=True)
		self.assertFalse(os.path.exists(path))

	def test_an_upload_that_cannot_reach_the_bucket_leaves_no_file_row(self):
		configure_sidecar("http://127.0.0.1:9")
		store_files_on(make_bucket_connection().name)
		before = frappe.db.count("File")
		with self.assertRaises(errors.CallError):
			new_file(b"never stored " + frappe.generate_hash().encode(), make_todo()).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.count("File"), before)

	def test_settings_refuse_a_connection_that_is_not_storage_and_an_unsafe_prefix(self):
		other = frappe.get_doc(
			{"doctype": "Integration Connection", "connection_name": "Not Storage", "auth_type": "Bearer Token", "base_url": "https://api.example.com", "secret": "x"}
		).insert(ignore_permissions=True)
		with self.assertRaises(frappe.ValidationError):
			store_files_on(other.name)
		with self.assertRaises(frappe.ValidationError):
			store_files_on(make_bucket_connection().name, prefix="a/../b")
		store_files_on(make_bucket_connection("Files Bucket 2").name, prefix="/site1/files/")
		self.assertEqual(frappe.db.get_single_value(SETTINGS, "file_storage_prefix"), "site1/files/")

	def test_download_of_an_unknown_key_is_not_found(self):
		with self.assertRaises(frappe.DoesNotExistError):
			files_api.download("attachments/private/none/none.txt")

	def test_download_checks_the_file_permission_before_any_signing(self):
		store_files_on(make_bucket_connection().name)
		todo = make_todo()
		key = "attachments/private/abc/secret.txt"
		# A File row as write_file leaves it (the object itself is not needed: the check comes first).
		frappe.db.sql(
			"insert into `tabFile` (name, file_name, file_url, is_private, attached_to_doctype, attached_to_name, owner, creation, modified) values (%s, 'secret.txt', %s, 1, 'ToDo', %s, 'Administrator', now(), now())",
			(frappe.generate_hash(length=10), keys.file_url_for("https://elsewhere.example", key), todo.name),
		)
		frappe.set_user(PLAIN_USER)
		try:
			with self.assertRaises(frappe.PermissionError):
				files_api.download(key)
		finally:
			frappe.set_user("Administrator")

	def test_only_integration_managers_start_or_watch_the_migration(self):
		frappe.set_user(PLAIN_USER)
		try:
			with self.assertRaises(frappe.PermissionError):
				files_api.migration_status()
			with self.assertRaises(frappe.PermissionError):
				files_api.start_migration()
		finally:
			frappe.set_user("Administrator")
		frappe.set_user(IM_USER)
		try:
			store_files_on(None)
			self.assertEqual(files_api.migration_status()["enabled"], False)
			with self.assertRaises(frappe.ValidationError):
				files_api.start_migration()
		finally:
			frappe.set_user("Administrator")
