"""File attachments stored on a connected bucket (opt-in per site in Integration Settings): new
uploads go to the bucket through Frappe's `write_file` hook, deletions through
`delete_file_data_content`, downloads through `api.files.download` (Frappe's own permission
check on the File, then a redirect to a short-lived signed URL), and `migrate` moves files
already on disk. `keys` holds the Frappe-free rules (tests_pure)."""
