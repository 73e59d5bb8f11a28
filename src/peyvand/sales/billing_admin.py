"""Django admin for sales: billing."""
