"""Sales tests: a package, so that their module names (test_pages) do not clash with the customers tests."""
