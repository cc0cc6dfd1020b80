"""Bulk import of people, enrolments, attendance, feedback and test scores from spreadsheets.

parse.py reads a file safely into rows (CSV in any usual encoding, XLSX), columns.py knows the
accepted headers in Kazakh, Russian and English, validate.py turns rows into a preview (what
would be created, updated or matched, and every error), apply.py writes a checked file in one
transaction, tasks.py runs big files in Celery. See docs/imports.md."""
