"""Django admin for sales: contract."""
