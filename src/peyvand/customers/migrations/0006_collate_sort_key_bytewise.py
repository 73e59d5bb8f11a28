"""On PostgreSQL the sort key is compared byte by byte (COLLATE "C"): the same order as SQLite and as Python,
so pages merged from several index walks and their cursors agree, and LIKE 'prefix%' can use the plain
B-tree index whatever the database's locale."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE customers_customer ALTER COLUMN sort_key TYPE varchar(255) COLLATE "C"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE customers_customer ALTER COLUMN sort_key TYPE varchar(255) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_index_lists_by_sort_key")]
    operations = [migrations.RunPython(forwards, backwards)]
