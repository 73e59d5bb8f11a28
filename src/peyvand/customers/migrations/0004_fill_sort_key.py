"""Fill the new sort key of every customer from its search key with one UPDATE: translate() on PostgreSQL
(the key is a letter-for-letter translation), the same Python function the services use on SQLite."""

from django.db import migrations


def forwards(apps, schema_editor):
    from peyvand.core.text import PERSIAN_ALPHABET, sort_key_of_search_key

    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        targets = sort_key_of_search_key(PERSIAN_ALPHABET)
        sql, params = (
            "UPDATE customers_customer SET sort_key = translate(search_key, %s, %s)",
            [PERSIAN_ALPHABET, targets],
        )
    else:
        connection.ensure_connection()
        connection.connection.create_function("peyvand_sort_key", 1, sort_key_of_search_key, deterministic=True)
        sql, params = "UPDATE customers_customer SET sort_key = peyvand_sort_key(search_key)", []
    schema_editor.execute(sql, params)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_add_sort_key")]
    # Going back needs nothing: the column is dropped by reversing 0003.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
