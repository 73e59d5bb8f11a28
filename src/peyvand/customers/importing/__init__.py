"""Customer import: reading CSV and Excel files by content, mapping their columns, importing in batches."""
